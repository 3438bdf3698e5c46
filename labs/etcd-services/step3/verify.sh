#!/bin/bash
# Service web has label tier=frontend, and ~/mk8s-labs/etcd-services/revision is its key's mod_revision = its resourceVersion.
. ./lib.sh
tier=$(get svc web -o jsonpath='{.metadata.labels.tier}') || fail "There is no Service web any more: go back to step 1"
[ "$tier" = frontend ] || fail "Service web has no label tier=frontend yet: kubectl label svc web tier=frontend"
rv=$(get svc web -o jsonpath='{.metadata.resourceVersion}')
[ -s "$WORK/revision" ] || fail "$WORK/revision is missing or empty: write the ModRevision of $KEY there (mk8s etcdctl get $KEY -w fields)"
saved=$(tr -d '[:space:]' < "$WORK/revision")
[ "$saved" = "$rv" ] || fail "$WORK/revision says ${saved:-nothing}, but the Service's resourceVersion is now $rv: read the ModRevision again, after the label"
exit 0

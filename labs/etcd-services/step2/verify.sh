#!/bin/bash
# ~/mk8s-labs/etcd-services/web.json holds the value etcd has for the Service (its clusterIP is the API's).
. ./lib.sh
ip=$(get svc web -o jsonpath='{.spec.clusterIP}') || fail "There is no Service web any more: go back to step 1 (kubectl expose deployment web --port=80)"
[ -s "$WORK/web.json" ] || fail "$WORK/web.json is missing or empty: mk8s etcdctl get $KEY --print-value-only > $WORK/web.json"
grep -q '"kind": *"Service"' "$WORK/web.json" || fail "$WORK/web.json does not hold a Service: save the value of $KEY (with --print-value-only)"
saved=$(grep -oE '"clusterIP": *"[^"]*"' "$WORK/web.json" | head -1 | sed -E 's/.*"([^"]*)"$/\1/')
[ "$saved" = "$ip" ] || fail "The Service in $WORK/web.json has clusterIP ${saved:-none}, the API says $ip: read $KEY again"
exit 0

#!/bin/bash
# ~/mk8s-labs/services-basics/replicaset.txt names the ReplicaSet that owns
# the benjamintoll Pods and is itself owned by Deployment benjamintoll.
. ./lib.sh
f="$WORK/replicaset.txt"
[ -s "$f" ] || fail "There is no ReplicaSet name in ~/mk8s-labs/services-basics/replicaset.txt yet: take it from a Pod's ownerReferences"
rs=$(tr -d ' \t\r\n' < "$f")
get rs "$rs" >/dev/null || fail "replicaset.txt says \"${rs:0:60}\", but there is no ReplicaSet of that name: write the name from the Pod's .metadata.ownerReferences[0].name"
owner=$(get rs "$rs" -o jsonpath='{.metadata.ownerReferences[?(@.controller==true)].kind}/{.metadata.ownerReferences[?(@.controller==true)].name}')
[ "$owner" = Deployment/benjamintoll ] || fail "ReplicaSet $rs is not owned by Deployment benjamintoll (its owner: ${owner})"
owned=0
for p in $(running_pods); do
  [ "$(get pod "$p" -o jsonpath='{.metadata.ownerReferences[?(@.controller==true)].name}')" = "$rs" ] && owned=$((owned + 1))
done
[ "$owned" -ge 1 ] || fail "No running benjamintoll Pod is owned by ReplicaSet $rs"
exit 0

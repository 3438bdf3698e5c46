#!/bin/bash
# Service and Deployment benjamintoll are deleted; the ReplicaSet of
# replicaset.txt was orphaned: it has no owner and its Pods still run.
. ./lib.sh
get svc benjamintoll >/dev/null && fail "Service benjamintoll still exists: kubectl delete -f cluster_ip.yaml"
get deploy benjamintoll >/dev/null && fail "Deployment benjamintoll still exists: kubectl delete -f deployment.yaml --cascade=orphan"
rs=$(tr -d ' \t\r\n' < "$WORK/replicaset.txt" 2>/dev/null)
get rs "$rs" >/dev/null || fail "ReplicaSet ${rs:-(replicaset.txt is empty)} is gone: the delete cascaded. Apply deployment.yaml again, save the new ReplicaSet's name and delete with --cascade=orphan (mk8s lab hint)"
owners=$(get rs "$rs" -o jsonpath='{.metadata.ownerReferences[*].name}')
[ -z "$owners" ] || fail "ReplicaSet $rs still has an owner ($owners); wait a moment for the garbage collector"
n=0
for p in $(running_pods); do
  [ "$(get pod "$p" -o jsonpath='{.metadata.ownerReferences[?(@.controller==true)].name}')" = "$rs" ] && n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "Only $n Pod(s) of ReplicaSet $rs run, not 3: the orphaned ReplicaSet should keep its Pods"
exit 0

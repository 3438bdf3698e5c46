#!/bin/bash
# Service frontend exists, was applied (last-applied annotation), and its
# name resolves to its ClusterIP from a Pod.
. ./lib.sh
need_pods
type=$(get svc frontend -o jsonpath='{.spec.type}') || fail "There is no Service frontend yet: kubectl create -f file.service.yml"
[ "$type" = ClusterIP ] || fail "Service frontend is a $type; file.service.yml makes a ClusterIP"
last=$(get svc frontend -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}')
[ -n "$last" ] || fail "Service frontend was created but not applied yet: kubectl apply -f file.service.yml"
ip=$(get svc frontend -o jsonpath='{.spec.clusterIP}')
kubectl exec basic-pod -- nslookup frontend 2>/dev/null | grep -q "Address:[[:space:]]*$ip\$" || fail "From basic-pod, the name frontend does not resolve to the Service's ClusterIP $ip"
exit 0

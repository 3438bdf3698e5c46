#!/bin/bash
# Service benjamintoll is a ClusterIP 8080 → 80 in front of Deployment
# benjamintoll's 3 ready Pods, and a Pod reaches it on its ClusterIP.
. ./lib.sh
type=$(get svc benjamintoll -o jsonpath='{.spec.type}') || fail "There is no Service benjamintoll yet: kubectl apply -f cluster_ip.yaml"
[ "$type" = ClusterIP ] || fail "Service benjamintoll is a $type; this step wants the ClusterIP of cluster_ip.yaml (kubectl apply -f cluster_ip.yaml)"
ports=$(get svc benjamintoll -o jsonpath='{.spec.ports[0].port}->{.spec.ports[0].targetPort}')
[ "$ports" = "8080->80" ] || fail "Service benjamintoll maps $ports; cluster_ip.yaml maps port 8080 to targetPort 80"
get deploy benjamintoll >/dev/null || fail "There is no Deployment benjamintoll yet: kubectl apply -f deployment.yaml"
ready=$(get deploy benjamintoll -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 3 ] || fail "Deployment benjamintoll has ${ready:-0} of 3 Pods ready; wait a moment (kubectl rollout status deploy/benjamintoll)"
eps=$(get endpoints benjamintoll -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)
[ "$eps" -ge 3 ] || fail "Service benjamintoll has $eps endpoint(s), not 3: its selector must match the Deployment's Pods (app=benjamintoll)"
ip=$(get svc benjamintoll -o jsonpath='{.spec.clusterIP}')
pod=$(running_pods | head -1)
out=$(kubectl exec "$pod" -- curl -s -m 3 "http://$ip:8080/" 2>&1)
[[ $out == "Hello from benjamintoll-"* ]] || fail "From Pod $pod, http://$ip:8080 (the ClusterIP) did not answer with a benjamintoll page: ${out:-no answer}"
exit 0

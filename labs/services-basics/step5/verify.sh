#!/bin/bash
# Service benjamintoll is a NodePort 8080 → 80 on nodePort 31117, and every
# node answers on port 31117 from this machine with a benjamintoll page.
. ./lib.sh
get deploy benjamintoll >/dev/null || fail "There is no Deployment benjamintoll: kubectl apply -f deployment.yaml -f node_port.yaml"
type=$(get svc benjamintoll -o jsonpath='{.spec.type}') || fail "There is no Service benjamintoll: kubectl apply -f deployment.yaml -f node_port.yaml"
[ "$type" = NodePort ] || fail "Service benjamintoll is a $type, not a NodePort: kubectl apply -f node_port.yaml"
np=$(get svc benjamintoll -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" = 31117 ] || fail "Service benjamintoll has nodePort $np; node_port.yaml asks for 31117"
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:31117/")
  [[ $out == "Hello from benjamintoll-"* ]] || fail "Node $ip did not answer on port 31117 with a benjamintoll page (${out:-no answer}); are the Pods Running? (kubectl get po)"
done
exit 0

#!/bin/bash
# Service pod-hello is now a NodePort, and every node answers on its nodePort
# from this machine with pod-hello's page.
. ./lib.sh
type=$(get svc pod-hello -o jsonpath='{.spec.type}') || fail "There is no Service pod-hello (step 1 made it with kubectl run --expose)"
[ "$type" = NodePort ] || fail "Service pod-hello is still a $type: kubectl edit svc pod-hello and set type: NodePort"
np=$(get svc pod-hello -o jsonpath='{.spec.ports[0].nodePort}')
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:$np/")
  [[ $out == "Hello from pod-hello "* ]] || fail "Node $ip did not answer on pod-hello's nodePort $np (${out:-no answer})"
done
exit 0

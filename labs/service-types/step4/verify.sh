#!/bin/bash
# Service kernoapp-nodeport is a NodePort on 30080 and every node answers
# there, from this machine, with a kernoapp-prod Pod's echo.
. ./lib.sh
type=$(get svc kernoapp-nodeport -o jsonpath='{.spec.type}') || fail "There is no Service kernoapp-nodeport yet: kubectl apply -f kernoapp-nodeport.yaml"
[ "$type" = NodePort ] || fail "Service kernoapp-nodeport is a $type, not a NodePort"
np=$(get svc kernoapp-nodeport -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" = 30080 ] || fail "Service kernoapp-nodeport has nodePort $np; kernoapp-nodeport.yaml asks for 30080"
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:30080/")
  [[ $out == "Request served by kernoapp-prod-"* ]] || fail "Node $ip did not answer on port 30080 with a kernoapp-prod Pod's echo (${out:0:60})"
done
exit 0

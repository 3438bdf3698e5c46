#!/bin/bash
# Service myserver is a NodePort on 30001 and every node answers there, from
# this machine, with nginx's welcome page.
. ./lib.sh
type=$(get svc myserver -o jsonpath='{.spec.type}') || fail "There is no Service myserver (step 2)"
[ "$type" = NodePort ] || fail "Service myserver is a $type: kubectl apply -f myserver-nodeport.yaml"
np=$(get svc myserver -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" = 30001 ] || fail "Service myserver has nodePort $np; myserver-nodeport.yaml asks for 30001"
for ip in $(node_ips); do
  curl -s -m 3 "http://$ip:30001/" | grep -q 'Welcome to nginx!' || fail "Node $ip did not answer on port 30001 with nginx's welcome page"
done
exit 0

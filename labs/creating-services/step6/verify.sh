#!/bin/bash
# Service myapp is a NodePort on 30001 and every node answers there, from
# this machine, with nginx's welcome page.
. ./lib.sh
need_pods
type=$(get svc myapp -o jsonpath='{.spec.type}') || fail "There is no Service myapp yet: kubectl apply -f node-port-service.yml"
[ "$type" = NodePort ] || fail "Service myapp is a $type, not a NodePort: kubectl apply -f node-port-service.yml"
np=$(get svc myapp -o jsonpath='{.spec.ports[0].nodePort}')
[ "$np" = 30001 ] || fail "Service myapp has nodePort $np; node-port-service.yml asks for 30001"
for ip in $(node_ips); do
  curl -s -m 3 "http://$ip:30001/" | grep -q 'Welcome to nginx!' || fail "Node $ip did not answer on port 30001 with nginx's welcome page; are the Pods of basic-deployment-name Running?"
done
exit 0

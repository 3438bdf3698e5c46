#!/bin/bash
# kernoapp-lb is a LoadBalancer: its external address and its nodePort answer
# from this machine, its ClusterIP from the toolbox.
. ./lib.sh
need_toolbox
type=$(get svc kernoapp-lb -o jsonpath='{.spec.type}') || fail "There is no Service kernoapp-lb yet: kubectl apply -f kernoapp-lb.yaml"
[ "$type" = LoadBalancer ] || fail "Service kernoapp-lb is a $type, not a LoadBalancer"
lb=$(get svc kernoapp-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ -n "$lb" ] || fail "Service kernoapp-lb has no EXTERNAL-IP yet (<pending>): look again in a moment"
want="Request served by kernoapp-prod-"
out=$(curl -s -m 3 "http://$lb/"); [[ $out == "$want"* ]] || fail "The EXTERNAL-IP $lb did not answer from this machine (${out:0:60})"
np=$(get svc kernoapp-lb -o jsonpath='{.spec.ports[0].nodePort}')
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:$np/"); [[ $out == "$want"* ]] || fail "Node $ip did not answer on kernoapp-lb's nodePort $np (${out:0:60})"
done
out=$(in_toolbox curl -s -m 3 http://kernoapp-lb/); [[ $out == "$want"* ]] || fail "From the toolbox, kernoapp-lb's ClusterIP did not answer (${out:0:60})"
exit 0

#!/bin/bash
# Service benjamintoll is a LoadBalancer with an address in
# status.loadBalancer.ingress, and that address answers from this machine.
. ./lib.sh
type=$(get svc benjamintoll -o jsonpath='{.spec.type}') || fail "There is no Service benjamintoll: kubectl expose deployment benjamintoll --type=LoadBalancer --name=benjamintoll"
[ "$type" = LoadBalancer ] || fail "Service benjamintoll is a $type, not a LoadBalancer: delete it (kubectl delete -f node_port.yaml) and expose the Deployment with --type=LoadBalancer"
lb=$(get svc benjamintoll -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ -n "$lb" ] || fail "Service benjamintoll has no EXTERNAL-IP yet (<pending>): look again in a moment, and see kubectl describe svc benjamintoll"
port=$(get svc benjamintoll -o jsonpath='{.spec.ports[0].port}')
out=$(curl -s -m 3 "http://$lb:$port/")
[[ $out == "Hello from benjamintoll-"* ]] || fail "The EXTERNAL-IP $lb did not answer on port $port from this machine (${out:-no answer}); is the pool on the node network (kubectl get no -owide)?"
exit 0

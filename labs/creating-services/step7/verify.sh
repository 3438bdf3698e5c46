#!/bin/bash
# Service myapp is a LoadBalancer with an external address that answers from
# this machine with nginx's welcome page.
. ./lib.sh
need_pods
type=$(get svc myapp -o jsonpath='{.spec.type}') || fail "There is no Service myapp: kubectl apply -f load-balancer-service.yml"
[ "$type" = LoadBalancer ] || fail "Service myapp is a $type, not a LoadBalancer: kubectl apply -f load-balancer-service.yml"
lb=$(get svc myapp -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ -n "$lb" ] || fail "Service myapp has no EXTERNAL-IP yet (<pending>): look again in a moment (kubectl describe svc myapp)"
curl -s -m 3 "http://$lb/" | grep -q 'Welcome to nginx!' || fail "The EXTERNAL-IP $lb did not answer on port 80 with nginx's welcome page from this machine"
exit 0

#!/bin/bash
# Deployment deploy-hello-echo has 3 ready Pods behind LoadBalancer Service
# deploy-hello-echo; its external address answers from this machine, and
# more than one Pod answers 10 requests.
. ./lib.sh
get deploy deploy-hello-echo >/dev/null || fail "There is no Deployment deploy-hello-echo yet: kubectl create deployment deploy-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --replicas=3"
ready=$(get deploy deploy-hello-echo -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 3 ] || fail "Deployment deploy-hello-echo has ${ready:-0} of 3 Pods ready; wait a moment"
type=$(get svc deploy-hello-echo -o jsonpath='{.spec.type}') || fail "There is no Service deploy-hello-echo yet: kubectl expose deployment deploy-hello-echo --type=LoadBalancer"
[ "$type" = LoadBalancer ] || fail "Service deploy-hello-echo is a $type; expose the Deployment with --type=LoadBalancer (kubectl delete svc deploy-hello-echo first)"
lb=$(get svc deploy-hello-echo -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
[ -n "$lb" ] || fail "Service deploy-hello-echo has no EXTERNAL-IP yet (<pending>): look again in a moment"
port=$(get svc deploy-hello-echo -o jsonpath='{.spec.ports[0].port}')
seen=$(for _ in $(seq 1 10); do curl -s -m 2 "http://$lb:$port/" | head -1; echo; done | grep -o 'deploy-hello-echo-[a-z0-9-]*' | sort -u)
[ -n "$seen" ] || fail "The EXTERNAL-IP $lb did not answer on port $port from this machine"
[ "$(echo "$seen" | wc -l)" -ge 2 ] || fail "Only $seen answered 10 requests to $lb:$port: the Service should spread them over its 3 Pods"
exit 0

#!/bin/bash
# NodePort Service mallh5-service (3017:31122 → 5003) in namespace abcdocker
# has the mallh5web Pods as endpoints and answers on 31122 of every node.
. ./lib.sh
get namespace abcdocker >/dev/null || fail "There is no namespace abcdocker yet: kubectl create namespace abcdocker"
ports=$(get svc mallh5-service -n abcdocker -o jsonpath='{.spec.type} {.spec.ports[0].port}:{.spec.ports[0].nodePort}>{.spec.ports[0].targetPort}') || fail "There is no Service mallh5-service in namespace abcdocker yet: kubectl create -f abcdocker-server.yaml"
[ "$ports" = "NodePort 3017:31122>5003" ] || fail "Service mallh5-service is \"$ports\"; abcdocker-server.yaml makes a NodePort 3017:31122 → 5003"
eps=$(get endpoints mallh5-service -n abcdocker -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)
[ "$eps" -ge 2 ] || fail "Service mallh5-service has $eps endpoint(s): kubectl apply -f mallh5web.yaml and wait for its 2 Pods"
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:31122/")
  [[ $out == "Request served by mallh5web-"* ]] || fail "Node $ip did not answer on nodePort 31122 with a mallh5web Pod (${out:-no answer})"
done
exit 0

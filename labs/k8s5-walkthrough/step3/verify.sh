#!/bin/bash
# pod-hello-echo runs behind Service pod-hello-echo (8080), now a NodePort
# that answers from this machine with the echo of pod-hello-echo.
. ./lib.sh
[ "$(get pod pod-hello-echo -o jsonpath='{.status.phase}')" = Running ] || fail "Pod pod-hello-echo is not running yet: kubectl run pod-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --expose=true"
type=$(get svc pod-hello-echo -o jsonpath='{.spec.type}') || fail "There is no Service pod-hello-echo: run the Pod with --expose=true (delete the Pod and run it again)"
[ "$type" = NodePort ] || fail "Service pod-hello-echo is still a $type: kubectl edit svc pod-hello-echo and set type: NodePort"
np=$(get svc pod-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
for ip in $(node_ips); do
  out=$(curl -s -m 3 "http://$ip:$np/")
  [[ $out == "Request served by pod-hello-echo"* ]] || fail "Node $ip did not answer on pod-hello-echo's nodePort $np (${out:-no answer})"
done
exit 0

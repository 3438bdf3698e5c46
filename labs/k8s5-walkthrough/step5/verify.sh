#!/bin/bash
# Service deploy-hello-echo has externalTrafficPolicy Local: each node's
# nodePort answers only with the Pods on that node, and a node without one
# does not answer.
. ./lib.sh
pol=$(get svc deploy-hello-echo -o jsonpath='{.spec.externalTrafficPolicy}') || fail "There is no Service deploy-hello-echo (step 4)"
[ "$pol" = Local ] || fail "Service deploy-hello-echo has externalTrafficPolicy $pol: set it to Local"
np=$(get svc deploy-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
for node in $(node_names); do
  ip=$(node_ip "$node")
  locals=$(kubectl get pods -l app=deploy-hello-echo --field-selector=spec.nodeName="$node",status.phase=Running -o jsonpath='{.items[*].metadata.name}')
  for _ in 1 2 3 4; do
    who=$(curl -s -m 1 "http://$ip:$np/" | head -1 | awk '{ print $4 }')
    if [ -z "$locals" ]; then
      [ -z "$who" ] || fail "Node $node has no Pod of deploy-hello-echo but answered with $who: with Local it should drop the request"
      break
    fi
    [ -n "$who" ] || fail "Node $node ($ip) did not answer on nodePort $np, though $locals runs there"
    [[ " $locals " == *" $who "* ]] || fail "Node $node answered with $who, which runs on another node: with Local only its own Pods ($locals) should answer"
  done
done
exit 0

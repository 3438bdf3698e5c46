#!/bin/bash
set -e
. ./lib.sh
NODE=$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')
if [ "$(id -u)" = 0 ] && ip netns list 2>/dev/null | grep -q "^$NODE\b"; then
  # On the node, as the step does it.
  ip netns exec "$NODE" iptables -t nat -L KUBE-SERVICES -n | grep 'default/myserver:mynginx-http' | awk '{ print $1 }' | head -1 > "$WORK/chain.txt"
else
  # Not on this machine's network namespaces (another cluster): ask mk8s.
  mk8s explain-route svc/myserver | grep -o 'KUBE-SVC-[A-Z0-9]*' | head -1 > "$WORK/chain.txt"
fi
cat "$WORK/chain.txt"
mk8s explain-route svc/myserver

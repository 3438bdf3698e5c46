#!/bin/bash
set -e
for p in $(kubectl get pods -l app=nginx -o name); do
  kubectl exec "$p" -- sh -c 'echo "Hello from $(hostname)" > /usr/share/nginx/html/name.txt'
done
for i in 1 2 3 4 5 6; do kubectl exec toolbox -- curl -s -m 3 myserver/name.txt; done
kubectl patch svc myserver -p '{"spec":{"sessionAffinity":"ClientIP"}}'
kubectl describe svc myserver | grep -i affinity
# Wait until the proxies have the affinity rules: the same Pod answers 6 times in a row.
for _ in $(seq 1 50); do
  [ "$(for i in 1 2 3 4 5 6; do kubectl exec toolbox -- curl -s -m 3 myserver/name.txt; done | sort -u | wc -l)" = 1 ] && break
  sleep 0.2
done
for i in 1 2 3 4 5 6; do kubectl exec toolbox -- curl -s -m 3 myserver/name.txt; done
NODE=$(kubectl get nodes -o jsonpath='{.items[0].metadata.name}')
if [ "$(id -u)" = 0 ] && ip netns list 2>/dev/null | grep -q "^$NODE\b"; then
  ip netns exec "$NODE" iptables -t nat -L "$(cat "$HOME/mk8s-labs/what-is-a-service/chain.txt")" -n
fi

#!/bin/bash
set -e
. ./lib.sh
kubectl patch svc deploy-hello-echo -p '{"spec":{"externalTrafficPolicy":"Local"}}'
kubectl get pod -l app=deploy-hello-echo -o wide
NP=$(kubectl get svc deploy-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
# Wait until the proxies have rewritten the rules: a node with local Pods answers only with them.
for node in $(node_names); do
  ip=$(node_ip "$node")
  locals=$(kubectl get pods -l app=deploy-hello-echo --field-selector=spec.nodeName="$node",status.phase=Running -o jsonpath='{.items[*].metadata.name}')
  echo "== $node ($ip): local Pods: ${locals:-none}"
  [ -z "$locals" ] && continue
  for _ in $(seq 1 50); do
    ok=1
    for i in 1 2 3 4; do
      who=$(curl -s -m 2 "$ip:$NP" | head -1 | awk '{ print $4 }')
      [[ " $locals " == *" $who "* ]] || ok=0
    done
    [ $ok = 1 ] && break
    sleep 0.2
  done
  for i in 1 2 3 4; do curl -s -m 2 "$ip:$NP" | head -1; done
done
HC=$(kubectl get svc deploy-hello-echo -o jsonpath='{.spec.healthCheckNodePort}')
for ip in $(node_ips); do curl -s -m 2 "$ip:$HC/healthz"; echo; done

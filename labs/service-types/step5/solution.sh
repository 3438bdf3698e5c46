#!/bin/bash
set -e
kubectl apply -f kernoapp-lb.yaml
LB=
for _ in $(seq 1 50); do
  LB=$(kubectl get svc kernoapp-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ -n "$LB" ] && break
  sleep 0.2
done
kubectl get svc kernoapp-lb
NP=$(kubectl get svc kernoapp-lb -o jsonpath='{.spec.ports[0].nodePort}')
NODE=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
for _ in $(seq 1 50); do curl -s -m 2 "$LB" | head -1 | grep . && break; sleep 0.2; done
for _ in $(seq 1 50); do curl -s -m 2 "$NODE:$NP" | head -1 | grep . && break; sleep 0.2; done
kubectl exec toolbox -- curl -s -m 3 kernoapp-lb | head -1

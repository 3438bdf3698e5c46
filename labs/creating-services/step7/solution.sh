#!/bin/bash
set -e
kubectl apply -f load-balancer-service.yml
kubectl get pods
LB=
for _ in $(seq 1 50); do
  LB=$(kubectl get svc myapp -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ -n "$LB" ] && break
  sleep 0.2
done
kubectl get services
for _ in $(seq 1 50); do curl -s -m 2 "$LB" | grep title && break; sleep 0.2; done

#!/bin/bash
set -e
kubectl delete -f node_port.yaml --ignore-not-found
kubectl expose deployment benjamintoll --type=LoadBalancer --name=benjamintoll
LB=
for _ in $(seq 1 50); do
  LB=$(kubectl get svc benjamintoll -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ -n "$LB" ] && break
  sleep 0.2
done
kubectl get svc -owide
# The node announcing the address takes it within a moment.
for _ in $(seq 1 50); do curl -s -m 2 "$LB" && break; sleep 0.2; done

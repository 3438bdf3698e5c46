#!/bin/bash
set -e
kubectl apply -f deployment.yaml -f node_port.yaml
kubectl rollout status deploy/benjamintoll --timeout=120s
kubectl get rs,po
kubectl get no -owide
for ip in $(kubectl get no -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  # The node's proxy writes the rules within a moment of the Service's creation.
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:31117" && break; sleep 0.2; done
done

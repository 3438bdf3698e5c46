#!/bin/bash
set -e
kubectl apply -f node-port-service.yml
kubectl get all
kubectl get all --show-labels
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  # The node's proxy writes the rules within a moment of the Service's creation.
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:30001" | grep title && break; sleep 0.2; done
done
kubectl port-forward service/myapp 8080:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do curl -s -m 2 http://127.0.0.1:8080 | grep title && break; sleep 0.2; done
kill "$PF"

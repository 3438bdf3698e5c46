#!/bin/bash
set -e
kubectl apply -f myserver-nodeport.yaml
kubectl get svc
kubectl describe svc myserver
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:30001" | grep title && break; sleep 0.2; done
done

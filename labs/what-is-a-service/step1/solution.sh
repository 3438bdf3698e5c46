#!/bin/bash
set -e
kubectl create namespace abcdocker --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f abcdocker-server.yaml
kubectl get service --namespace=abcdocker
kubectl get service
kubectl apply -f mallh5web.yaml
kubectl rollout status deploy/mallh5web -n abcdocker --timeout=120s
kubectl get endpoints -n abcdocker
NODE=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
for _ in $(seq 1 50); do curl -s -m 2 "$NODE:31122" | head -1 | grep . && break; sleep 0.2; done

#!/bin/bash
set -e
kubectl scale rc rc-demo --replicas=3
kubectl wait --for=condition=Ready pod -l app=nginx --timeout=120s
kubectl get rc rc-demo
kubectl delete pod "$(kubectl get pods -l app=nginx -o jsonpath='{.items[0].metadata.name}')"
# The RC makes a replacement; wait until 3 Pods are Ready again.
for _ in $(seq 1 300); do
  [ "$(kubectl get rc rc-demo -o jsonpath='{.status.readyReplicas}')" = 3 ] && break
  sleep 0.2
done
kubectl wait --for=condition=Ready pod -l app=nginx --timeout=120s
kubectl get pods -l app=nginx -o wide
for _ in $(seq 1 50); do
  [ "$(kubectl get endpoints myserver -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)" = 3 ] && break
  sleep 0.2
done
kubectl get endpoints myserver

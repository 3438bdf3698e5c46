#!/bin/bash
set -e
kubectl apply -f cluster_ip.yaml
kubectl apply -f deployment.yaml
kubectl rollout status deploy/benjamintoll --timeout=120s
kubectl get po -owide
kubectl exec deploy/benjamintoll -- curl -s -m 3 http://benjamintoll:8080

#!/bin/bash
set -e
kubectl apply -f myapp-deployment.yaml -f multi_port.yaml
kubectl rollout status deploy/myapp --timeout=120s
kubectl get svc my-service
kubectl get endpoints my-service
for _ in $(seq 1 50); do kubectl exec toolbox -- curl -s -m 2 my-service:8080 && break; sleep 0.2; done
kubectl exec toolbox -- curl -s -m 3 my-service:8443 | head -3

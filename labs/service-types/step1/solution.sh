#!/bin/bash
set -e
kubectl apply -f kernoapp-deployment.yaml -f kernoapp-service.yaml
kubectl run toolbox --image=nicolaka/netshoot --dry-run=client -o yaml | kubectl apply -f -
kubectl rollout status deploy/kernoapp-prod --timeout=120s
kubectl wait --for=condition=Ready pod/toolbox --timeout=120s
kubectl get pod -o wide
kubectl get pod -o wide --all-namespaces
for _ in 1 2 3; do kubectl exec toolbox -- curl -s -m 3 kernoapp | head -1; done

#!/bin/bash
set -e
kubectl apply -f rc-demo-only.yaml -f myserver-svc.yaml
kubectl run toolbox --image=nicolaka/netshoot --dry-run=client -o yaml | kubectl apply -f -
kubectl wait --for=condition=Ready pod -l app=nginx --timeout=120s
kubectl wait --for=condition=Ready pod/toolbox --timeout=120s
kubectl get service
kubectl get endpoints
kubectl describe svc myserver
for _ in $(seq 1 50); do kubectl exec toolbox -- curl -s -m 2 myserver | grep title && break; sleep 0.2; done

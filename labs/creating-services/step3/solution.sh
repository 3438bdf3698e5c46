#!/bin/bash
set -e
kubectl delete -f file.service.yml --ignore-not-found
kubectl create -f file.service.yml
kubectl apply -f file.service.yml
kubectl get svc frontend -o yaml | head -12
kubectl exec basic-pod -- nslookup frontend || true
kubectl get endpoints frontend

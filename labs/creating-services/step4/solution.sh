#!/bin/bash
set -e
kubectl delete -f file.service.yml --ignore-not-found
kubectl delete -f external-service.yml --ignore-not-found
kubectl create -f external-service.yml
kubectl get svc external-service
kubectl exec basic-pod -- nslookup external-service || true

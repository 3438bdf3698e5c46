#!/bin/bash
set -e
kubectl apply -f external_name.yaml
kubectl get svc external-service
kubectl exec toolbox -- nslookup external-service || true
kubectl exec toolbox -- dig +search +noall +answer external-service

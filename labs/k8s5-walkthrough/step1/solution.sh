#!/bin/bash
set -e
kubectl apply -f service.yaml -f multiPortService.yaml
kubectl get svc,ep frontend-svc my-service
kubectl delete pod pod-hello --ignore-not-found --now
kubectl delete svc pod-hello --ignore-not-found
kubectl run pod-hello --image=pbitty/hello-from:latest --port=80 --expose=true
kubectl wait --for=condition=Ready pod/pod-hello --timeout=120s
kubectl get pod,svc,ep --show-labels
kubectl describe svc pod-hello | grep -i selector
kubectl describe pod pod-hello | grep -i ip:
mk8s service list
SVC_IP=$(kubectl get svc pod-hello -o jsonpath='{.spec.clusterIP}')
for _ in $(seq 1 50); do kubectl exec pod-hello -- curl -s -m 2 "$SVC_IP" && break; sleep 0.2; done

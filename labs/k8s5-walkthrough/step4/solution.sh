#!/bin/bash
set -e
kubectl create deployment deploy-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --replicas=3 --dry-run=client -o yaml | kubectl apply -f -
kubectl expose deployment deploy-hello-echo --type=LoadBalancer --dry-run=client -o yaml | kubectl apply -f -
kubectl rollout status deploy/deploy-hello-echo --timeout=120s
LB=
for _ in $(seq 1 50); do
  LB=$(kubectl get svc deploy-hello-echo -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
  [ -n "$LB" ] && break
  sleep 0.2
done
kubectl get pod,svc,ep,deploy -l app=deploy-hello-echo --show-labels
mk8s service list
for _ in $(seq 1 50); do curl -s -m 2 "$LB:8080" >/dev/null && break; sleep 0.2; done
for i in 1 2 3 4 5 6; do curl -s -m 3 "$LB:8080" | head -1; done

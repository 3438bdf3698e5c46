#!/bin/bash
set -e
. ./lib.sh
P=$(kubectl get pods -l app=myapp -o jsonpath='{.items[0].metadata.name}')
kubectl get pod "$P" -o yaml | grep podIP:
IP=$(kubectl get pod "$P" -o jsonpath='{.status.podIP}')
kubectl exec "$P" -- sh -c 'echo "Hello from $(hostname)" > /usr/share/nginx/html/name.txt'
kubectl exec basic-pod -- curl -s "http://$IP" | head -4
kubectl exec basic-pod -- curl -s "http://$IP/name.txt" > "$WORK/from-basic-pod.txt"
cat "$WORK/from-basic-pod.txt"
kubectl delete pod "$P"
kubectl rollout status deploy/basic-deployment-name --timeout=120s
kubectl get pods -l app=myapp -o wide
kubectl exec basic-pod -- curl -s -m 3 "http://$IP" || echo "no answer from $IP"

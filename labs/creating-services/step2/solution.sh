#!/bin/bash
set -e
. ./lib.sh
for p in $(kubectl get pods -l app=myapp -o name); do
  kubectl exec "$p" -- sh -c 'echo "Hello from $(hostname)" > /usr/share/nginx/html/name.txt'
done
kubectl port-forward deployment/basic-deployment-name 8081:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do
  curl -sf -m 2 http://127.0.0.1:8081/name.txt -o "$WORK/deployment.txt" && break
  sleep 0.2
done
kill "$PF"
cat "$WORK/deployment.txt"

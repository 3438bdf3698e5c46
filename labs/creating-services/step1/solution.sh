#!/bin/bash
set -e
. ./lib.sh
kubectl apply -f basic-deployment.yml -f basic-pod.yml
kubectl rollout status deploy/basic-deployment-name --timeout=120s
kubectl wait --for=condition=Ready pod/basic-pod --timeout=120s
kubectl get pods -o wide
kubectl port-forward pod/basic-pod 8080:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do
  curl -s -m 2 http://127.0.0.1:8080 -o "$WORK/pod.html" && break
  sleep 0.2
done
kill "$PF"
head -4 "$WORK/pod.html"

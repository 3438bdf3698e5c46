#!/bin/bash
set -e
. ./lib.sh
kubectl apply -f basic-deployment.yml -f basic-pod.yml
kubectl rollout status deploy/basic-deployment-name --timeout=120s
kubectl wait --for=condition=Ready pod/basic-pod --timeout=120s
kubectl get pods -o wide
# The local port must be free, or the answers would come from whatever holds it.
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then echo "port 8080 is in use on this machine: stop what listens there (ss -lntp | grep :8080)"; exit 1; fi
kubectl port-forward pod/basic-pod 8080:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do
  curl -s -m 2 http://127.0.0.1:8080 -o "$WORK/pod.html" && break
  sleep 0.2
done
# kubectl port-forward exits at once when the port is taken: then the answer came from something else.
kill -0 "$PF" 2>/dev/null || { echo "kubectl port-forward stopped: is port 8080 in use on this machine?"; exit 1; }
kill "$PF"
head -4 "$WORK/pod.html"

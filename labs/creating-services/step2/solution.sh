#!/bin/bash
set -e
. ./lib.sh
for p in $(kubectl get pods -l app=myapp -o name); do
  kubectl exec "$p" -- sh -c 'echo "Hello from $(hostname)" > /usr/share/nginx/html/name.txt'
done
# The local port must be free, or the answers would come from whatever holds it.
if (exec 3<>/dev/tcp/127.0.0.1/8081) 2>/dev/null; then echo "port 8081 is in use on this machine: stop what listens there (ss -lntp | grep :8081)"; exit 1; fi
kubectl port-forward deployment/basic-deployment-name 8081:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do
  curl -sf -m 2 http://127.0.0.1:8081/name.txt -o "$WORK/deployment.txt" && break
  sleep 0.2
done
# kubectl port-forward exits at once when the port is taken: then the answer came from something else.
kill -0 "$PF" 2>/dev/null || { echo "kubectl port-forward stopped: is port 8081 in use on this machine?"; exit 1; }
kill "$PF"
cat "$WORK/deployment.txt"

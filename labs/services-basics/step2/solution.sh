#!/bin/bash
set -e
. ./lib.sh
POD=$(kubectl get po -l app=benjamintoll -o jsonpath='{.items[0].metadata.name}')
# The local port must be free, or the answers would come from whatever holds it.
if (exec 3<>/dev/tcp/127.0.0.1/8090) 2>/dev/null; then echo "port 8090 is in use on this machine: stop what listens there (ss -lntp | grep :8090)"; exit 1; fi
kubectl port-forward "$POD" 8090:80 >/dev/null 2>&1 &
PF=$!
# Wait until the forward answers (it starts listening within a second or so).
for _ in $(seq 1 50); do
  curl -s -m 2 http://127.0.0.1:8090 -o "$WORK/page.html" && break
  sleep 0.2
done
# kubectl port-forward exits at once when the port is taken: then the answer came from something else.
kill -0 "$PF" 2>/dev/null || { echo "kubectl port-forward stopped: is port 8090 in use on this machine?"; exit 1; }
kill "$PF"
cat "$WORK/page.html"

#!/bin/bash
set -e
. ./lib.sh
POD=$(kubectl get po -l app=benjamintoll -o jsonpath='{.items[0].metadata.name}')
kubectl port-forward "$POD" 8090:80 >/dev/null 2>&1 &
PF=$!
# Wait until the forward answers (it starts listening within a second or so).
for _ in $(seq 1 50); do
  curl -s -m 2 http://127.0.0.1:8090 -o "$WORK/page.html" && break
  sleep 0.2
done
kill "$PF"
cat "$WORK/page.html"

#!/bin/bash
set -e
. ./lib.sh
kubectl apply -f kernoapp-headless.yaml
kubectl get svc kernoapp kernoapp-headless
kubectl exec toolbox -- nslookup kernoapp
# The DNS answers once the endpoints are there.
for _ in $(seq 1 50); do
  kubectl exec toolbox -- nslookup kernoapp-headless > "$WORK/headless.txt" && [ "$(grep -c '^Address: ' "$WORK/headless.txt")" -ge 4 ] && break
  sleep 0.2
done
cat "$WORK/headless.txt"
kubectl get pod -l app=kernoApp -o wide

#!/bin/bash
set -e
kubectl apply -f node-port-service.yml
kubectl get all
kubectl get all --show-labels
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  # The node's proxy writes the rules within a moment of the Service's creation.
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:30001" | grep title && break; sleep 0.2; done
done
# The local port must be free, or the answers would come from whatever holds it.
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then echo "port 8080 is in use on this machine: stop what listens there (ss -lntp | grep :8080)"; exit 1; fi
kubectl port-forward service/myapp 8080:80 >/dev/null 2>&1 &
PF=$!
for _ in $(seq 1 50); do curl -s -m 2 http://127.0.0.1:8080 | grep title && break; sleep 0.2; done
# kubectl port-forward exits at once when the port is taken: then the answer came from something else.
kill -0 "$PF" 2>/dev/null || { echo "kubectl port-forward stopped: is port 8080 in use on this machine?"; exit 1; }
kill "$PF"

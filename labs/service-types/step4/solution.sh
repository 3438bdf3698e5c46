#!/bin/bash
set -e
kubectl create service nodeport kernoapp-bad --tcp=80:8080 --node-port=29999 || echo "(refused, as expected)"
kubectl apply -f kernoapp-nodeport.yaml
kubectl get svc kernoapp-nodeport
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:30080" | head -1 | grep . && break; sleep 0.2; done
done

#!/bin/bash
set -e
# What `kubectl edit svc pod-hello` does when the learner changes the type.
kubectl patch svc pod-hello -p '{"spec":{"type":"NodePort"}}'
kubectl get pod,svc,ep --show-labels
mk8s service list
NP=$(kubectl get svc pod-hello -o jsonpath='{.spec.ports[0].nodePort}')
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  for _ in $(seq 1 50); do curl -s -m 2 "$ip:$NP" && break; sleep 0.2; done
done

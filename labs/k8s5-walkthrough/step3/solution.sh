#!/bin/bash
set -e
kubectl delete pod pod-hello-echo --ignore-not-found --now
kubectl delete svc pod-hello-echo --ignore-not-found
kubectl run pod-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --expose=true
kubectl wait --for=condition=Ready pod/pod-hello-echo --timeout=120s
kubectl get pod,svc,ep --show-labels
kubectl describe svc pod-hello-echo | grep -i selector
mk8s service list
mk8s service pod-hello-echo
# What `kubectl edit svc pod-hello-echo` does when the learner changes the type.
kubectl patch svc pod-hello-echo -p '{"spec":{"type":"NodePort"}}'
mk8s service pod-hello-echo
NP=$(kubectl get svc pod-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
NODE=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
for _ in $(seq 1 50); do curl -s -m 2 "$NODE:$NP" && break; sleep 0.2; done

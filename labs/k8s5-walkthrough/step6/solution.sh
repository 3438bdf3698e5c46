#!/bin/bash
set -e
kubectl exec pod-hello -- env | grep _SERVICE_HOST | sort
kubectl run client --image=nicolaka/netshoot --dry-run=client -o yaml | kubectl apply -f -
kubectl wait --for=condition=Ready pod/client --timeout=120s
kubectl exec client -- env | grep DEPLOY_HELLO_ECHO
kubectl exec client -- sh -c 'wget -qO- http://$DEPLOY_HELLO_ECHO_SERVICE_HOST:$DEPLOY_HELLO_ECHO_SERVICE_PORT | head -1'
kubectl exec client -- nslookup deploy-hello-echo.default.svc.cluster.local
kubectl exec client -- curl -s -m 3 deploy-hello-echo.default.svc.cluster.local:8080 | head -1
mk8s service list

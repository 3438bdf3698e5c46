#!/bin/bash
set -e
kubectl create deployment web --image=pbitty/hello-from
kubectl expose deployment web --port=80
kubectl rollout status deploy/web --timeout=120s
kubectl get svc web

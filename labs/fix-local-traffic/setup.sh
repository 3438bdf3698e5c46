# The broken setup: one pod behind a NodePort Service with
# externalTrafficPolicy: Local. The node without the pod drops the traffic.
set -euo pipefail
kubectl apply -f deployment.yaml -f service.yaml
kubectl rollout status deployment/hello --timeout=150s
kubectl get pods -l app=hello -o wide

# The broken setup: the tutorial's echo-server Deployment (it listens on
# 8080) behind a hand-written NodePort Service that targets port 80.
set -euo pipefail
kubectl apply -f deployment.yaml -f service.yaml
kubectl rollout status deployment/deploy-hello-echo --timeout=150s

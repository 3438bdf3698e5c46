set -euo pipefail
kubectl get pods -l app=myapp
kubectl rollout undo deployment/basic-deployment-name
kubectl rollout status deployment/basic-deployment-name --timeout=150s
kubectl get pods -l app=myapp

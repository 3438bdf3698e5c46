# The broken setup: the tutorial's Deployment and a ClusterIP Service whose
# selector has a typo (app=benjamintol). Waits until the pods run so the
# learner meets the symptom at once.
set -euo pipefail
kubectl apply -f deployment.yaml -f service.yaml
kubectl rollout status deployment/benjamintoll --timeout=150s

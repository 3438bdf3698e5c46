set -euo pipefail
kubectl get endpoints myapp -o yaml
kubectl describe pods -l app=myapp | grep -i unhealthy || true
kubectl patch deployment basic-deployment-name --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/"}]'
kubectl rollout status deployment/basic-deployment-name --timeout=150s
kubectl get endpoints myapp

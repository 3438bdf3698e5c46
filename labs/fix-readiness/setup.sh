# The broken setup: nginx pods whose readinessProbe asks for /healthz (404
# from nginx), behind a NodePort Service. Waits until the probe has got its
# 404 on every pod, so the learner meets the symptom at once.
set -euo pipefail
kubectl apply -f deployment.yaml -f service.yaml
for _ in $(seq 1 120); do
  pods=$(kubectl get pods -l app=myapp -o jsonpath='{.items[*].metadata.name}')
  failed=0 n=0
  for p in $pods; do
    n=$((n + 1))
    kubectl get events --field-selector "involvedObject.name=$p,reason=Unhealthy" -o jsonpath='{.items[*].message}' 2>/dev/null | grep statuscode >/dev/null && failed=$((failed + 1))
  done
  [ "$n" -ge 2 ] && [ "$failed" -eq "$n" ] && break
  sleep 0.5
done
kubectl get pods -l app=myapp

# The broken setup: Service `db` in namespace backend; in namespace
# frontend, `web` calls http://$DB_HOST:8080 with DB_HOST=db from its
# ConfigMap, a short name that resolves only inside namespace backend.
set -euo pipefail
kubectl apply -f backend.yaml
kubectl apply -f frontend.yaml
kubectl rollout status deployment/db -n backend --timeout=150s
kubectl rollout status deployment/web -n frontend --timeout=150s

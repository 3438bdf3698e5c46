set -euo pipefail
kubectl logs -n frontend deployment/web --tail=4
kubectl exec -n frontend deployment/web -- cat /etc/resolv.conf
kubectl get svc -A --field-selector metadata.name=db
kubectl patch configmap web-config -n frontend -p '{"data":{"DB_HOST":"db.backend"}}'
kubectl rollout restart deployment/web -n frontend
kubectl rollout status deployment/web -n frontend --timeout=150s
kubectl exec -n frontend deployment/web -- sh -c 'nslookup "$DB_HOST" && curl -sS -m 3 "http://$DB_HOST:8080/"'

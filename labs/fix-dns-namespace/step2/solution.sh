set -euo pipefail
kubectl logs -n frontend report --tail=2
kubectl create service externalname db -n frontend --external-name db.backend.svc.cluster.local --dry-run=client -o yaml | kubectl apply -f -
kubectl get svc -n frontend db
kubectl exec -n frontend report -- nslookup db
kubectl exec -n frontend report -- curl -sS -m 3 http://db:8080/

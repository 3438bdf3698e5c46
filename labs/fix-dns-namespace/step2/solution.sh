set -euo pipefail
kubectl logs -n frontend report --tail=2
kubectl create service externalname db -n frontend --external-name db.backend.svc.cluster.local --dry-run=client -o yaml | kubectl apply -f -
kubectl get svc -n frontend db
# Until the cluster DNS has the new name.
for _ in $(seq 1 40); do kubectl exec -n frontend report -- nslookup db 2>/dev/null | grep "^Address: [0-9]" >/dev/null && break; sleep 0.5; done
kubectl exec -n frontend report -- nslookup db
kubectl exec -n frontend report -- curl -sS -m 3 http://db:8080/

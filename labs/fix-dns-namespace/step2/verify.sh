# From pod `report` itself: the short name `db` resolves in namespace
# frontend (a real lookup) and a request to http://db:8080 is served.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
if [ -z "$(live_pod frontend app=report)" ]; then echo "Pod \`report\` is not running in namespace frontend: start over with mk8s lab reset"; exit 1; fi
type=$(kubectl get svc db -n frontend -o jsonpath='{.spec.type}' 2>/dev/null)
if [ -z "$type" ]; then
  echo "Namespace \`frontend\` has no Service \`db\`, so pod \`report\` (which calls http://db:8080, baked into its image) looks up db.frontend.svc.cluster.local: NXDOMAIN; create an ExternalName Service db there pointing at db.backend.svc.cluster.local"; exit 1
fi
if [ "$type" != ExternalName ]; then
  echo "Service \`db\` in namespace frontend is a $type: its selector can only pick pods of namespace frontend, and db runs in backend; make it type ExternalName with externalName db.backend.svc.cluster.local"; exit 1
fi
target=$(kubectl get svc db -n frontend -o jsonpath='{.spec.externalName}')
r=$(kubectl exec -n frontend report -- nslookup db 2>&1)
if ! printf '%s' "$r" | grep -q '^Address: [0-9]'; then
  echo "nslookup db from pod \`report\` fails: $(printf '%s' "$r" | last_line) (Service db in frontend points at \`$target\`; use the full name db.backend.svc.cluster.local)"; exit 1
fi
out=$(kubectl exec -n frontend report -- curl -sS -m 3 http://db:8080/ 2>&1)
case "$out" in
  *"Request served by db-"*) ;;
  *) echo "db resolves from pod \`report\` (via $target), but curl http://db:8080/ does not reach the backend: $(printf '%s' "$out" | last_line)"; exit 1 ;;
esac

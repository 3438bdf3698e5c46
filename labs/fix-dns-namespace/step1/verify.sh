# From the client pod itself: its DB_HOST resolves (a real lookup) and a
# request to http://$DB_HOST:8080 is served by the backend.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
pod=$(live_pod frontend app=web)
if [ -z "$pod" ]; then echo "No running pod of Deployment \`web\` in namespace frontend (kubectl get pods -n frontend)"; exit 1; fi
cm=$(kubectl get configmap web-config -n frontend -o jsonpath='{.data.DB_HOST}' 2>/dev/null)
host=$(kubectl exec -n frontend "$pod" -- sh -c 'echo "$DB_HOST"' 2>/dev/null)
if [ -z "$host" ]; then echo "Pod \`$pod\` has no DB_HOST: keep envFrom configMapRef web-config in Deployment web"; exit 1; fi
case "$host" in
  *.*) ;;
  *)
    # A short name: the first name the pod's resolver tries is in its own namespace.
    r=$(kubectl exec -n frontend "$pod" -- nslookup "$host.frontend.svc.cluster.local" 2>&1)
    if ! printf '%s' "$r" | grep -q '^Address: [0-9]'; then
      if [ -n "$cm" ] && [ "$cm" != "$host" ]; then
        echo "ConfigMap web-config says DB_HOST=$cm, but pod \`$pod\` still runs with DB_HOST=$host: environment variables are read when the container starts (kubectl rollout restart deployment/web -n frontend)"; exit 1
      fi
      echo "Pod \`$pod\` (namespace frontend) looks up \`$host\`, which its search list makes $host.frontend.svc.cluster.local: NXDOMAIN; Service \`$host\` is in namespace backend, so DB_HOST must be $host.backend (or $host.backend.svc.cluster.local)"; exit 1
    fi ;;
esac
r=$(kubectl exec -n frontend "$pod" -- nslookup "$host" 2>&1)
if ! printf '%s' "$r" | grep -q '^Address: [0-9]'; then
  if [ -n "$cm" ] && [ "$cm" != "$host" ]; then
    echo "ConfigMap web-config says DB_HOST=$cm, but pod \`$pod\` still runs with DB_HOST=$host: environment variables are read when the container starts (kubectl rollout restart deployment/web -n frontend)"; exit 1
  fi
  echo "nslookup $host from pod \`$pod\` fails: $(printf '%s' "$r" | last_line) (Service db is in namespace backend: db.backend or db.backend.svc.cluster.local)"; exit 1
fi
out=$(kubectl exec -n frontend "$pod" -- curl -sS -m 3 "http://$host:8080/" 2>&1)
case "$out" in
  *"Request served by db-"*) ;;
  *) echo "$host resolves from pod \`$pod\`, but curl http://$host:8080/ does not reach the backend: $(printf '%s' "$out" | last_line)"; exit 1 ;;
esac

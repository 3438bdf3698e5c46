# Shared by this lab's verify scripts (sourced).
dep=basic-deployment-name
svc=myapp

# The last "Readiness probe failed" message of a pod, from its Events.
probe_failure() {
  kubectl get events --field-selector "involvedObject.name=$1,reason=Unhealthy" --sort-by=.lastTimestamp -o jsonpath='{.items[-1:].message}' 2>/dev/null
}

# How a pod's readinessProbe asks: "GET /path on port N" or its kind.
probe_desc() {
  kubectl get pod "$1" -o jsonpath='{.spec.containers[0].readinessProbe.httpGet.path} {.spec.containers[0].readinessProbe.httpGet.port} {.spec.containers[0].readinessProbe.tcpSocket.port}' 2>/dev/null | {
    read -r a b c
    if [ -n "$b" ]; then echo "GET $a on port $b"; elif [ -n "$a" ] && [ -z "$b" ]; then echo "a TCP connect to port $a"; else echo "its readinessProbe"; fi
  }
}

# Not-ready, not-terminating pods of the app, newest first.
unready_pods() {
  kubectl get pods -l app=myapp --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.metadata.name}|{.metadata.deletionTimestamp}|{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    awk -F'|' '$2 == "" && $3 != "True" { print $1 }' | tac
}

# Exit 1 unless a request to the NodePort from this machine gets nginx.
check_traffic() {
  local node nport out
  node=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
  nport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].nodePort}' 2>/dev/null)
  if [ -z "$nport" ]; then echo "Service \`$svc\` is gone or has no nodePort: start over with mk8s lab reset"; exit 1; fi
  out=$(curl -sS -m 3 "http://$node:$nport/" 2>&1)
  case "$out" in
    *"Welcome to nginx!"*) ;;
    *) echo "curl http://$node:$nport (the NodePort of \`$svc\`) does not get nginx's page: $(printf '%s' "$out" | tail -n 1)"; exit 1 ;;
  esac
}

# Exit 1 unless the Deployment keeps a readinessProbe.
check_has_probe() {
  if [ -z "$(kubectl get deployment "$dep" -o jsonpath='{.spec.template.spec.containers[0].readinessProbe}')" ]; then
    echo "Deployment \`$dep\` has no readinessProbe any more: the pods would count as ready before nginx answers; keep the probe and point it at a page that answers (GET / on port 80)"; exit 1
  fi
}

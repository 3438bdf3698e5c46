# Shared by this lab's verify scripts (sourced): the node URL of the
# Service and a request through it from this machine, and what is wrong
# with the Service's ports, as a learner would read it.
svc=deploy-hello-echo

# Exit 1 with a reason unless the Service exists, has endpoints, and its
# endpoints' port is a port the pods declare.
check_ports() {
  if ! kubectl get svc "$svc" >/dev/null 2>&1; then echo "Service \`$svc\` is gone: start over with mk8s lab reset"; exit 1; fi
  local eps eport tport cports
  eps=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
  tport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].targetPort}')
  if [ -z "$eps" ]; then
    echo "Service \`$svc\` has no endpoints: no ready pod matches its selector with a port \`$tport\` (kubectl get endpoints $svc; kubectl describe svc $svc)"; exit 1
  fi
  eport=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[0].ports[0].port}')
  # The ports declared by the pod behind the first endpoint.
  local epod
  epod=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[0].addresses[0].targetRef.name}')
  cports=$(kubectl get pod "$epod" -o jsonpath='{.spec.containers[*].ports[*].containerPort}' 2>/dev/null)
  case " $cports " in
    *" $eport "*) ;;
    *) echo "Service \`$svc\` sends traffic to port $eport of its pods (targetPort: $tport), but the container listens on ${cports:-no declared port}: nothing answers on $eport, so connections are refused"; exit 1 ;;
  esac
}

# Exit 1 with a reason unless a request to the node port from this machine
# is served by a pod of the Deployment.
check_traffic() {
  local node nport out
  node=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
  nport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].nodePort}')
  if [ -z "$nport" ]; then echo "Service \`$svc\` has no nodePort any more: keep it type NodePort"; exit 1; fi
  out=$(curl -sS -m 3 "http://$node:$nport/" 2>&1)
  case "$out" in
    *"Request served by deploy-hello-echo-"*) ;;
    *) echo "curl http://$node:$nport (the NodePort) is not served by the app: $(printf '%s' "$out" | tail -n 1)"; exit 1 ;;
  esac
}

# Shared by this lab's verify scripts (sourced).
svc=hello

# "name ip" of every node, one a line.
nodes() {
  kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'
}

# Names of the nodes where a Ready pod of the app runs (from the Service's EndpointSlices).
nodes_with_endpoints() {
  kubectl get endpointslices -l kubernetes.io/service-name="$svc" -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.nodeName}{"\n"}{end}' | sort -u
}

# Exit 1 unless every node's NodePort answers from this machine. With
# $1 = local, also require the answer to come from a pod on that very node.
check_every_node() {
  local nport name ip out pod podnode where
  nport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].nodePort}' 2>/dev/null)
  if [ -z "$nport" ]; then echo "Service \`$svc\` is gone or has no nodePort: start over with mk8s lab reset"; exit 1; fi
  local policy; policy=$(kubectl get svc "$svc" -o jsonpath='{.spec.externalTrafficPolicy}')
  where=$(kubectl get pods -l app=hello --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{end}')
  where=${where% }
  while read -r name ip; do
    out=$(curl -sS -m 2 "http://$ip:$nport/" 2>&1)
    case "$out" in
      "Hello from "*) ;;
      *)
        why=$(printf '%s' "$out" | tail -n 1)
        if [ "$policy" = Local ] && ! nodes_with_endpoints | grep -qx "$name"; then
          echo "NodePort $nport on node $name ($ip) drops the connection ($why): Service \`$svc\` has externalTrafficPolicy: Local and no Ready pod of it runs on $name (its pods run on: ${where:-no node})"; exit 1
        fi
        echo "curl http://$ip:$nport (node $name) does not get the app: $why"; exit 1 ;;
    esac
    if [ "${1:-}" = local ]; then
      pod=$(printf '%s' "$out" | sed -n 's/^Hello from \([^ ]*\).*/\1/p')
      podnode=$(kubectl get pod "$pod" -o jsonpath='{.spec.nodeName}' 2>/dev/null)
      if [ "$podnode" != "$name" ]; then echo "Node $name answered from pod $pod on node ${podnode:-?}: with externalTrafficPolicy: Local a node only uses its own pods"; exit 1; fi
    fi
  done < <(nodes)
}

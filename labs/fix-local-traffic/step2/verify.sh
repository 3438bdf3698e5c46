# Local again, a Ready pod on every node, and each node answers from its own pod.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
policy=$(kubectl get svc "$svc" -o jsonpath='{.spec.externalTrafficPolicy}' 2>/dev/null)
if [ "$policy" != Local ]; then echo "Service \`$svc\` has externalTrafficPolicy: ${policy:-?}: every node answers, but the app sees a node's address instead of the client's; set it back to Local and run a pod on every node"; exit 1; fi
check_every_node local

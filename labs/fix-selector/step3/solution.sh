set -euo pipefail
kubectl get pods -l app=benjamintoll -o wide --show-labels
if kubectl get pod benjamintoll-debug >/dev/null 2>&1; then
  kubectl label pod benjamintoll-debug app=benjamintoll-debug --overwrite
fi
debug_ip=$(kubectl get pod benjamintoll-debug -o jsonpath='{.status.podIP}' 2>/dev/null || true)
# Wait until the endpoints controller has dropped it.
for _ in $(seq 1 60); do
  [ -n "$debug_ip" ] || break
  case " $(kubectl get endpoints benjamintoll -o jsonpath='{.subsets[*].addresses[*].ip}') " in
    *" $debug_ip "*) sleep 0.5 ;;
    *) break ;;
  esac
done
kubectl get endpoints benjamintoll

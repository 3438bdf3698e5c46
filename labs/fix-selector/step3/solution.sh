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
# Until kube-proxy has dropped it too: 6 answers in a row from the blog.
for _ in $(seq 1 20); do
  ok=1
  for i in 1 2 3 4 5 6; do kubectl exec client -- curl -s -m 2 http://benjamintoll:8080 | grep "Hello from benjamintoll-" >/dev/null || { ok=0; break; }; done
  [ $ok = 1 ] && break
  sleep 0.5
done

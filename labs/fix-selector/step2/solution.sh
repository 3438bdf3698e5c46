set -euo pipefail
kubectl get endpoints benjamintoll
kubectl get pods --show-labels
kubectl patch svc benjamintoll -p '{"spec":{"selector":{"app":"benjamintoll"}}}'
# Wait until the endpoints controller has listed the pods.
for _ in $(seq 1 60); do
  [ -n "$(kubectl get endpoints benjamintoll -o jsonpath='{.subsets[*].addresses[*].ip}')" ] && break
  sleep 0.5
done
kubectl get endpoints benjamintoll
# Until kube-proxy has the new rules.
for _ in $(seq 1 40); do kubectl exec client -- curl -s -m 2 http://benjamintoll:8080 | grep "Hello from" >/dev/null && break; sleep 0.5; done
kubectl exec client -- curl -sS -m 3 http://benjamintoll:8080

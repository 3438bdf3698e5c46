set -euo pipefail
n=$(kubectl get nodes -o name | wc -l)
kubectl scale deployment hello --replicas="$n"
kubectl rollout status deployment/hello --timeout=150s
kubectl get pods -l app=hello -o wide
kubectl patch svc hello -p '{"spec":{"externalTrafficPolicy":"Local"}}'
# Wait until every node answers from its own pod.
nport=$(kubectl get svc hello -o jsonpath='{.spec.ports[0].nodePort}')
for _ in $(seq 1 40); do
  ok=1
  for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
    curl -s -m 1 "http://$ip:$nport/" >/dev/null || ok=0
  done
  [ $ok = 1 ] && break
  sleep 0.5
done
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do curl -sS -m 2 "http://$ip:$nport/"; done

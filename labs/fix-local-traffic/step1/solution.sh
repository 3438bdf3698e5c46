set -euo pipefail
kubectl get pods -l app=hello -o wide
kubectl get svc hello -o jsonpath='{.spec.externalTrafficPolicy}'; echo
kubectl patch svc hello -p '{"spec":{"externalTrafficPolicy":"Cluster"}}'
# Wait until every node's proxy forwards the NodePort.
nport=$(kubectl get svc hello -o jsonpath='{.spec.ports[0].nodePort}')
for ip in $(kubectl get nodes -o jsonpath='{.items[*].status.addresses[?(@.type=="InternalIP")].address}'); do
  for _ in $(seq 1 30); do curl -s -m 1 "http://$ip:$nport/" >/dev/null && break; sleep 0.5; done
  curl -sS -m 2 "http://$ip:$nport/"
done

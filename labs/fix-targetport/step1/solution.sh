set -euo pipefail
kubectl get endpoints deploy-hello-echo
kubectl logs deploy/deploy-hello-echo
kubectl patch svc deploy-hello-echo --type=json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":8080}]'
# Wait until the endpoints carry the new port.
for _ in $(seq 1 60); do
  [ "$(kubectl get endpoints deploy-hello-echo -o jsonpath='{.subsets[0].ports[0].port}')" = 8080 ] && break
  sleep 0.5
done
kubectl get endpoints deploy-hello-echo
# Until kube-proxy has the new rules: a request through the NodePort gets the app.
node=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
nport=$(kubectl get svc deploy-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
for _ in $(seq 1 40); do curl -s -m 2 "http://$node:$nport/" | grep 'Request served by deploy-hello-echo-' >/dev/null && break; sleep 0.5; done
curl -sS -m 3 "http://$node:$nport/"

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

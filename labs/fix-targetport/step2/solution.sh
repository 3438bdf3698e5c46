set -euo pipefail
name=$(kubectl get deployment deploy-hello-echo -o jsonpath='{.spec.template.spec.containers[0].ports[0].name}')
if [ "$name" != http ]; then
  kubectl patch deployment deploy-hello-echo --type=json -p '[{"op":"add","path":"/spec/template/spec/containers/0/ports/0/name","value":"http"}]'
fi
kubectl rollout status deployment/deploy-hello-echo --timeout=150s
kubectl patch svc deploy-hello-echo --type=json -p '[{"op":"replace","path":"/spec/ports/0/targetPort","value":"http"}]'
for _ in $(seq 1 60); do
  [ -n "$(kubectl get endpoints deploy-hello-echo -o jsonpath='{.subsets[*].addresses[*].ip}')" ] && break
  sleep 0.5
done
kubectl describe svc deploy-hello-echo
# Until kube-proxy has the new rules: a request through the NodePort gets the app.
node=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
nport=$(kubectl get svc deploy-hello-echo -o jsonpath='{.spec.ports[0].nodePort}')
for _ in $(seq 1 40); do curl -s -m 2 "http://$node:$nport/" | grep 'Request served by deploy-hello-echo-' >/dev/null && break; sleep 0.5; done
curl -sS -m 3 "http://$node:$nport/"

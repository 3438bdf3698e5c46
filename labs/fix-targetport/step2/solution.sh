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

set -euo pipefail
kubectl patch deployment deploy-hello-echo --type=json -p '[
  {"op":"replace","path":"/spec/template/spec/containers/0/ports/0/containerPort","value":9090},
  {"op":"add","path":"/spec/template/spec/containers/0/env","value":[{"name":"PORT","value":"9090"}]}
]'
kubectl rollout status deployment/deploy-hello-echo --timeout=150s
for _ in $(seq 1 60); do
  [ "$(kubectl get endpoints deploy-hello-echo -o jsonpath='{.subsets[0].ports[0].port}')" = 9090 ] && break
  sleep 0.5
done
kubectl get endpoints deploy-hello-echo

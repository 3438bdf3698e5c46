set -euo pipefail
kubectl get pods -l app=myapp
kubectl rollout undo deployment/basic-deployment-name
kubectl rollout status deployment/basic-deployment-name --timeout=150s
kubectl get pods -l app=myapp
# Until kube-proxy has the new rules: a request through the NodePort gets nginx's page.
node=$(kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
nport=$(kubectl get svc myapp -o jsonpath='{.spec.ports[0].nodePort}')
for _ in $(seq 1 40); do curl -s -m 2 "http://$node:$nport/" | grep 'Welcome to nginx!' >/dev/null && break; sleep 0.5; done
curl -sS -m 3 "http://$node:$nport/"

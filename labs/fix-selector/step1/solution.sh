set -euo pipefail
# The pod `kubectl run client --image=busybox -- sleep 3600` makes, with a
# 1 s grace period so that reset does not wait 30 s for it (client.yaml).
kubectl apply -f client.yaml
kubectl wait --for=condition=Ready pod/client --timeout=120s
kubectl exec client -- curl -sS -m 3 http://benjamintoll:8080 || true
kubectl exec client -- nslookup benjamintoll || true

# Step 3's breakage: a stray pod with the app's labels joins the Service.
set -euo pipefail
kubectl apply -f debug-pod.yaml
kubectl wait --for=condition=Ready pod/benjamintoll-debug --timeout=150s

# Step 2's breakage: a second client, `report`, with http://db:8080 baked in.
set -euo pipefail
kubectl apply -f report-pod.yaml
kubectl wait --for=condition=Ready pod/report -n frontend --timeout=150s

# Step 2's breakage: "release 2" moves the probe to port 8080 (where the app
# listened in staging). The rollout starts and sticks on the first new pod.
set -euo pipefail
kubectl patch deployment basic-deployment-name --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/port","value":8080}]'
for _ in $(seq 1 120); do
  new=$(kubectl get pods -l app=myapp --sort-by=.metadata.creationTimestamp -o jsonpath='{.items[-1:].metadata.name}')
  if [ -n "$new" ] && [ "$(kubectl get pod "$new" -o jsonpath='{.spec.containers[0].readinessProbe.httpGet.port}')" = 8080 ] &&
     [ -n "$(kubectl get events --field-selector "involvedObject.name=$new,reason=Unhealthy" -o name 2>/dev/null)" ]; then break; fi
  sleep 0.5
done
kubectl get pods -l app=myapp

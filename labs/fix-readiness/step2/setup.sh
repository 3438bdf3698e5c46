# Step 2's breakage: "release 2" moves the probe to port 8080 (where the app
# listened in staging). The rollout starts and sticks on the first new pod;
# wait until that pod's probe has failed once.
set -euo pipefail
kubectl patch deployment basic-deployment-name --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/port","value":8080}]'
for _ in $(seq 1 120); do
  seen=0
  for p in $(kubectl get pods -l app=myapp -o jsonpath='{range .items[?(@.spec.containers[0].readinessProbe.httpGet.port==8080)]}{.metadata.name}{" "}{end}'); do
    [ -n "$(kubectl get events --field-selector "involvedObject.name=$p,reason=Unhealthy" -o name 2>/dev/null)" ] && seen=1
  done
  [ $seen = 1 ] && break
  sleep 0.5
done
kubectl get pods -l app=myapp

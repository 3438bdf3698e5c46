# The Service has ready endpoints again (the probe answers), the probe is
# still there, and real traffic through the NodePort gets nginx.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
eps=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
if [ -z "$eps" ]; then
  pod=$(unready_pods | head -n 1)
  if [ -n "$pod" ]; then
    why=$(probe_failure "$pod")
    echo "Service \`$svc\` has no ready endpoints: pod \`$pod\` runs but is not Ready (${why:-its readinessProbe has not succeeded yet}; the probe asks for $(probe_desc "$pod"))"; exit 1
  fi
  echo "Service \`$svc\` has no ready endpoints, and no pod of app=myapp is waiting to become Ready (kubectl get pods -l app=myapp)"; exit 1
fi
check_has_probe
check_traffic

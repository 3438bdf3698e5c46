# The rollout has finished (every pod is of the current template and Ready),
# the probe is still there, and real traffic through the NodePort gets nginx.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
check_has_probe
read -r gen obs want upd ready total <<<"$(kubectl get deployment "$dep" -o jsonpath='{.metadata.generation} {.status.observedGeneration} {.spec.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.replicas}')"
if [ "${obs:-0}" -lt "${gen:-1}" ] || [ "${upd:-0}" != "$want" ] || [ "${ready:-0}" != "$want" ] || [ "${total:-0}" != "$want" ]; then
  pod=$(unready_pods | head -n 1)
  if [ -n "$pod" ]; then
    why=$(probe_failure "$pod")
    echo "Deployment \`$dep\` is stuck mid-rollout (${upd:-0} of $want pods updated, ${total:-0} running): new pod \`$pod\` never turns Ready (${why:-its readinessProbe has not succeeded yet}; the probe asks for $(probe_desc "$pod"))"; exit 1
  fi
  echo "Deployment \`$dep\` has not finished its rollout yet (${upd:-0} of $want pods updated, ${ready:-0} Ready, ${total:-0} running): kubectl rollout status deployment/$dep"; exit 1
fi
check_traffic

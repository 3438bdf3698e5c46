# The app listens on 9090, the Service (still targetPort: http) follows,
# and the NodePort answers.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
check_ports
tport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].targetPort}')
eport=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[0].ports[0].port}')
if [ "$eport" != 9090 ]; then echo "The endpoints of Service \`$svc\` still use port $eport: declare containerPort 9090 (named $tport) and set PORT=9090 in the Deployment"; exit 1; fi
case "$tport" in
  ''|*[!0-9]*) ;;
  *) echo "Service \`$svc\` now targets the number $tport: put back targetPort: http, the point is that the Service need not change"; exit 1 ;;
esac
if ! why=$(check_traffic); then
  listen=$(kubectl logs deploy/deploy-hello-echo 2>/dev/null | grep -o 'listening on :[0-9]*' | tail -n 1)
  if [ -n "$listen" ] && [ "$listen" != "listening on :9090" ]; then echo "The pods declare port 9090 but the app says \"$listen\" (kubectl logs): set the container's env PORT=9090"; exit 1; fi
  echo "$why"; exit 1
fi

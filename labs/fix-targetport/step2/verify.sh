# The Service's targetPort is a name that the Deployment's container port
# carries, and the NodePort still answers.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
tport=$(kubectl get svc "$svc" -o jsonpath='{.spec.ports[0].targetPort}')
case "$tport" in
  ''|*[!0-9]*) ;;
  *) echo "Service \`$svc\` still targets the port number $tport: name the container port in the Deployment (http), then set the Service's targetPort: http"; exit 1 ;;
esac
names=$(kubectl get deployment deploy-hello-echo -o jsonpath='{.spec.template.spec.containers[*].ports[*].name}')
case " $names " in
  *" $tport "*) ;;
  *) echo "Service \`$svc\` targets port \`$tport\`, but no container port of Deployment deploy-hello-echo has that name (names: ${names:-none})"; exit 1 ;;
esac
check_ports
check_traffic

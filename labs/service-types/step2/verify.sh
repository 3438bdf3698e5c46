#!/bin/bash
# Service my-service has two named ports (http 8080 → 80, https 8443 → 443)
# and each reaches its own server in the myapp Pods, from the toolbox.
. ./lib.sh
need_toolbox
get svc my-service >/dev/null || fail "There is no Service my-service yet: kubectl apply -f myapp-deployment.yaml -f multi_port.yaml"
ports=$(get svc my-service -o jsonpath='{range .spec.ports[*]}{.name}:{.port}>{.targetPort} {end}')
[ "$ports" = "http:8080>80 https:8443>443 " ] || fail "Service my-service's ports are \"$ports\"; multi_port.yaml has http 8080 → 80 and https 8443 → 443"
get deploy myapp >/dev/null || fail "There is no Deployment myapp yet: kubectl apply -f myapp-deployment.yaml"
ready=$(get deploy myapp -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 2 ] || fail "Deployment myapp has ${ready:-0} of 2 Pods ready; wait a moment (kubectl rollout status deploy/myapp)"
a=$(in_toolbox curl -s -m 3 http://my-service:8080/)
[[ $a == "Hello from myapp-"* ]] || fail "From the toolbox, my-service:8080 did not reach the web server on port 80 of a myapp Pod (${a:0:60})"
b=$(in_toolbox curl -s -m 3 http://my-service:8443/)
[[ $b == "Request served by myapp-"* ]] || fail "From the toolbox, my-service:8443 did not reach the server on port 443 of a myapp Pod (${b:0:60})"
exit 0

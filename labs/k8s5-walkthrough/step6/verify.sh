#!/bin/bash
# Pod client, created after Service deploy-hello-echo, has its environment
# variables (the Service's ClusterIP and port), and reaches it by its DNS name.
. ./lib.sh
[ "$(get pod client -o jsonpath='{.status.phase}')" = Running ] || fail "There is no running Pod client yet: kubectl run client --image=nicolaka/netshoot"
cip=$(get svc deploy-hello-echo -o jsonpath='{.spec.clusterIP}') || fail "There is no Service deploy-hello-echo (step 4)"
env=$(kubectl exec client -- env 2>/dev/null)
host=$(grep '^DEPLOY_HELLO_ECHO_SERVICE_HOST=' <<<"$env" | cut -d= -f2)
[ -n "$host" ] || fail "Pod client has no DEPLOY_HELLO_ECHO_SERVICE_HOST: it was created before the Service; delete it and run it again"
[ "$host" = "$cip" ] || fail "Pod client's DEPLOY_HELLO_ECHO_SERVICE_HOST is $host, but the Service's ClusterIP is $cip: the Service was re-created after the Pod; run the Pod again"
grep -q '^DEPLOY_HELLO_ECHO_SERVICE_PORT=8080$' <<<"$env" || fail "Pod client has no DEPLOY_HELLO_ECHO_SERVICE_PORT=8080"
out=$(kubectl exec client -- curl -s -m 3 http://deploy-hello-echo.default.svc.cluster.local:8080/ 2>&1)
[[ $out == "Request served by deploy-hello-echo-"* ]] || fail "From Pod client, deploy-hello-echo.default.svc.cluster.local:8080 did not answer (${out:0:60})"
exit 0

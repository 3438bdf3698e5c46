#!/bin/bash
# frontend-svc and my-service exist; Pod pod-hello runs behind ClusterIP
# Service pod-hello (selector run=pod-hello), whose endpoint is the Pod's IP:80
# and whose ClusterIP answers from inside the cluster.
. ./lib.sh
get svc frontend-svc >/dev/null || fail "There is no Service frontend-svc yet: kubectl apply -f service.yaml -f multiPortService.yaml"
get svc my-service >/dev/null || fail "There is no Service my-service yet: kubectl apply -f multiPortService.yaml"
[ "$(get pod pod-hello -o jsonpath='{.status.phase}')" = Running ] || fail "Pod pod-hello is not running yet: kubectl run pod-hello --image=pbitty/hello-from:latest --port=80 --expose=true"
sel=$(get svc pod-hello -o jsonpath='{.spec.selector.run}') || fail "There is no Service pod-hello: run the Pod with --expose=true (delete the Pod and run it again)"
[ "$sel" = pod-hello ] || fail "Service pod-hello does not select run=pod-hello"
pip=$(get pod pod-hello -o jsonpath='{.status.podIP}')
ep=$(get endpoints pod-hello -o jsonpath='{.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}')
[ "$ep" = "$pip:80" ] || fail "Service pod-hello's endpoint is \"$ep\", not the Pod's $pip:80; wait a moment"
ip=$(get svc pod-hello -o jsonpath='{.spec.clusterIP}')
out=$(kubectl exec pod-hello -- curl -s -m 3 "http://$ip/" 2>&1)
[[ $out == "Hello from pod-hello "* ]] || fail "The ClusterIP $ip of pod-hello did not answer from inside the cluster (${out:0:60})"
exit 0

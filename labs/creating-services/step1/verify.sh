#!/bin/bash
# basic-pod and the Deployment's 2 Pods run; pod.html is nginx's welcome page
# fetched through the port-forward.
. ./lib.sh
need_pods
ready=$(get deploy basic-deployment-name -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 2 ] || fail "Deployment basic-deployment-name has ${ready:-0} of 2 Pods ready; wait a moment (kubectl get pods)"
f="$WORK/pod.html"
[ -s "$f" ] || fail "There is no page in ~/mk8s-labs/creating-services/pod.html yet: fetch http://127.0.0.1:8080 through kubectl port-forward pod/basic-pod 8080:80"
grep -q 'Welcome to nginx!' "$f" || fail "pod.html is not nginx's welcome page; it starts: $(head -c 60 "$f" | tr '\n' ' ')"
exit 0

#!/bin/bash
# deployment.txt is name.txt of a running Pod of the Deployment, fetched
# through the port-forward: "Hello from <that pod>".
. ./lib.sh
need_pods
f="$WORK/deployment.txt"
[ -s "$f" ] || fail "There is nothing in ~/mk8s-labs/creating-services/deployment.txt yet: fetch /name.txt through kubectl port-forward deployment/basic-deployment-name 8081:80"
line=$(head -1 "$f")
[[ $line =~ ^Hello\ from\ ([a-z0-9.-]+)$ ]] || fail "deployment.txt should hold a Pod's name.txt (\"Hello from <pod>\"); it starts: ${line:0:60} (did every Pod get its name.txt?)"
pod=${BASH_REMATCH[1]}
running_pods | grep -qx "$pod" || fail "deployment.txt names $pod, which is not a running Pod of basic-deployment-name (now: $(running_pods | tr '\n' ' '))"
exit 0

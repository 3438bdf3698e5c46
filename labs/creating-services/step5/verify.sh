#!/bin/bash
# from-basic-pod.txt is the name.txt of a Pod of the Deployment's current
# ReplicaSet, fetched from basic-pod by Pod IP (the Pod may have been deleted since).
. ./lib.sh
need_pods
f="$WORK/from-basic-pod.txt"
[ -s "$f" ] || fail "There is nothing in ~/mk8s-labs/creating-services/from-basic-pod.txt yet: kubectl exec basic-pod -- curl -s http://<a Deployment Pod's IP>/name.txt > it"
line=$(head -1 "$f")
grep -q '404 Not Found' "$f" && fail "from-basic-pod.txt holds a 404 page: that Pod has no name.txt (made after step 2?); write it as the step shows and fetch again"
[[ $line =~ ^Hello\ from\ ([a-z0-9.-]+)$ ]] || fail "from-basic-pod.txt should hold a Deployment Pod's name.txt (\"Hello from <pod>\"); it starts: ${line:0:60}"
pod=${BASH_REMATCH[1]}
rs=$(get rs -l app=myapp -o jsonpath='{.items[*].metadata.name}')
for r in $rs; do [[ $pod == "$r-"* ]] && exit 0; done
fail "from-basic-pod.txt names $pod, which is not a Pod of Deployment basic-deployment-name (ReplicaSet ${rs:-none}): fetch it again"

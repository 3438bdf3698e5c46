# Pod `client` runs, is Ready, and has curl (so the next steps can use it).
phase=$(kubectl get pod client -o jsonpath='{.status.phase}' 2>/dev/null || true)
if [ -z "$phase" ]; then echo "There is no pod \`client\` yet: kubectl run client --image=busybox -- sleep 3600"; exit 1; fi
if [ -n "$(kubectl get pod client -o jsonpath='{.metadata.deletionTimestamp}')" ]; then echo "Pod `client` is being deleted: wait until it is gone, then start it again"; exit 1; fi
ready=$(kubectl get pod client -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
if [ "$ready" != "True" ]; then echo "Pod \`client\` is $phase but not Ready yet (kubectl get pod client; kubectl describe pod client)"; exit 1; fi
if ! kubectl exec client -- sh -c 'command -v curl' >/dev/null 2>&1; then echo "Pod \`client\` has no curl: run it from the busybox image (kubectl delete pod client, then kubectl run client --image=busybox -- sleep 3600)"; exit 1; fi

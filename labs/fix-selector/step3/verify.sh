# Every endpoint of the Service is a pod of the Deployment, and real traffic
# from pod `client` always gets the blog.
svc=benjamintoll
eps=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
if [ -z "$eps" ]; then echo "Service \`$svc\` has no endpoints at all now: its selector must stay app=benjamintoll (kubectl describe svc $svc)"; exit 1; fi
ours=" $(kubectl get pods -l app=benjamintoll,pod-template-hash -o jsonpath='{.items[*].status.podIP}') "
n=0; stray=""
for ip in $eps; do
  n=$((n + 1))
  case "$ours" in
    *" $ip "*) ;;
    *) name=$(kubectl get pods -o jsonpath="{range .items[?(@.status.podIP==\"$ip\")]}{.metadata.name}{end}")
       stray="$stray ${name:-$ip}" ;;
  esac
done
if [ -n "$stray" ]; then
  set -- $stray
  if [ $# -eq 1 ]; then echo "Service \`$svc\` still sends traffic to pod \`$1\`: it has the label app=benjamintoll but is not the Deployment's (1 of the Service's $n endpoints)"; exit 1; fi
  echo "Service \`$svc\` still sends traffic to pods \`$*\`: they have the label app=benjamintoll but are not the Deployment's ($# of the Service's $n endpoints)"; exit 1
fi
if ! kubectl get pod client >/dev/null 2>&1; then echo "Pod \`client\` is gone: start it again (kubectl run client --image=busybox -- sleep 3600) so the check can call the Service"; exit 1; fi
for i in 1 2 3 4 5 6; do
  out=$(kubectl exec client -- curl -sS -m 3 "http://$svc:8080" 2>&1)
  case "$out" in
    *"Hello from benjamintoll-"*) ;;
    *) echo "Request $i of 6 to http://$svc:8080 from pod \`client\` did not get the blog: $(printf '%s' "$out" | grep -v '^command terminated' | head -n 1)"; exit 1 ;;
  esac
done

# Real traffic: curl from pod `client` to http://benjamintoll:8080 answers
# from a pod of the Deployment. On failure, say why as kubectl shows it.
svc=benjamintoll
if ! kubectl get svc "$svc" >/dev/null 2>&1; then echo "Service \`$svc\` is gone: start over with mk8s lab reset"; exit 1; fi
sel=$(kubectl get svc "$svc" -o go-template='{{range $k, $v := .spec.selector}}{{$k}}={{$v}},{{end}}')
sel=${sel%,}
eps=$(kubectl get endpoints "$svc" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null)
if [ -z "$eps" ]; then
  if [ -z "$sel" ]; then echo "Service \`$svc\` has no selector, so no endpoints: give it the selector app=benjamintoll"; exit 1; fi
  n=$(kubectl get pods -l "$sel" -o name 2>/dev/null | wc -l)
  want=$(kubectl get deployment benjamintoll -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}' 2>/dev/null)
  if [ "$n" -eq 0 ]; then echo "Service \`$svc\` has no endpoints yet: its selector \`$sel\` matches no pod (the Deployment's pods have \`${want%,}\`)"; exit 1; fi
  echo "Service \`$svc\` has no endpoints yet: its selector \`$sel\` matches $n pod(s), none of them Ready"; exit 1
fi
if ! kubectl get pod client >/dev/null 2>&1; then echo "Pod \`client\` is gone: start it again (kubectl run client --image=busybox -- sleep 3600) so the check can call the Service"; exit 1; fi
out=$(kubectl exec client -- curl -sS -m 3 "http://$svc:8080" 2>&1)
case "$out" in
  *"Hello from benjamintoll-"*) exit 0 ;;
  *) echo "Service \`$svc\` has endpoints ($eps) but curl http://$svc:8080 from pod \`client\` does not get the site: $(printf '%s' "$out" | grep -v '^command terminated' | tail -n 1)"; exit 1 ;;
esac

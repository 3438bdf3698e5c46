#!/bin/bash
# Deployment kernoapp-prod has 4 ready Pods; ClusterIP Service kernoapp
# (80 → 8080) has them as endpoints and answers the toolbox Pod by name.
. ./lib.sh
get deploy kernoapp-prod >/dev/null || fail "There is no Deployment kernoapp-prod yet: kubectl apply -f kernoapp-deployment.yaml -f kernoapp-service.yaml"
type=$(get svc kernoapp -o jsonpath='{.spec.type}') || fail "There is no Service kernoapp yet: kubectl apply -f kernoapp-service.yaml"
[ "$type" = ClusterIP ] || fail "Service kernoapp is a $type; kernoapp-service.yaml gives no type, so it is a ClusterIP"
ready=$(get deploy kernoapp-prod -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 4 ] || fail "Deployment kernoapp-prod has ${ready:-0} of 4 Pods ready; wait a moment (kubectl get pod -o wide)"
eps=$(get endpoints kernoapp -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)
[ "$eps" -ge 4 ] || fail "Service kernoapp has $eps endpoint(s), not 4: its selector app=kernoApp must match the Pods' label"
need_toolbox
out=$(in_toolbox curl -s -m 3 http://kernoapp/)
[[ $out == "Request served by kernoapp-prod-"* ]] || fail "From the toolbox, http://kernoapp did not answer with a kernoapp-prod Pod's echo (${out:0:60})"
exit 0

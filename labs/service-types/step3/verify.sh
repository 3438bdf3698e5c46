#!/bin/bash
# kernoapp-headless has no ClusterIP; headless.txt (nslookup from the toolbox)
# lists exactly the IPs of the running kernoApp Pods.
. ./lib.sh
need_toolbox
cip=$(get svc kernoapp-headless -o jsonpath='{.spec.clusterIP}') || fail "There is no Service kernoapp-headless yet: kubectl apply -f kernoapp-headless.yaml"
[ "$cip" = None ] || fail "Service kernoapp-headless has ClusterIP $cip; a headless Service has clusterIP: None"
f="$WORK/headless.txt"
[ -s "$f" ] || fail "There is no DNS answer in ~/mk8s-labs/service-types/headless.txt yet: kubectl exec toolbox -- nslookup kernoapp-headless > it"
saved=$(grep '^Address: ' "$f" | awk '{print $2}' | sort)
want=$(kerno_ips)
[ -n "$saved" ] || fail "headless.txt holds no addresses: is it the output of nslookup kernoapp-headless?"
[ "$saved" = "$want" ] || fail "headless.txt lists $(echo $saved), but the kernoApp Pods' IPs are $(echo $want): look it up again"
now=$(in_toolbox nslookup kernoapp-headless | grep '^Address: ' | awk '{print $2}' | sort)
[ "$now" = "$want" ] || fail "The DNS answers kernoapp-headless with $(echo $now), not the Pod IPs $(echo $want)"
exit 0

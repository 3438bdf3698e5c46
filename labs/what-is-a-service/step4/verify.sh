#!/bin/bash
# chain.txt names the KUBE-SVC chain kube-proxy (mk8s' proxy) wrote for
# default/myserver:mynginx-http, as mk8s explain-route shows it.
. ./lib.sh
get svc myserver >/dev/null || fail "There is no Service myserver (step 2)"
f="$WORK/chain.txt"
[ -s "$f" ] || fail "There is no chain name in ~/mk8s-labs/what-is-a-service/chain.txt yet: find the KUBE-SVC-… chain of default/myserver:mynginx-http in KUBE-SERVICES"
saved=$(tr -d ' \t\r\n' < "$f")
want=$(mk8s explain-route svc/myserver 2>/dev/null | grep -o 'KUBE-SVC-[A-Z0-9]*' | head -1)
[ -n "$want" ] || fail "mk8s explain-route svc/myserver shows no KUBE-SVC chain; is the cluster's proxy running?"
[[ $saved == KUBE-SVC-* ]] || fail "chain.txt says \"${saved:0:40}\": the chain's name starts with KUBE-SVC-"
[ "$saved" = "$want" ] || fail "chain.txt says $saved, but the chain of default/myserver:mynginx-http is another one: look for the rule with that comment"
exit 0

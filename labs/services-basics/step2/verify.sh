#!/bin/bash
# ~/mk8s-labs/services-basics/page.html is a page one of the Pods of
# Deployment benjamintoll served: "Hello from <that pod> (<its IP>)".
. ./lib.sh
f="$WORK/page.html"
[ -s "$f" ] || fail "There is no page in ~/mk8s-labs/services-basics/page.html yet: fetch http://127.0.0.1:8090 through the port-forward into it"
line=$(head -1 "$f")
[[ $line =~ ^Hello\ from\ ([a-z0-9.-]+)\ \(([0-9.]+)\) ]] || fail "page.html does not hold the benjamintoll page (\"Hello from <pod> (<IP>)\"); it starts: ${line:0:60}"
pod=${BASH_REMATCH[1]} podip=${BASH_REMATCH[2]}
running_pods | grep -qx "$pod" || fail "page.html was served by Pod $pod, which does not run now (an older run?): port-forward to one of $(running_pods | tr '\n' ' ')and fetch it again"
[ "$(get pod "$pod" -o jsonpath='{.status.podIP}')" = "$podip" ] || fail "page.html names Pod $pod with IP $podip, but that Pod has another IP now: fetch the page again"
exit 0

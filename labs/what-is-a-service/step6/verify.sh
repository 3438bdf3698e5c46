#!/bin/bash
# Service myserver has sessionAffinity ClientIP: 8 requests from the toolbox
# are all answered by the same rc-demo Pod (its name.txt).
. ./lib.sh
need_toolbox
aff=$(get svc myserver -o jsonpath='{.spec.sessionAffinity}') || fail "There is no Service myserver (step 2)"
[ "$aff" = ClientIP ] || fail "Service myserver's sessionAffinity is ${aff:-None}: set it to ClientIP"
answers=$(for _ in 1 2 3 4 5 6 7 8; do in_toolbox curl -s -m 2 http://myserver/name.txt | head -1; echo; done | grep . | sort | uniq)
[ -n "$answers" ] || fail "From the toolbox, http://myserver/name.txt did not answer"
grep -q '^Hello from ' <<<"$answers" || fail "myserver/name.txt is not there in the Pod that answered: write name.txt in every nginx Pod (the for loop)"
[ "$(wc -l <<<"$answers")" = 1 ] || fail "Different answers to the same client: $(tr '\n' ';' <<<"$answers") (write name.txt in every Pod, and wait a moment after setting the affinity)"
pod=${answers#Hello from }
rc_pods | grep -qx "$pod" || fail "The answer names $pod, which is not a running Pod of rc-demo"
exit 0

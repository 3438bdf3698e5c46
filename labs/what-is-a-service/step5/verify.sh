#!/bin/bash
# rc-demo keeps 3 ready replicas and Service myserver has the 3 as endpoints.
. ./lib.sh
want=$(get rc rc-demo -o jsonpath='{.spec.replicas}') || fail "There is no ReplicationController rc-demo (step 2)"
[ "$want" -ge 3 ] || fail "rc-demo asks for $want replica(s): kubectl scale rc rc-demo --replicas=3"
ready=$(get rc rc-demo -o jsonpath='{.status.readyReplicas}')
[ "${ready:-0}" -ge 3 ] || fail "rc-demo has ${ready:-0} of $want replicas ready; wait a moment (kubectl get pods -l app=nginx)"
eps=$(get endpoints myserver -o jsonpath='{.subsets[*].addresses[*].ip}' | wc -w)
[ "$eps" -ge 3 ] || fail "Service myserver has $eps endpoint(s), not 3 yet; wait a moment (kubectl get endpoints myserver)"
exit 0

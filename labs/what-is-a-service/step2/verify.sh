#!/bin/bash
# Service myserver targets the named port nginxweb of rc-demo's Pod: its
# endpoint is the Pod's IP:80, and it answers the toolbox by name.
. ./lib.sh
get rc rc-demo >/dev/null || fail "There is no ReplicationController rc-demo yet: kubectl apply -f rc-demo-only.yaml -f myserver-svc.yaml"
tp=$(get svc myserver -o jsonpath='{.spec.ports[0].targetPort}') || fail "There is no Service myserver yet: kubectl apply -f myserver-svc.yaml"
[ "$tp" = nginxweb ] || fail "Service myserver's targetPort is $tp; myserver-svc.yaml refers to the port by its name, nginxweb"
pod=$(rc_pods | head -1)
[ -n "$pod" ] || fail "rc-demo has no running Pod yet; wait a moment (kubectl get pods)"
pip=$(get pod "$pod" -o jsonpath='{.status.podIP}')
get endpoints myserver -o jsonpath='{range .subsets[*]}{range .addresses[*]}{.ip}{" "}{end}:{.ports[0].port}{end}' | grep -q "$pip .*:80" || fail "Service myserver has no endpoint $pip:80 (the Pod's IP and the number nginxweb names); wait a moment"
need_toolbox
in_toolbox curl -s -m 3 http://myserver/ | grep -q 'Welcome to nginx!' || fail "From the toolbox, http://myserver did not answer with nginx's welcome page"
exit 0

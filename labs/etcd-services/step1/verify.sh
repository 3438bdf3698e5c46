#!/bin/bash
# Service web is a ClusterIP Service with an address and at least one ready endpoint.
. ./lib.sh
ip=$(get svc web -o jsonpath='{.spec.clusterIP}') || fail "There is no Service web yet: kubectl create deployment web --image=pbitty/hello-from && kubectl expose deployment web --port=80"
[ -n "$ip" ] && [ "$ip" != None ] || fail "Service web has no ClusterIP; expose the Deployment without --cluster-ip=None"
eps=$(get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{range .items[*].endpoints[?(@.conditions.ready==true)]}{.addresses[0]}{"\n"}{end}')
[ -n "$eps" ] || fail "Service web has no ready endpoint yet: is the Pod of Deployment web Running? (kubectl get po -l app=web)"
exit 0

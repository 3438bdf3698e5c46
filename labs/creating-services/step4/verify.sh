#!/bin/bash
# Service frontend is deleted; ExternalName Service external-service points
# at api.acmecorp.com, and the cluster DNS answers its name with that CNAME.
. ./lib.sh
need_pods
get svc frontend >/dev/null && fail "Service frontend still exists: kubectl delete -f file.service.yml"
type=$(get svc external-service -o jsonpath='{.spec.type}') || fail "There is no Service external-service yet: kubectl create -f external-service.yml"
[ "$type" = ExternalName ] || fail "Service external-service is a $type, not an ExternalName"
ext=$(get svc external-service -o jsonpath='{.spec.externalName}')
[ "$ext" = api.acmecorp.com ] || fail "Service external-service points at \"$ext\"; external-service.yml says api.acmecorp.com"
kubectl exec basic-pod -- nslookup external-service 2>/dev/null | grep -q 'canonical name = api\.acmecorp\.com' || fail "From basic-pod, the DNS did not answer external-service with a CNAME to api.acmecorp.com"
exit 0

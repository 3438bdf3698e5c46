#!/bin/bash
# external-service is an ExternalName for api.acmecorp.com and the cluster DNS
# answers it with that CNAME.
. ./lib.sh
need_toolbox
type=$(get svc external-service -o jsonpath='{.spec.type}') || fail "There is no Service external-service yet: kubectl apply -f external_name.yaml"
[ "$type" = ExternalName ] || fail "Service external-service is a $type, not an ExternalName"
in_toolbox dig +search +noall +answer external-service | grep -qi 'CNAME[[:space:]]*api\.acmecorp\.com\.' || fail "From the toolbox, the DNS does not answer external-service with a CNAME to api.acmecorp.com"
exit 0

#!/bin/bash
# ConfigMap metallb-system/config holds a MetalLB address pool with a range.
. ./lib.sh
get namespace metallb-system >/dev/null || fail "There is no namespace metallb-system yet: run ./support_load_balancing.sh with the pool's first address"
cfg=$(get cm -n metallb-system config -o jsonpath='{.data.config}') || fail "There is no ConfigMap config in namespace metallb-system yet: run ./support_load_balancing.sh"
grep -q '^address-pools:' <<<"$cfg" || fail "ConfigMap metallb-system/config has no address-pools: in its config key"
range=$(tail -1 <<<"$cfg" | awk '{ print $2 }')
[[ $range =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+|/[0-9]+)$ ]] || fail "The pool's addresses should be a range like A.B.C.93-A.B.C.103, not \"$range\""
exit 0

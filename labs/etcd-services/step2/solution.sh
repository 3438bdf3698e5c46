#!/bin/bash
set -e
. ./lib.sh
mk8s etcdctl get --prefix --keys-only /registry/services/specs/
mk8s etcdctl get "$KEY" --print-value-only > "$WORK/web.json"
cat "$WORK/web.json"

#!/bin/bash
set -e
. ./lib.sh
kubectl label svc web tier=frontend --overwrite
kubectl get svc web -o jsonpath='{.metadata.resourceVersion}{"\n"}'
mk8s etcdctl get "$KEY" -w fields | awk '/ModRevision/ {print $3}' > "$WORK/revision"
cat "$WORK/revision"

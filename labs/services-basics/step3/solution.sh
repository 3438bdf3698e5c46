#!/bin/bash
set -e
. ./lib.sh
POD=$(kubectl get po -l app=benjamintoll -o jsonpath='{.items[0].metadata.name}')
kubectl get po "$POD" -o jsonpath='{.metadata.ownerReferences}'; echo
kubectl get rs -owide
kubectl get po "$POD" -o jsonpath='{.metadata.ownerReferences[0].name}' > "$WORK/replicaset.txt"
RS=$(cat "$WORK/replicaset.txt")
kubectl get rs "$RS" -o jsonpath='{.metadata.ownerReferences}'; echo
kubectl get deployments benjamintoll -owide

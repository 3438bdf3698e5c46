#!/bin/bash
set -e
kubectl delete -f cluster_ip.yaml --ignore-not-found
kubectl delete -f deployment.yaml --cascade=orphan --ignore-not-found
# The garbage collector removes the ReplicaSet's ownerReference to the deleted Deployment.
RS=$(cat "$HOME/mk8s-labs/services-basics/replicaset.txt")
for _ in $(seq 1 50); do
  [ -z "$(kubectl get rs "$RS" -o jsonpath='{.metadata.ownerReferences[*].name}')" ] && break
  sleep 0.2
done
kubectl get deploy,rs,po

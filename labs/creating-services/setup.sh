#!/bin/bash
# The learner's folder, fresh: the tutorial's files, nothing saved by an earlier run.
. ./lib.sh
mkdir -p "$WORK"
rm -f "$WORK/pod.html" "$WORK/deployment.txt" "$WORK/from-basic-pod.txt"
cp basic-pod.yml basic-deployment.yml node-port-service.yml load-balancer-service.yml file.service.yml external-service.yml "$WORK/"

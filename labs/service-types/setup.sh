#!/bin/bash
# The learner's folder, fresh: the lab's files, nothing saved by an earlier run.
. ./lib.sh
mkdir -p "$WORK"
rm -f "$WORK/headless.txt"
cp kernoapp-deployment.yaml kernoapp-service.yaml myapp-deployment.yaml multi_port.yaml kernoapp-headless.yaml kernoapp-nodeport.yaml kernoapp-lb.yaml external_name.yaml "$WORK/"

#!/bin/bash
# The learner's folder, fresh: the tutorial's files, nothing saved by an earlier run.
. ./lib.sh
mkdir -p "$WORK"
rm -f "$WORK/chain.txt"
cp abcdocker-server.yaml mallh5web.yaml rc-demo-only.yaml myserver-svc.yaml myserver-nodeport.yaml "$WORK/"

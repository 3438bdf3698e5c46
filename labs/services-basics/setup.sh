#!/bin/bash
# The learner's folder, fresh: the tutorial's files, nothing saved by an earlier run.
. ./lib.sh
mkdir -p "$WORK"
rm -f "$WORK/page.html" "$WORK/replicaset.txt"
cp deployment.yaml cluster_ip.yaml node_port.yaml support_load_balancing.sh "$WORK/"
chmod +x "$WORK/support_load_balancing.sh"

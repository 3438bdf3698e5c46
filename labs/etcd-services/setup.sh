#!/bin/bash
# The learner's folder, fresh: nothing saved by an earlier run.
. ./lib.sh
mkdir -p "$WORK"
rm -f "$WORK/web.json" "$WORK/revision"

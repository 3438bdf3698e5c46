#!/bin/bash
# The learner's folder, fresh: the tutorial's files.
. ./lib.sh
mkdir -p "$WORK"
cp service.yaml multiPortService.yaml "$WORK/"

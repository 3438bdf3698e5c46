# Shared by this lab's scripts (they run in the lab's folder: `. ./lib.sh`).
# WORK is the learner's folder: the steps save what they read from etcd there.
WORK="$HOME/mk8s-labs/etcd-services"
KEY=/registry/services/specs/default/web

# Print the reason (one line, for the learner) and stop.
fail() { echo "$*"; exit 1; }

# A field of an object, empty when the object does not exist.
get() { kubectl get "$@" 2>/dev/null; }

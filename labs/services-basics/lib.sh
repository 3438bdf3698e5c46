# Shared by this lab's scripts (they run in the lab's folder: `. ./lib.sh`).
# WORK is the learner's folder: the intro's setup copies the tutorial's files
# there, and the steps save what they fetch there.
WORK="$HOME/mk8s-labs/services-basics"

# Print the reason (one line, for the learner) and stop.
fail() { echo "$*"; exit 1; }

# A field of an object, empty when the object does not exist.
get() { kubectl get "$@" 2>/dev/null; }

# The InternalIP of every node, one per line.
node_ips() { kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'; }

# Names of the Running pods with label app=benjamintoll, one per line.
running_pods() { kubectl get pods -l app=benjamintoll --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }

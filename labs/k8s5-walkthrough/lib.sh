# Shared by this lab's scripts (they run in the lab's folder: `. ./lib.sh`).
# WORK is the learner's folder: the intro's setup copies the tutorial's files there.
WORK="$HOME/mk8s-labs/k8s5-walkthrough"

# Print the reason (one line, for the learner) and stop.
fail() { echo "$*"; exit 1; }

# kubectl get, quiet when the object does not exist.
get() { kubectl get "$@" 2>/dev/null; }

# The InternalIP of every node, one per line.
node_ips() { kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'; }

# The InternalIP of node $1.
node_ip() { kubectl get node "$1" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}'; }

# Node names, one per line.
node_names() { kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }

# Shared by this lab's scripts (they run in the lab's folder: `. ./lib.sh`).
# WORK is the learner's folder: the intro's setup copies the tutorial's files
# there, and the steps save what they find there.
WORK="$HOME/mk8s-labs/what-is-a-service"

# Print the reason (one line, for the learner) and stop.
fail() { echo "$*"; exit 1; }

# kubectl get, quiet when the object does not exist.
get() { kubectl get "$@" 2>/dev/null; }

# The InternalIP of every node, one per line.
node_ips() { kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'; }

# The toolbox Pod must run: the checks look from inside the cluster through it.
need_toolbox() {
  [ "$(get pod toolbox -o jsonpath='{.status.phase}')" = Running ] || fail "Pod toolbox is not running: kubectl run toolbox --image=nicolaka/netshoot"
}

# Run a command in the toolbox.
in_toolbox() { kubectl exec toolbox -- "$@" 2>/dev/null; }

# Names of the Running Pods of rc-demo (label app=nginx), one per line.
rc_pods() { kubectl get pods -l app=nginx --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }

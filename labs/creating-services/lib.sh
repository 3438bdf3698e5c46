# Shared by this lab's scripts (they run in the lab's folder: `. ./lib.sh`).
# WORK is the learner's folder: the intro's setup copies the tutorial's files
# there, and the steps save what they fetch there.
WORK="$HOME/mk8s-labs/creating-services"

# Print the reason (one line, for the learner) and stop.
fail() { echo "$*"; exit 1; }

# kubectl get, quiet when the object does not exist.
get() { kubectl get "$@" 2>/dev/null; }

# The InternalIP of every node, one per line.
node_ips() { kubectl get nodes -o jsonpath='{range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}'; }

# Names of the Running pods of Deployment basic-deployment-name (label app=myapp), one per line.
running_pods() { kubectl get pods -l app=myapp --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }

# Fail unless the Deployment's Pods and basic-pod are up (the later steps use them).
need_pods() {
  get deploy basic-deployment-name >/dev/null || fail "There is no Deployment basic-deployment-name: kubectl apply -f basic-deployment.yml -f basic-pod.yml"
  [ "$(get pod basic-pod -o jsonpath='{.status.phase}')" = Running ] || fail "Pod basic-pod is not Running: kubectl apply -f basic-pod.yml"
}

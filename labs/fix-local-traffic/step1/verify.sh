# Real traffic: the NodePort answers on every node, from this machine.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
check_every_node

# The NodePort answers from this machine: the targetPort is a port the
# container listens on.
. "${MK8S_LAB_DIR:-.}/check-lib.sh"
check_ports
check_traffic

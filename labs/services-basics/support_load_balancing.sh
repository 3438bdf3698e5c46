#!/bin/bash
# The tutorial's support_load_balancing.sh, for mk8s: it makes MetalLB's
# (legacy, v0.9-style) address-pool ConfigMap for the range IP … IP+10.
# Usage: ./support_load_balancing.sh FIRST-IP   (an address of the node network)

set -ex

IP=${1:?give the first address of the pool, e.g. .93 of the node network}
# We're building an IP pool (a range).
# End result is, for 172.18.0.93:
#   - 172.18.0.93-172.18.0.103
LAST_OCTET="${IP##*.}"
ADD_TEN=$(( LAST_OCTET + 10 ))
IP_ADD_TEN="${IP%.*}.${ADD_TEN}"

# The tutorial installs kube-router and MetalLB from the internet here, and
# creates MetalLB's memberlist secret. mk8s needs none of that: its
# controllers allocate LoadBalancer IPs MetalLB-style and its proxy announces
# them on the node network, so nothing is installed. Only the namespace and
# the ConfigMap of address pools are made, as in the tutorial.
kubectl create namespace metallb-system --dry-run=client -o yaml | kubectl apply -f -

# Apply config map for address pools.
# https://metallb.universe.tf/configuration/
kubectl apply -f <(cat <<EOT
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: default
      protocol: layer2
      addresses:
      - ${IP}-${IP_ADD_TEN}
EOT
)

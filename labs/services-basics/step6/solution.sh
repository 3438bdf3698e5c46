#!/bin/bash
set -e
kubectl get no -owide
NODE_IP=$(kubectl get no -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
bash support_load_balancing.sh "${NODE_IP%.*}.93"
kubectl describe cm -n metallb-system config
kubectl get cm -n metallb-system config -o jsonpath='{.data.config}' | tail -1 | awk '{ print $2 }'

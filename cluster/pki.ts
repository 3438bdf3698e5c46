// The cluster's certificates that `mk8s up` makes before it starts anything:
// the cluster CA (in the apiserver's data dir, where the API server reads it)
// and one serving certificate per node, used by the node's kubelet stream
// server and its proxy's /rules (SANs: the node IP and name). The API server
// makes its own serving and kubelet-client certificates from the same CA.
import { join } from 'node:path';
import { apiServerSans, ensureCA, ensureKubeletClientCert, ensureNodeServingCert, ensureServingCerts } from '../apiserver/certs.js';
import type { ClusterLayout, NodeLayout } from './layout.js';

export interface NodeTlsPaths {
  cert: string;
  key: string;
  clientCA: string;
}

/** Where a node's certificate, key and the CA its agents accept clients from live (pure). */
export function nodeTlsPaths(dir: string, n: Pick<NodeLayout, 'name'>): NodeTlsPaths {
  return {
    cert: join(dir, 'pki', `kubelet-${n.name}.crt`),
    key: join(dir, 'pki', `kubelet-${n.name}.key`),
    clientCA: join(dir, 'apiserver', 'ca.crt'),
  };
}

/**
 * The CA and every node's serving certificate (kept when still valid for the
 * node, remade otherwise), and the API server's own two (serving, client to
 * the kubelets) as it would make them at start-up: all at once, their RSA
 * keys made on libuv's thread pool, instead of one after another here and
 * two more in the control plane's start.
 */
export async function ensureClusterPki(dir: string, l: ClusterLayout): Promise<void> {
  const apiDir = join(dir, 'apiserver');
  const ca = await ensureCA(apiDir);
  await Promise.all([
    ...l.nodes.map((n) => ensureNodeServingCert(join(dir, 'pki'), ca, n)),
    // The SANs of cluster/control-plane.ts: --bind is the host's bridge address, also given as an extra SAN.
    ensureServingCerts(apiDir, apiServerSans(l.options.serviceCidr, l.hostIp, [l.hostIp])),
    ensureKubeletClientCert(apiDir, ca),
  ]);
}

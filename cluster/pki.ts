// The cluster's certificates that `mk8s up` makes before it starts anything:
// the cluster CA (in the apiserver's data dir, where the API server reads it)
// and one serving certificate per node, used by the node's kubelet stream
// server and its proxy's /rules (SANs: the node IP and name). The API server
// makes its own serving and kubelet-client certificates from the same CA.
import { join } from 'node:path';
import { ensureCA, ensureNodeServingCert } from '../apiserver/certs.js';
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

/** The CA and every node's serving certificate (kept when still valid for the node, remade otherwise). */
export async function ensureClusterPki(dir: string, l: ClusterLayout): Promise<void> {
  const ca = await ensureCA(join(dir, 'apiserver'));
  for (const n of l.nodes) await ensureNodeServingCert(join(dir, 'pki'), ca, n);
}

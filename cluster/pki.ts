// The cluster's certificates that `mk8s up` makes before it starts anything:
// the cluster CA (in the apiserver's data dir, where the API server reads it)
// and one serving certificate per node, used by the node's kubelet stream
// server and its proxy's /rules (SANs: the node IP and name). The API server
// makes its own serving and kubelet-client certificates from the same CA.
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureToken } from '../apiserver/credentials.js';
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

/** With several control planes: each control-plane node's API server data dir, inside the cluster's `apiserver/` (pure). */
export function controlPlaneDataDir(dir: string, n: Pick<NodeLayout, 'name'>): string {
  return join(dir, 'apiserver', n.name);
}

/**
 * With several control planes: every API server signs with the one cluster CA
 * and accepts the one token, so each control-plane node's data dir gets a
 * copy of `apiserver/`'s ca.crt, ca.key and token (as kubeadm copies the CA
 * to each control-plane node for `kubeadm join --control-plane`), then its
 * own serving certificate (its node address and the load balancer's among
 * the SANs, as cluster/control-plane.ts asks for them) and kubelet client
 * certificate.
 */
export async function ensureControlPlanesPki(dir: string, l: ClusterLayout): Promise<void> {
  const apiDir = join(dir, 'apiserver');
  const ca = await ensureCA(apiDir);
  await ensureToken(apiDir);
  await Promise.all(
    l.nodes
      .filter((n) => n.role === 'control-plane')
      .map(async (n) => {
        const d = controlPlaneDataDir(dir, n);
        await mkdir(d, { recursive: true, mode: 0o700 });
        for (const f of ['ca.crt', 'ca.key', 'token']) await copyFile(join(apiDir, f), join(d, f));
        await chmod(join(d, 'ca.key'), 0o600);
        await chmod(join(d, 'token'), 0o600);
        await Promise.all([ensureServingCerts(d, apiServerSans(l.options.serviceCidr, n.ip, [n.ip, l.hostIp])), ensureKubeletClientCert(d, ca)]);
      }),
  );
}

// What every cluster has from its first start, as kube-apiserver's bootstrap
// controllers create it: the system namespaces and the `kubernetes` Service
// on the first address of the service range.
import { findByPlural } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import type { Registry } from './registry.js';

export const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function ensure(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
  }
}

export interface BootstrapOptions {
  kubernetesIP: string;
  /** 10.96.0.10: the kube-dns Service. */
  dnsIP: string;
  /** Where every node serves DNS (node-local, like NodeLocal DNSCache): kube-dns's endpoint on each node. */
  nodeLocalDNS: string;
  advertise: { ip: string; port: number };
}

export async function bootstrap(registry: Registry, opts: BootstrapOptions): Promise<void> {
  const ns = findByPlural('', 'namespaces')!;
  const svc = findByPlural('', 'services')!;
  const ep = findByPlural('', 'endpoints')!;
  for (const name of systemNamespaces) await ensure(() => registry.create(ns, undefined, { metadata: { name } }));
  await ensure(() =>
    registry.create(svc, 'default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: opts.kubernetesIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.advertise.port }] },
    }),
  );
  // kube-dns, as every cluster has it; its one endpoint is the node-local DNS address, which each
  // node's proxy serves, so 10.96.0.10 DNATs to the DNS server on the client's own node.
  const dnsPorts = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    { name: 'metrics', port: 9153, protocol: 'TCP' },
  ];
  const dnsLabels = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  await ensure(() =>
    registry.create(svc, 'kube-system', {
      metadata: { name: 'kube-dns', labels: dnsLabels, annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } },
      spec: { clusterIP: opts.dnsIP, ports: dnsPorts.map((p) => ({ ...p, targetPort: p.port })) },
    }),
  );
  await registry.update(ep, 'kube-system', 'kube-dns', {
    metadata: { name: 'kube-dns', labels: dnsLabels },
    subsets: [{ addresses: [{ ip: opts.nodeLocalDNS }], ports: dnsPorts }],
  });
  await registry.update(ep, 'default', 'kubernetes', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertise.ip }], ports: [{ name: 'https', port: opts.advertise.port, protocol: 'TCP' }] }],
  });
}

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

export async function bootstrap(registry: Registry, opts: { kubernetesIP: string; advertise: { ip: string; port: number } }): Promise<void> {
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
  await registry.update(ep, 'default', 'kubernetes', {
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertise.ip }], ports: [{ name: 'https', port: opts.advertise.port, protocol: 'TCP' }] }],
  });
}

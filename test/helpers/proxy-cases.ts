// The Service cases the proxy golden tests share across modes (the same
// ones test/unit/proxy-rules.test.ts renders for iptables, from here): each tutorial
// shape, on node mk8s-worker.
import type { KubeObject } from '../../api/types.js';
import type { ProxyNode } from '../../proxy/rules/desired.js';

export const node: ProxyNode = { name: 'mk8s-worker', ips: ['172.18.0.3'] };
export const cfg = { clusterCIDR: '10.244.0.0/16' };

export const svc = (name: string, spec: Record<string, unknown>, status?: unknown, ns = 'default'): KubeObject => ({
  metadata: { name, namespace: ns },
  spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec },
  status: status ?? { loadBalancer: {} },
});

export const slice = (svcName: string, ports: { name?: string; port: number; protocol?: string }[], eps: { ip: string; node: string; ready?: boolean; serving?: boolean; terminating?: boolean }[], ns = 'default'): KubeObject => ({
  metadata: { name: `${svcName}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false } })),
});

export const three = [
  { ip: '10.244.1.5', node: 'mk8s-control-plane' },
  { ip: '10.244.2.3', node: 'mk8s-worker' },
  { ip: '10.244.2.4', node: 'mk8s-worker' },
];

export const cases: Record<string, [KubeObject[], KubeObject[]]> = {
  'clusterip-3-endpoints': [[svc('benjamintoll', { clusterIP: '10.96.14.20', selector: { app: 'benjamintoll' }, ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }] })], [slice('benjamintoll', [{ port: 80 }], three)]],
  'nodeport-31117': [[svc('benjamintoll', { type: 'NodePort', externalTrafficPolicy: 'Cluster', clusterIP: '10.96.14.20', ports: [{ port: 8080, targetPort: 80, nodePort: 31117, protocol: 'TCP' }] })], [slice('benjamintoll', [{ port: 80 }], three)]],
  'loadbalancer': [[svc('benjamintoll', { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', clusterIP: '10.96.14.20', ports: [{ port: 8080, targetPort: 80, nodePort: 31117, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '172.18.0.200' }] } })], [slice('benjamintoll', [{ port: 80 }], three)]],
  'multi-port': [[svc('echo', { type: 'NodePort', externalTrafficPolicy: 'Cluster', clusterIP: '10.96.20.1', ports: [{ name: 'http', port: 8080, targetPort: 80, nodePort: 31080, protocol: 'TCP' }, { name: 'https', port: 8443, targetPort: 443, nodePort: 31443, protocol: 'TCP' }] })], [slice('echo', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }], three.slice(0, 2))]],
  'no-endpoints': [[svc('lonely', { type: 'NodePort', externalTrafficPolicy: 'Cluster', clusterIP: '10.96.30.1', ports: [{ port: 80, targetPort: 80, nodePort: 30080, protocol: 'TCP' }] })], []],
  'session-affinity': [[svc('sticky', { clusterIP: '10.96.40.1', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] })], [slice('sticky', [{ port: 80 }], three.slice(0, 2))]],
  'external-local-with-local-endpoint': [[svc('local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, clusterIP: '10.96.50.1', ports: [{ port: 80, targetPort: 80, nodePort: 30500, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '172.18.0.201' }] } })], [slice('local', [{ port: 80 }], three)]],
  'external-local-without-local-endpoint': [[svc('local', { type: 'NodePort', externalTrafficPolicy: 'Local', clusterIP: '10.96.50.1', ports: [{ port: 80, targetPort: 80, nodePort: 30500, protocol: 'TCP' }] })], [slice('local', [{ port: 80 }], three.slice(0, 1))]],
  'internal-local': [[svc('nodelocal', { internalTrafficPolicy: 'Local', clusterIP: '10.96.60.1', ports: [{ port: 53, targetPort: 53, protocol: 'UDP', name: 'dns' }] })], [slice('nodelocal', [{ name: 'dns', port: 53, protocol: 'UDP' }], three)]],
  'terminating-fallback': [[svc('draining', { clusterIP: '10.96.70.1', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] })], [slice('draining', [{ port: 80 }], [{ ip: '10.244.1.9', node: 'mk8s-worker', ready: false, serving: true, terminating: true }, { ip: '10.244.1.10', node: 'mk8s-worker', ready: false, serving: false, terminating: true }])]],
  'external-ips': [[svc('ext', { clusterIP: '10.96.80.1', externalIPs: ['172.18.0.240'], ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] })], [slice('ext', [{ port: 80 }], three.slice(0, 1))]],
  'externalname-and-headless-get-no-rules': [
    [svc('external-service', { type: 'ExternalName', externalName: 'api.acmecorp.com', ports: [{ port: 9000, protocol: 'TCP' }] }), svc('headless', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] })],
    [slice('headless', [{ port: 80 }], three)],
  ],
};

/** n ClusterIP services with `eps` endpoints each (bench and scale tests). */
export function many(n: number, eps = 1, skip = new Set<number>(), cip = '10.96', pod = '10.244'): [KubeObject[], KubeObject[]] {
  const ss: KubeObject[] = [];
  const sl: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    const name = `s${String(i).padStart(5, '0')}`;
    ss.push(svc(name, { clusterIP: `${cip}.${i >> 8}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP' }] }));
    const list = Array.from({ length: eps }, (_, k) => ({ ip: `${pod}.${((i * eps + k) >> 8) & 255}.${(i * eps + k) & 255}`, node: k % 2 ? 'other' : 'mk8s-worker' }));
    sl.push(slice(name, [{ port: 80 }], list));
  }
  return [ss, sl];
}

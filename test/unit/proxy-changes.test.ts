// The change trackers: which services a sync must look at, and which updates change nothing.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { EndpointsChangeTracker, ProxyChangeTracker, ServiceChangeTracker } from '../../proxy/changes.js';
import { RulesCache, desiredRules } from '../../proxy/rules/desired.js';

const svc = (name: string, ports: { name?: string; port: number }[], extra: Record<string, unknown> = {}, ns = 'default'): KubeObject => ({
  metadata: { name, namespace: ns, resourceVersion: '1' },
  spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: ports.map((p) => ({ protocol: 'TCP', ...p })), ...extra },
  status: { loadBalancer: {} },
});
const slice = (name: string, svcName: string, ips: string[], portName = '', ns = 'default'): KubeObject => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: [{ name: portName, port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'n1', conditions: { ready: true } })),
});

test('ServiceChangeTracker: add, update and delete name the service and its port names; take() starts over', (t) => {
  const tr = new ServiceChangeTracker();
  t.false(tr.pending());
  const a = svc('web', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]);
  t.true(tr.update(undefined, a));
  t.true(tr.pending());
  t.deepEqual(tr.take(), { services: new Set(['default/web']), portNames: new Set(['default/web:http', 'default/web:https']) });
  t.false(tr.pending());
  // A port renamed: both the old and the new name changed.
  const b = svc('web', [{ name: 'web', port: 80 }]);
  t.true(tr.update(a, b));
  t.deepEqual([...tr.take().portNames].sort(), ['default/web:http', 'default/web:https', 'default/web:web']);
  t.true(tr.update(b, undefined));
  t.deepEqual(tr.take().services, new Set(['default/web']));
});

test('ServiceChangeTracker: an update that changes nothing the rules read is ignored', (t) => {
  const tr = new ServiceChangeTracker();
  const a = svc('web', [{ port: 80 }]);
  const bumped = { ...a, metadata: { ...a.metadata, resourceVersion: '2', annotations: { x: 'y' } } };
  t.false(tr.update(a, bumped));
  t.false(tr.pending());
  // The load balancer's status matters (LB IPs get rules and announcements).
  t.true(tr.update(a, { ...a, status: { loadBalancer: { ingress: [{ ip: '172.31.160.200' }] } } }));
  t.deepEqual(tr.take().portNames, new Set(['default/web']));
});

test('EndpointsChangeTracker: a slice change names its service (old and new label); no-op updates are ignored', (t) => {
  const tr = new EndpointsChangeTracker();
  const s1 = slice('web-abc', 'web', ['10.160.1.5'], 'http');
  t.true(tr.update(undefined, s1));
  t.deepEqual(tr.take(), { services: new Set(['default/web']), portNames: new Set(['default/web:http']) });
  t.false(tr.update(s1, { ...s1, metadata: { ...s1.metadata, resourceVersion: '9' } }));
  t.false(tr.pending());
  // Relabelled to another service: both services changed.
  const moved = { ...s1, metadata: { ...s1.metadata, labels: { 'kubernetes.io/service-name': 'api' } } };
  t.true(tr.update(s1, moved));
  t.deepEqual(tr.take().services, new Set(['default/web', 'default/api']));
  // A slice without a service label belongs to nothing the proxy serves.
  t.false(tr.update(undefined, { metadata: { name: 'x', namespace: 'default' }, endpoints: [] }));
});

test('ProxyChangeTracker: merges both, tracks node readiness, and a failed sync puts its changes back', (t) => {
  const tr = new ProxyChangeTracker();
  tr.services.update(undefined, svc('web', [{ port: 80 }]));
  tr.endpoints.update(undefined, slice('api-x', 'api', ['10.160.1.6']));
  const node = (ready: string, rv: string): KubeObject => ({ metadata: { name: 'n1', resourceVersion: rv }, status: { conditions: [{ type: 'Ready', status: ready }] } });
  t.false(tr.node(node('True', '1'), node('True', '2')), 'heartbeat only');
  t.true(tr.node(node('True', '2'), node('False', '3')));
  const c = tr.take();
  t.deepEqual(c, { services: new Set(['default/web', 'default/api']), portNames: new Set(['default/web', 'default/api']), nodes: true });
  t.false(tr.pending());
  tr.endpoints.update(undefined, slice('db-x', 'db', ['10.160.1.7']));
  tr.restore(c);
  const again = tr.take();
  t.deepEqual(again.services, new Set(['default/web', 'default/api', 'default/db']));
  t.true(again.nodes);
});

test('RulesCache.invalidate: a service reported changed is recomputed even when its objects are the same', (t) => {
  const node = { name: 'n1', ips: ['172.31.160.2'] };
  const cfg = { clusterCIDR: '10.160.0.0/16' };
  const web = svc('web', [{ port: 80 }]);
  const sl = slice('web-x', 'web', ['10.160.1.5']);
  const cache = new RulesCache();
  const first = desiredRules([web], [sl], node, cfg, cache);
  // Mutated in place (as a careless caller could): identity alone would keep the stale chains.
  sl.endpoints.push({ addresses: ['10.160.1.9'], nodeName: 'n1', conditions: { ready: true } });
  const cached = desiredRules([web], [sl], node, cfg, cache);
  t.deepEqual(cached.owners, first.owners, 'without invalidation the cache answers');
  cache.invalidate(['default/web']);
  const fresh = desiredRules([web], [sl], node, cfg, cache);
  t.deepEqual(fresh, desiredRules([web], [sl], node, cfg));
  t.is([...fresh.nat.keys()].filter((c) => c.startsWith('KUBE-SEP-')).length, 2);
});

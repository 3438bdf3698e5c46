import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { clusterView } from '../../ui/model.js';
import { servicePath } from '../../ui/path.js';
import { endpointChain, servicePortName, serviceChain, externalChain } from '../../api/kube-proxy-names.js';
import type { LiveRule } from '../../proxy/rules/live.js';

const node = (name: string, ip: string, ready = true): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pod = (name: string, nodeName: string, ip: string, o: { ready?: boolean; labels?: Record<string, string>; deleting?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', labels: o.labels ?? { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u', controller: true }], ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { nodeName, containers: [] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const svc = (name: string, selector: Record<string, string> | undefined, extra: any = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' },
  spec: { selector, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...extra },
});
const slice = (service: string, eps: [string, string, string, boolean][]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: eps.map(([ip, pod, nodeName, ready]) => ({ addresses: [ip], nodeName, targetRef: { kind: 'Pod', name: pod }, conditions: { ready } })),
});

const nodes = [node('n2', '172.31.0.3', false), node('n1', '172.31.0.2')];
const pods = [pod('web-1', 'n1', '10.244.1.5'), pod('web-2', 'n2', '10.244.2.5', { ready: false }), pod('db', 'n1', '10.244.1.6', { labels: { app: 'db' } })];

test('cluster view: nodes with IP and Ready, pods per node with phase, readiness, IP and owner', (t) => {
  const v = clusterView(nodes, pods, [], []);
  t.deepEqual(v.nodes, [{ name: 'n1', ip: '172.31.0.2', ready: true }, { name: 'n2', ip: '172.31.0.3', ready: false }]);
  t.deepEqual(v.pods.map((p) => `${p.name}@${p.node} ${p.phase} ${p.ready} ${p.ip} ${p.owner}`), [
    'db@n1 Running true 10.244.1.6 ReplicaSet/web-abc',
    'web-1@n1 Running true 10.244.1.5 ReplicaSet/web-abc',
    'web-2@n2 Running false 10.244.2.5 ReplicaSet/web-abc',
  ]);
});

test('cluster view: services link the pods they select; no endpoints and a selector matching nothing stand out', (t) => {
  const services = [svc('web', { app: 'web' }), svc('typo', { app: 'wbe' }), svc('manual', undefined), svc('ext', undefined, { type: 'ExternalName', externalName: 'example.org', clusterIP: undefined })];
  const v = clusterView(nodes, pods, services, [slice('web', [['10.244.1.5', 'web-1', 'n1', true], ['10.244.2.5', 'web-2', 'n2', false]])]);
  const by = Object.fromEntries(v.services.map((s) => [s.name, s]));
  t.deepEqual(by.web.pods, ['default/web-1', 'default/web-2']);
  t.is(by.web.readyEndpoints, 1);
  t.false(by.web.noEndpoints);
  t.false(by.web.selectsNothing);
  t.true(by.typo.selectsNothing);
  t.true(by.typo.noEndpoints);
  t.false(by.manual.selectsNothing, 'no selector: endpoints are managed by hand, not a mismatch');
  t.true(by.manual.noEndpoints);
  t.false(by.ext.noEndpoints);
  t.is(by.ext.externalName, 'example.org');
  t.deepEqual(by.web.ports, ['80/TCP']);
});

test('service path: entries, chains, probabilities and per-node counters from the live rules', (t) => {
  const s = svc('web', { app: 'web' }, { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }] });
  const sl = slice('web', [['10.244.1.5', 'web-1', 'n1', true], ['10.244.2.5', 'web-2', 'n2', true]]);
  const spn = servicePortName('default', 'web', 'http');
  const svcC = serviceChain(spn, 'tcp');
  const ext = externalChain(spn, 'tcp');
  const sep1 = endpointChain(spn, 'tcp', '10.244.1.5:8080');
  const sep2 = endpointChain(spn, 'tcp', '10.244.2.5:8080');
  const r = (chain: string, rule: string, packets: number, table = 'nat'): LiveRule => ({ table, chain, rule, packets, bytes: packets * 60 });
  const rules = {
    n1: [
      r('KUBE-SERVICES', `-d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${svcC}`, 4),
      r('KUBE-NODEPORTS', `-p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j ${ext}`, 26),
      r(sep1, `-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080`, 13),
      r(sep1, `-s 10.244.1.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ`, 2),
      r(sep2, `-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.5:8080`, 17),
    ],
    n2: [r(sep2, `-p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.5:8080`, 1)],
  };
  const path = servicePath(s, [sl], nodes, pods, rules, { n3: 'connection refused' });
  t.is(path.ports.length, 1);
  const p = path.ports[0];
  t.is(p.serviceChain, svcC);
  t.deepEqual(p.entries.map((e) => `${e.kind} ${e.address} ${e.from}>${e.via.join('>')} ${JSON.stringify(e.packets)}`), [
    `ClusterIP 10.96.0.10:80 KUBE-SERVICES>${svcC} {"n1":4,"n2":0}`,
    `NodePort 172.31.0.3:30080 KUBE-NODEPORTS>${ext}>${svcC} {"n2":0}`,
    `NodePort 172.31.0.2:30080 KUBE-NODEPORTS>${ext}>${svcC} {"n1":26}`,
  ]);
  t.deepEqual(p.endpoints.map((e) => `${e.chain} ${e.pod}@${e.node} ${e.choice} ${e.total}`), [
    `${sep1} web-1@n1 1/2 (0.5000000000) 13`,
    `${sep2} web-2@n2 otherwise 18`,
  ]);
  t.is(p.endpoints.reduce((n, e) => n + e.total, 0), 31, 'the DNAT counters only: the masquerade rule is not a connection');
  t.is(path.rules.length, 6);
  t.deepEqual(path.unreachable, { n3: 'connection refused' });
  t.false(p.rejected);
});

test('service path: affinity, no endpoints, headless and ExternalName', (t) => {
  const sticky = servicePath(svc('web', { app: 'web' }, { sessionAffinity: 'ClientIP' }), [slice('web', [['10.244.1.5', 'web-1', 'n1', true]])], nodes, pods, {});
  t.is(sticky.ports[0].affinitySeconds, 10800);
  t.is(sticky.ports[0].endpoints[0].choice, 'always');
  const empty = servicePath(svc('web', { app: 'web' }), [], nodes, pods, {});
  t.true(empty.ports[0].rejected);
  t.true(servicePath(svc('h', { app: 'web' }, { clusterIP: 'None' }), [], nodes, pods, {}).headless);
  const ext = servicePath(svc('e', undefined, { type: 'ExternalName', externalName: 'example.org' }), [], nodes, pods, {});
  t.is(ext.externalName, 'example.org');
  t.deepEqual(ext.ports, []);
});

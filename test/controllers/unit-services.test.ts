// Unit tests of the pure parts: endpoint computation (named ports,
// readiness, repacking, slices), GC decisions, the LB pool, node lifecycle,
// and the work queue / expectations machinery.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { endpointSubsets, lastChangeTriggerTime, planSlices, podEndpoints, resolveTargetPort, sliceGroups } from '../../controllers/endpoints/desired.js';
import { mirroredGroups } from '../../controllers/endpointslice/mirroring.js';
import { attemptToDelete, classifyOwners, foregroundStep, type OwnerState } from '../../controllers/gc/desired.js';
import { allocate, metallbLegacyPool, parsePool, poolContains, poolSource } from '../../controllers/lbpool/desired.js';
import { poolRoutes, rangeToCidrs } from '../../cluster/pool-routes.js';
import { ipToInt, parseCidr } from '../../api/cidr.js';
import { parse as parseYaml } from 'yaml';
import { desiredTaints, podsToEvict, recoveredConditions, staleConditions } from '../../controllers/nodelifecycle/desired.js';
import { WorkQueue } from '../../controllers/queue.js';
import { Expectations } from '../../controllers/expectations.js';

// ---- endpoints ----

const svc = (spec: any, name = 'svc'): KubeObject => ({ metadata: { name, namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { selector: { app: 'x' }, ...spec } });
const pod = (name: string, ip: string | undefined, o: { ready?: boolean; ports?: any[]; deleting?: boolean; node?: string; phase?: string; labels?: any } = {}): KubeObject => ({
  metadata: { name, uid: `uid-${name}`, namespace: 'default', labels: o.labels ?? { app: 'x' }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:10Z' } : {}) },
  spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'c', ports: o.ports ?? [] }] },
  status: { phase: o.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:00:05Z' }] },
});

test('targetPort: numbers as they are, names looked up in the pod with the same protocol', (t) => {
  const p = pod('a', '10.0.0.1', { ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  t.is(resolveTargetPort({ port: 80, targetPort: 9000 }, p), 9000);
  t.is(resolveTargetPort({ port: 80, targetPort: 'web', protocol: 'TCP' }, p), 8080);
  t.is(resolveTargetPort({ port: 53, targetPort: 'dns', protocol: 'TCP' }, p), undefined);
  t.is(resolveTargetPort({ port: 80, targetPort: 'nginxweb' }, p), undefined);
  t.is(resolveTargetPort({ port: 80 }, p), 80);
});

test('Endpoints subsets: ready/not ready, pods without the named port left out, repacked by port set, sorted', (t) => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 'nginxweb', protocol: 'TCP' }] });
  const pods = [
    pod('b', '10.0.0.2', { ports: [{ name: 'nginxweb', containerPort: 80 }] }),
    pod('a', '10.0.0.10', { ports: [{ name: 'nginxweb', containerPort: 80 }], ready: false }),
    pod('c', '10.0.0.3', { ports: [{ containerPort: 80 }] }),
    pod('d', '10.0.0.4', { ports: [{ name: 'nginxweb', containerPort: 8080 }] }),
    pod('e', undefined, { ports: [{ name: 'nginxweb', containerPort: 80 }] }),
    pod('f', '10.0.0.6', { ports: [{ name: 'nginxweb', containerPort: 80 }], deleting: true }),
    pod('g', '10.0.0.7', { ports: [{ name: 'nginxweb', containerPort: 80 }], phase: 'Succeeded' }),
    pod('h', '10.0.0.8', { ports: [{ name: 'nginxweb', containerPort: 80 }], labels: { app: 'other' } }),
  ];
  const subsets = endpointSubsets(s, pods);
  t.deepEqual(subsets, [
    {
      addresses: [{ ip: '10.0.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
      notReadyAddresses: [{ ip: '10.0.0.10', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    },
    {
      addresses: [{ ip: '10.0.0.4', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'd', uid: 'uid-d' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ]);
  // publishNotReadyAddresses puts everyone in addresses.
  const pub = endpointSubsets(svc({ ...s.spec, publishNotReadyAddresses: true }), pods.slice(0, 2));
  t.deepEqual(pub[0].addresses.map((a: any) => a.ip), ['10.0.0.2', '10.0.0.10']);
  t.is(pub[0].notReadyAddresses, undefined);
});

test('multi-port services group addresses serving the same ports; headless without ports lists addresses only', (t) => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP' }, { name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' }] });
  const subsets = endpointSubsets(s, [pod('a', '10.0.0.1', { ports: [{ name: 'metrics', containerPort: 9100 }] }), pod('b', '10.0.0.2')]);
  t.is(subsets.length, 2);
  t.deepEqual(subsets[0].ports.map((p: any) => p.name), ['http', 'metrics']);
  t.deepEqual(subsets[1].ports.map((p: any) => p.name), ['http']);
  const headless = endpointSubsets(svc({ clusterIP: 'None' }), [pod('a', '10.0.0.1')]);
  t.deepEqual(headless, [{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] }]);
  t.deepEqual(endpointSubsets(svc({}), [pod('a', '10.0.0.1')]), [], 'a ClusterIP service without ports has none');
  t.is(lastChangeTriggerTime(s, [pod('a', '10.0.0.1')]), '2024-01-01T00:00:05Z');
});

test('slice endpoints keep terminating pods with ready=false, serving and terminating set', (t) => {
  const s = svc({ ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] });
  const eps = podEndpoints(s, [pod('a', '10.0.0.1', { deleting: true }), pod('b', '10.0.0.2', { ready: false })], true);
  t.like(eps[0], { ready: false, serving: true, terminating: true });
  t.like(eps[1], { ready: false, serving: false, terminating: false });
  const groups = sliceGroups(s, [pod('a', '10.0.0.1')], () => 'zone-a');
  const g = [...groups.values()][0];
  t.deepEqual(g.endpoints[0], { addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' }, zone: 'zone-a' });
});

test('slice plan: endpoints stay where they are, new ones fill free room, more than 100 split, empty slices go, a placeholder stays', (t) => {
  const ep = (i: number) => ({ addresses: [`10.0.${Math.floor(i / 250)}.${i % 250}`], conditions: { ready: true }, targetRef: { uid: `u${i}` } });
  const ports = [{ port: 80, protocol: 'TCP' }];
  const desired = new Map([['/80/TCP/', { ports, endpoints: [ep(1), ep(2), ep(3)] }]]);
  // Unchanged: nothing to do.
  const same = planSlices([{ name: 's1', ports, endpoints: [ep(1), ep(2), ep(3)] }], desired);
  t.deepEqual(same, { update: [], create: [], delete: [] });
  // One replaced: the same slice is rewritten.
  const changed = planSlices([{ name: 's1', ports, endpoints: [ep(1), ep(2), ep(9)] }], desired);
  t.deepEqual(changed.update.map((u) => [u.name, u.endpoints.length]), [['s1', 3]]);
  t.is(changed.create.length + changed.delete.length, 0);
  // 250 endpoints: 100 + 100 + 50.
  const many = new Map([['/80/TCP/', { ports, endpoints: Array.from({ length: 250 }, (_, i) => ep(i)) }]]);
  const split = planSlices([], many);
  t.deepEqual(split.create.map((c) => c.endpoints.length), [100, 100, 50]);
  // Other ports than before: old slice deleted, new one created.
  const moved = planSlices([{ name: 'old', ports: [{ port: 81, protocol: 'TCP' }], endpoints: [ep(1)] }], desired);
  t.deepEqual(moved.delete, ['old']);
  t.is(moved.create.length, 1);
  // No endpoints at all: keep one empty slice.
  const none = planSlices([{ name: 'a', ports, endpoints: [ep(1)] }, { name: 'b', ports, endpoints: [ep(2)] }], new Map());
  t.deepEqual(none, { update: [{ name: 'a', ports: [], endpoints: [] }], create: [], delete: ['b'] });
  t.deepEqual(planSlices([], new Map()).create, [{ ports: [], endpoints: [] }]);
});

test('mirroring turns Endpoints subsets into slice groups', (t) => {
  const g = mirroredGroups({ metadata: { name: 'x' }, subsets: [{ addresses: [{ ip: '1.2.3.4' }], notReadyAddresses: [{ ip: '1.2.3.5' }], ports: [{ name: 'p', port: 5432, protocol: 'TCP' }] }] });
  const only = [...g.values()][0];
  t.deepEqual(only.ports, [{ name: 'p', port: 5432, protocol: 'TCP' }]);
  t.deepEqual(only.endpoints, [{ addresses: ['1.2.3.4'], conditions: { ready: true } }, { addresses: ['1.2.3.5'], conditions: { ready: false } }]);
});

// ---- garbage collector ----

const ref = (uid: string, block = true) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, controller: true, blockOwnerDeletion: block });
const item = (owners: any[], finalizers?: string[], deleting = false): KubeObject => ({ metadata: { name: 'i', uid: 'i', ownerReferences: owners, finalizers, ...(deleting ? { deletionTimestamp: 'x' } : {}) } });
const states = (m: Record<string, OwnerState>) => (r: any) => m[r.uid];

test('GC: no owner left → delete (background, or the finalizer\'s policy); a live owner → only dangling references go', (t) => {
  const gone = item([ref('a')]);
  t.deepEqual(attemptToDelete(gone, classifyOwners([ref('a')], states({ a: 'absent' })), []), { action: 'delete', policy: 'Background' });
  const orphaning = item([ref('a')], ['orphan']);
  t.deepEqual(attemptToDelete(orphaning, classifyOwners([ref('a')], states({ a: 'absent' })), []), { action: 'delete', policy: 'Orphan' });
  const two = item([ref('a'), ref('b')]);
  t.deepEqual(attemptToDelete(two, classifyOwners([ref('a'), ref('b')], states({ a: 'present', b: 'absent' })), []), { action: 'removeOwnerReferences', uids: ['b'] });
  t.deepEqual(attemptToDelete(two, classifyOwners([ref('a'), ref('b')], states({ a: 'present', b: 'present' })), []).action, 'none');
  t.deepEqual(attemptToDelete(item([ref('a')], [], true), classifyOwners([ref('a')], states({ a: 'absent' })), []).action, 'none', 'already being deleted');
  t.deepEqual(attemptToDelete(item([ref('a')]), classifyOwners([ref('a')], states({ a: 'unknown' })), []).action, 'none', 'unknown kinds are never collected');
});

test('GC foreground: dependents with dependents are deleted in the foreground; the owner\'s finalizer goes when no blocking dependent is left', (t) => {
  const rs = item([ref('d')]);
  const pods = [{ metadata: { name: 'p', uid: 'p', ownerReferences: [ref('i')] } }];
  t.deepEqual(attemptToDelete(rs, classifyOwners([ref('d')], states({ d: 'deletingDependents' })), pods), { action: 'delete', policy: 'Foreground', unblockOwnerUids: undefined });
  t.deepEqual(attemptToDelete(rs, classifyOwners([ref('d')], states({ d: 'deletingDependents' })), []), { action: 'delete', policy: 'Background' });
  const ownerObj: KubeObject = { metadata: { name: 'd', uid: 'd', deletionTimestamp: 'x', finalizers: ['foregroundDeletion'] } };
  t.deepEqual(foregroundStep(ownerObj, []), { removeFinalizer: true, toDelete: [] });
  const nonBlocking: KubeObject = { metadata: { name: 'n', uid: 'n', ownerReferences: [ref('d', false)] } };
  t.deepEqual(foregroundStep(ownerObj, [nonBlocking]), { removeFinalizer: true, toDelete: [] });
  const blocking: KubeObject = { metadata: { name: 'b', uid: 'b', ownerReferences: [ref('d')] } };
  t.deepEqual(foregroundStep(ownerObj, [blocking]).toDelete.map((o) => o.metadata.name), ['b']);
});

// ---- LB pool ----

test('LB pool: ranges, CIDRs and single addresses; allocation keeps current IPs, honours requests, reports exhaustion', (t) => {
  const { ranges, errors } = parsePool('172.18.0.200-172.18.0.201, 10.0.0.0/31\n192.168.1.5 bogus');
  t.deepEqual(errors, ['invalid address "bogus"']);
  t.true(poolContains(ranges, '10.0.0.1'));
  t.false(poolContains(ranges, '10.0.0.2'));
  const res = allocate(
    [
      { key: 'ns/new', creationTimestamp: '3' },
      { key: 'ns/has', current: '10.0.0.0', creationTimestamp: '2' },
      { key: 'ns/asks', requested: '192.168.1.5', creationTimestamp: '4' },
      { key: 'ns/outside', requested: '8.8.8.8', creationTimestamp: '5' },
    ],
    ranges,
  );
  t.deepEqual(Object.fromEntries(res), {
    'ns/has': { ip: '10.0.0.0' },
    'ns/asks': { ip: '192.168.1.5' },
    'ns/outside': { error: '["8.8.8.8"] is not allowed in config' },
    'ns/new': { ip: '172.18.0.200' },
  });
  const full = allocate([{ key: 'a' }, { key: 'b' }], parsePool('1.1.1.1').ranges);
  t.deepEqual(full.get('b'), { error: 'no available IPs' });
  // A clash (two claim the same current IP after a restart): the older keeps it.
  const clash = allocate([{ key: 'young', current: '1.1.1.1', creationTimestamp: '2' }, { key: 'old', current: '1.1.1.1', creationTimestamp: '1' }], parsePool('1.1.1.1-1.1.1.2').ranges);
  t.deepEqual(Object.fromEntries(clash), { old: { ip: '1.1.1.1' }, young: { ip: '1.1.1.2' } });
});

// ---- node lifecycle ----

const nodeObj = (ready: string, reason = 'KubeletReady', taints?: any[]): KubeObject => ({
  metadata: { name: 'n', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: ready, reason, lastHeartbeatTime: '2024-01-01T00:00:00Z', lastTransitionTime: '2024-01-01T00:00:00Z' }, { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' }] },
});

test('node lifecycle: stale → Unknown conditions; back → the kubelet\'s healthy conditions; taints follow Ready', (t) => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const stale = staleConditions(nodeObj('True'), now)!;
  t.like(stale[0], { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: '2024-01-01T00:01:00Z', lastHeartbeatTime: '2024-01-01T00:00:00Z' });
  t.like(stale[1], { type: 'MemoryPressure', status: 'Unknown' });
  t.is(staleConditions({ ...nodeObj('True'), status: { conditions: stale } }, now), undefined);
  const back = recoveredConditions({ ...nodeObj('True'), status: { conditions: stale } }, now)!;
  t.like(back[0], { status: 'True', reason: 'KubeletReady' });
  t.is(recoveredConditions(nodeObj('False', 'KubeletNotReady'), now), undefined, "the kubelet's own NotReady is not ours to change");
  t.deepEqual(desiredTaints(nodeObj('Unknown', 'NodeStatusUnknown'), now)!.map((x) => `${x.key}:${x.effect}`), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  t.deepEqual(desiredTaints(nodeObj('False', 'KubeletNotReady'), now)!.map((x) => `${x.key}:${x.effect}`), ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']);
  const user = { key: 'dedicated', value: 'x', effect: 'NoSchedule' };
  t.deepEqual(desiredTaints(nodeObj('True', 'KubeletReady', [user, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]), now), [user]);
  t.is(desiredTaints(nodeObj('True', 'KubeletReady', [user]), now), undefined);
});

test('node lifecycle: eviction after the timeout, or the pod\'s tolerationSeconds; tolerating forever stays', (t) => {
  const tainted = nodeObj('Unknown', 'NodeStatusUnknown', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:00:00Z' }]);
  const p = (name: string, tolerations?: any[]): KubeObject => ({ metadata: { name }, spec: { tolerations } });
  const pods = [p('plain'), p('forever', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]), p('short', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }])];
  const at = (s: number) => Date.parse('2024-01-01T00:00:00Z') + s * 1000;
  t.deepEqual(podsToEvict(tainted, pods, at(5), 60_000), { evict: [], nextInMs: 5000 });
  t.deepEqual(podsToEvict(tainted, pods, at(20), 60_000).evict.map((x) => x.metadata.name), ['short']);
  t.deepEqual(podsToEvict(tainted, pods, at(61), 60_000).evict.map((x) => x.metadata.name), ['plain', 'short']);
  t.deepEqual(podsToEvict(nodeObj('True'), pods, at(61), 60_000).evict, []);
});

// ---- machinery ----

test('work queue: a key is queued once, re-queued if added while processing, retried with backoff', async (t) => {
  const q = new WorkQueue({ baseDelayMs: 5 });
  q.add('a');
  q.add('a');
  q.add('b');
  t.is(q.len(), 2);
  const k = await q.get();
  t.is(k, 'a');
  q.add('a');
  t.is(q.len(), 1, 'not queued again while processing');
  q.done('a');
  t.is(q.len(), 2, 'queued again after done');
  t.is(await q.get(), 'b');
  q.done('b');
  t.is(await q.get(), 'a');
  q.done('a');
  q.addRateLimited('c');
  q.addRateLimited('c');
  t.is(q.retries('c'), 2);
  // Not there before its backoff has passed (a wall-clock bound would flake: timers run on the loop's cached time).
  t.is(q.len(), 0, 'waiting out its backoff');
  t.is(await q.get(), 'c');
  q.forget('c');
  t.is(q.retries('c'), 0);
  q.shutDown();
  t.is(await q.get(), undefined);
});

test('expectations: satisfied only once the creations and deletions were observed', (t) => {
  const e = new Expectations();
  t.true(e.satisfied('rs'));
  e.expectCreations('rs', 2);
  t.false(e.satisfied('rs'));
  e.creationObserved('rs');
  t.false(e.satisfied('rs'));
  e.creationObserved('rs');
  t.true(e.satisfied('rs'));
  e.expectDeletions('rs', ['ns/a']);
  t.false(e.satisfied('rs'));
  e.deletionObserved('rs', 'ns/b');
  t.false(e.satisfied('rs'));
  e.deletionObserved('rs', 'ns/a');
  t.true(e.satisfied('rs'));
});

// ---- LoadBalancer pools: MetalLB's legacy config, which pool is in force, host routes ----

test('MetalLB legacy config: layer2 address pools become the pool; bgp pools are reported', (t) => {
  const parsed = parseYaml('address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 10.8.8.93-10.8.8.103\n- name: b\n  protocol: bgp\n  addresses: [10.9.0.0/24]\n');
  const r = metallbLegacyPool(parsed);
  t.is(r.text, '10.8.8.93-10.8.8.103');
  t.deepEqual(r.errors, ['address pool b: protocol bgp is not supported (mk8s announces addresses as MetalLB\'s layer2 mode)']);
  t.deepEqual(metallbLegacyPool({}).errors, ['no address-pools list in MetalLB\'s config']);
});

test('the pool in force: mk8s-system/lb-pool, else metallb-system/config, else the option', (t) => {
  const cms: Record<string, any> = {};
  const get = (k: string) => cms[k];
  t.deepEqual(poolSource(get, '172.18.0.200-172.18.0.250', parseYaml), { text: '172.18.0.200-172.18.0.250', from: 'the --lb-pool option', errors: [] });
  cms['metallb-system/config'] = { metadata: {}, data: { config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses:\n  - 10.8.8.93-10.8.8.103\n' } };
  t.is(poolSource(get, 'x', parseYaml).text, '10.8.8.93-10.8.8.103');
  t.is(poolSource(get, 'x', parseYaml).from, 'ConfigMap metallb-system/config');
  cms['metallb-system/config'].data.config = 'address-pools: [';
  t.regex(poolSource(get, 'x', parseYaml).errors[0], /config is not valid YAML/);
  cms['mk8s-system/lb-pool'] = { metadata: {}, data: { ranges: '172.18.0.240/28' } };
  t.is(poolSource(get, 'x', parseYaml).text, '172.18.0.240/28');
});

test('host routes for pool addresses outside the node network: aligned blocks, the node network left out', (t) => {
  const ip = (s: string) => ipToInt(s)!;
  t.deepEqual(rangeToCidrs(ip('10.8.8.93'), ip('10.8.8.103')), ['10.8.8.93/32', '10.8.8.94/31', '10.8.8.96/29']);
  t.deepEqual(rangeToCidrs(ip('10.0.0.0'), ip('10.0.0.255')), ['10.0.0.0/24']);
  const node = parseCidr('172.18.0.0/24');
  const routes = (pool: string, guard?: Parameters<typeof poolRoutes>[2]) => poolRoutes(parsePool(pool).ranges, node, guard);
  t.deepEqual(routes('172.18.0.200-172.18.0.250'), { routes: [], refused: [] }, 'inside the node network: on-link already');
  t.deepEqual(routes('10.8.8.93-10.8.8.103').routes, ['10.8.8.93/32', '10.8.8.94/31', '10.8.8.96/29']);
  t.deepEqual(routes('172.18.0.250-172.18.1.1').routes, ['172.18.1.0/31'], 'only the part outside');
  t.deepEqual(routes('172.18.0.0/23').routes, ['172.18.1.0/24']);
});

test('pool routes never take what the host or the cluster has: its ranges, addresses, gateways, routes; no huge pool', (t) => {
  const node = parseCidr('172.18.0.0/24');
  const guard = { excluded: [parseCidr('10.96.0.0/12'), parseCidr('10.244.0.0/16')], hostAddresses: ['10.8.8.5', '192.168.1.1'], foreignRoutes: ['10.8.8.96/29', '192.168.1.0/24'] };
  const r = (pool: string) => poolRoutes(parsePool(pool).ranges, node, guard);
  t.deepEqual(r('0.0.0.0/0'), { routes: [], refused: ['the pool has 4294967296 addresses; at most 4096 get host routes'] });
  t.deepEqual(r('10.96.0.200-10.96.0.201').refused, ["10.96.0.200/31 overlaps the cluster's range 10.96.0.0/12"]);
  t.deepEqual(r('10.244.3.0/24').refused, ["10.244.3.0/24 overlaps the cluster's range 10.244.0.0/16"]);
  t.deepEqual(r('10.8.8.4-10.8.8.5').refused, ['10.8.8.4/31 holds 10.8.8.5, an address or gateway of this machine']);
  t.deepEqual(r('10.8.8.93-10.8.8.103'), { routes: ['10.8.8.93/32', '10.8.8.94/31'], refused: ['10.8.8.96/29 is a route this machine has already'] });
});

test('MetalLB ranges written with spaces around the dash', (t) => {
  t.is(metallbLegacyPool({ 'address-pools': [{ name: 'a', protocol: 'layer2', addresses: [' 10.8.8.93 - 10.8.8.103 '] }] }).text, '10.8.8.93-10.8.8.103');
});

test('LB allocation skips reserved addresses (the host\'s, the nodes\'), and refuses a request for one', (t) => {
  const { ranges } = parsePool('172.18.0.0/30');
  const r = allocate(
    [
      { key: 'ns/a', creationTimestamp: '1' },
      { key: 'ns/b', requested: '172.18.0.1', creationTimestamp: '2' },
      { key: 'ns/c', current: '172.18.0.2', creationTimestamp: '3' },
    ],
    ranges,
    new Set(['172.18.0.1', '172.18.0.2']),
  );
  t.deepEqual(r.get('ns/a'), { ip: '172.18.0.0' });
  t.deepEqual(r.get('ns/b'), { error: '["172.18.0.1"] is an address of the host or a node' });
  t.deepEqual(r.get('ns/c'), { ip: '172.18.0.3' }, 'a current address that is reserved is given up');
});

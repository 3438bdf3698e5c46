// Unit tests of the pure parts: pod-template-hash, rolling-update
// arithmetic, ReplicaSet decisions, scheduling choice.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { canonicalJson, computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from '../../controllers/deployment/hash.js';
import {
  calculateStatus,
  isScalingEvent,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  newRSTarget,
  oldRSTargets,
  replicaSetsToCleanUp,
  resolveFenceposts,
  rolloutStatus,
  scaledValue,
  scaleTargets,
  setNewReplicaSetAnnotations,
} from '../../controllers/deployment/desired.js';
import { claimPods, podsToDelete, replicaDiff, replicaStatus, slowStartBatches, podFromTemplate } from '../../controllers/replicaset/desired.js';
import { failedSchedulingMessage, pickNode, schedule, toleratesTaint, unfitReason } from '../../controllers/scheduler/desired.js';

const enc = (s: string) => new TextEncoder().encode(s);

// ---- pod-template-hash ----

test('fnv32a matches the FNV-1a reference vectors', (t) => {
  t.is(fnv32a(enc('')), 0x811c9dc5);
  t.is(fnv32a(enc('a')), 0xe40c292c);
  t.is(fnv32a(enc('foobar')), 0xbf9cf968);
});

test('SafeEncodeString maps decimal digits into the vowel-free alphabet as Kubernetes does', (t) => {
  // '0'..'9' are bytes 48..57; 48 % 27 = 21 → '4', …, 54 % 27 = 0 → 'b'.
  t.is(safeEncodeString('0123456789'), '456789bcdf');
  // The tutorial's `benjamintoll-798fc5b4d4-278qr`: 798fc5b4d4 is the encoding of the uint32 3549716080.
  t.is(safeEncodeString('3549716080'), '798fc5b4d4');
});

test('pod-template-hash is stable, order-independent, ≤ 10 chars of the alphabet, and changes with the template and collisionCount', (t) => {
  const a = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } };
  const b = { spec: { containers: [{ image: 'nginx:1.25', name: 'c' }] }, metadata: { labels: { tier: 'fe', app: 'web' } } };
  const h = computeHash(a);
  t.is(h, computeHash(b));
  t.regex(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  t.is(h, safeEncodeString(String(fnv32a(enc(canonicalJson(a))))));
  t.not(computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } }), h);
  t.not(computeHash(a, 1), h);
  t.not(computeHash(a, 1), computeHash(a, 2));
  t.is(computeHash(a, undefined), h);
});

test('EqualIgnoreHash ignores only the pod-template-hash label', (t) => {
  const tpl = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  t.true(equalIgnoreHash(tpl, { ...tpl, metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } } }));
  t.false(equalIgnoreHash(tpl, { ...tpl, metadata: { labels: { app: 'y', 'pod-template-hash': 'abc' } } }));
});

test('EqualIgnoreHash: a null creationTimestamp (what kubectl rollout undo sends) is the zero value, as absent', (t) => {
  const tpl = { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  t.true(equalIgnoreHash(tpl, { ...tpl, metadata: { creationTimestamp: null, labels: { app: 'x' } } }));
  t.false(equalIgnoreHash(tpl, { ...tpl, metadata: { creationTimestamp: '2024-01-01T00:00:00Z', labels: { app: 'x' } } }));
});

// ---- rolling update arithmetic ----

const dep = (replicas: number, surge: any = '25%', unavailable: any = '25%', extra: any = {}): KubeObject => ({
  metadata: { name: 'd', generation: 1, annotations: {} },
  spec: { replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, ...extra },
  status: {},
});
const rsObj = (name: string, replicas: number, available = replicas, created = 0, annotations: Record<string, string> = {}): KubeObject => ({
  metadata: { name, uid: name, creationTimestamp: new Date(created * 1000).toISOString(), annotations, generation: 1 },
  spec: { replicas },
  status: { replicas: available, readyReplicas: available, availableReplicas: available, observedGeneration: 1 },
});

test('percentages round as Kubernetes: surge up, unavailable down; both zero means one unavailable', (t) => {
  t.is(scaledValue('25%', 10, true), 3);
  t.is(scaledValue('25%', 10, false), 2);
  t.is(scaledValue(2, 10, true), 2);
  t.deepEqual(resolveFenceposts('25%', '25%', 3), { surge: 1, unavailable: 0 });
  t.deepEqual(resolveFenceposts(0, 0, 3), { surge: 0, unavailable: 1 });
  t.deepEqual(resolveFenceposts('0%', '10%', 5), { surge: 0, unavailable: 1 });
  t.is(maxSurge(dep(4)), 1);
  t.is(maxUnavailable(dep(4)), 1);
  t.is(maxUnavailable(dep(0)), 0);
  t.is(maxUnavailable(dep(2, 0, 5)), 2, 'capped at replicas');
  t.is(maxSurge({ ...dep(4), spec: { ...dep(4).spec, strategy: { type: 'Recreate' } } }), 0);
});

test('one rolling-update step: the new ReplicaSet grows within maxSurge, old ones shrink within maxUnavailable', (t) => {
  // 4 replicas, surge 1, unavailable 0: old has 4 available, new 0.
  const d = dep(4, 1, 0);
  const old = rsObj('old', 4, 4, 1);
  let neu = rsObj('new', 0, 0, 2);
  t.is(newRSNewReplicas(d, [old, neu], neu), 1);
  t.is(newRSTarget(d, [old, neu], neu), 1);
  // New has 1 not yet available: nothing may go down.
  neu = rsObj('new', 1, 0, 2);
  t.is(newRSTarget(d, [old, neu], neu), undefined);
  t.deepEqual([...oldRSTargets(d, [old, neu], [old], neu)], []);
  // New pod available: one old pod may go.
  neu = rsObj('new', 1, 1, 2);
  t.deepEqual([...oldRSTargets(d, [old, neu], [old], neu)], [['old', 3]]);
  // maxUnavailable 2, surge 0: two old pods can go at once.
  const d2 = dep(4, 0, 2);
  const n2 = rsObj('new', 0, 0, 2);
  t.is(newRSTarget(d2, [old, n2], n2), undefined);
  t.deepEqual([...oldRSTargets(d2, [old, n2], [old], n2)], [['old', 2]]);
  // Unhealthy old replicas are cleaned up first (they cost no availability), then healthy ones as allowed.
  const sick = rsObj('sick', 2, 0, 0);
  t.deepEqual([...oldRSTargets(d2, [sick, old, n2], [sick, old], n2)].sort(), [['old', 2], ['sick', 0]]);
  const d3 = dep(4, 0, 1);
  t.deepEqual([...oldRSTargets(d3, [sick, old, n2], [sick, old], n2)].sort(), [['old', 3], ['sick', 0]]);
});

test('scaling during a rollout is proportional; a single active ReplicaSet takes the whole change', (t) => {
  const d = dep(3);
  const only = rsObj('only', 5, 5, 0, { 'deployment.kubernetes.io/desired-replicas': '5' });
  t.true(isScalingEvent(d, only, []));
  t.deepEqual([...scaleTargets(d, only, []).targets], [['only', 3]]);
  // 10 → 20 while old=6, new=4 (annotated max-replicas 13 = 10 + surge 3).
  const d20 = dep(20, '25%', '25%');
  const ann = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
  const o = rsObj('old', 6, 6, 0, ann);
  const n = rsObj('new', 4, 0, 1, ann);
  const { targets, op } = scaleTargets(d20, n, [o]);
  t.is(op, 'up');
  // allowed = 20 + 5 = 25; +15 shared ~ 6*25/13 → 12, 4*25/13 → 8: 12 + 8 = 20, leftover 5 to the biggest.
  const sum = [...targets.values()].reduce((a, b) => a + b, 0);
  t.is(sum, 25);
  t.true(targets.get('old')! > targets.get('new')!);
});

test('history cleanup keeps revisionHistoryLimit old ReplicaSets, deleting the oldest scaled-down ones', (t) => {
  const d = dep(1, '25%', '25%', { revisionHistoryLimit: 1 });
  const r = (name: string, rev: number, replicas = 0) => rsObj(name, replicas, replicas, rev, { 'deployment.kubernetes.io/revision': String(rev) });
  t.deepEqual(replicaSetsToCleanUp(d, [r('a', 1), r('b', 2), r('c', 3)]).map((x) => x.metadata.name), ['a', 'b']);
  t.deepEqual(replicaSetsToCleanUp(d, [r('a', 1, 1), r('b', 2)]).map((x) => x.metadata.name), [], 'never one with replicas');
});

test('revisions: a new ReplicaSet gets max+1; a rollback keeps the old number in revision-history', (t) => {
  const d = dep(1);
  const rs = rsObj('x', 0, 0, 0, { 'deployment.kubernetes.io/revision': '1' });
  t.true(setNewReplicaSetAnnotations(d, rs, 3, true));
  t.is(rs.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  t.is(rs.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  const fresh: KubeObject = { metadata: {}, spec: { replicas: 1 } };
  setNewReplicaSetAnnotations(d, fresh, 1, false);
  t.like(fresh.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '1', 'deployment.kubernetes.io/max-replicas': '2' });
});

test('status and conditions as kubectl rollout status reads them', (t) => {
  const d = dep(3);
  const neu = rsObj('web-abc', 3, 3);
  const s = calculateStatus(d, [neu], neu, {}, '2024-01-01T00:00:00Z');
  t.like(s, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  t.is(s.unavailableReplicas, undefined);
  const { status } = rolloutStatus(d, [neu], neu, {}, { conditions: [] }, Date.parse('2024-01-01T00:00:00Z'));
  const prog = status.conditions.find((c: any) => c.type === 'Progressing');
  t.like(prog, { status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-abc" has successfully progressed.' });
  // Halfway: progressing, and one unavailable.
  const half = rsObj('web-abc', 3, 1);
  const r2 = rolloutStatus(d, [half], half, { replicas: 1, updatedReplicas: 0 }, {}, Date.now());
  t.like(r2.status.conditions.find((c: any) => c.type === 'Progressing'), { reason: 'ReplicaSetUpdated', message: 'ReplicaSet "web-abc" is progressing.' });
  t.like(r2.status.conditions.find((c: any) => c.type === 'Available'), { status: 'False', reason: 'MinimumReplicasUnavailable' });
  t.is(r2.status.unavailableReplicas, 2);
  t.truthy(r2.recheckInMs);
  // No progress past the deadline: ProgressDeadlineExceeded.
  const stuck = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: '', lastUpdateTime: '2020-01-01T00:00:00Z', lastTransitionTime: '2020-01-01T00:00:00Z' }], replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  const r3 = rolloutStatus(d, [half], half, stuck, stuck, Date.now());
  t.like(r3.status.conditions.find((c: any) => c.type === 'Progressing'), { status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-abc" has timed out progressing.' });
});

// ---- ReplicaSet ----

const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; owner?: string; labels?: Record<string, string>; created?: number; deleting?: boolean; restarts?: number } = {}): KubeObject => ({
  metadata: {
    name,
    uid: name,
    labels: o.labels ?? { app: 'x' },
    creationTimestamp: new Date((o.created ?? 0) * 1000).toISOString(),
    ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: o.owner, controller: true }] } : {}),
    ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
  },
  spec: { nodeName: o.node },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }], containerStatuses: [{ restartCount: o.restarts ?? 0 }] },
});
const owner: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', uid: 'rs', namespace: 'default', generation: 2 }, spec: { replicas: 2, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x', extra: 'y' } }, spec: { containers: [] } } } };

test('ClaimPods: owned, adopted, released; other controllers\' and terminating pods ignored', (t) => {
  const c = claimPods(owner, [
    pod('mine', { owner: 'rs' }),
    pod('orphan'),
    pod('relabelled', { owner: 'rs', labels: { app: 'z' } }),
    pod('theirs', { owner: 'other' }),
    pod('going', { owner: 'rs', deleting: true }),
    pod('done', { owner: 'rs', phase: 'Succeeded' }),
  ]);
  t.deepEqual(c.owned.map((p) => p.metadata.name), ['mine']);
  t.deepEqual(c.adopt.map((p) => p.metadata.name), ['orphan']);
  t.deepEqual(c.release.map((p) => p.metadata.name), ['relabelled']);
});

test('which pods to delete first: unscheduled, pending, not ready, crowded nodes, newer', (t) => {
  const pods = [
    pod('ready-old', { node: 'n1', created: 1 }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
    pod('not-ready', { node: 'n2', ready: false }),
    pod('ready-new', { node: 'n3', created: 5 }),
    pod('crowded', { node: 'n1', created: 2 }),
  ];
  t.deepEqual(podsToDelete(pods, 3).map((p) => p.metadata.name), ['unscheduled', 'not-ready', 'crowded']);
  t.deepEqual(podsToDelete([pod('a', { node: 'n1', created: 1 }), pod('b', { node: 'n2', created: 2 })], 1).map((p) => p.metadata.name), ['b']);
});

test('replica counting, slow start batches and status', (t) => {
  t.is(replicaDiff(5, 2), 3);
  t.is(replicaDiff(1, 4), -3);
  t.is(replicaDiff(1000, 0), 500);
  t.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  t.deepEqual(slowStartBatches(1), [1]);
  t.deepEqual(slowStartBatches(0), []);
  const { status } = replicaStatus(owner, [pod('a', { labels: { app: 'x', extra: 'y' } }), pod('b', { ready: false })]);
  t.deepEqual(status, { replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
  const p = podFromTemplate(owner);
  t.is(p.metadata.generateName, 'rs-');
  t.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs', controller: true, blockOwnerDeletion: true }]);
});

// ---- scheduler ----

const node = (name: string, o: { ready?: string; labels?: Record<string, string>; taints?: any[]; unschedulable?: boolean } = {}): KubeObject => ({
  metadata: { name, labels: o.labels ?? {} },
  spec: { taints: o.taints, unschedulable: o.unschedulable },
  status: { conditions: [{ type: 'Ready', status: o.ready ?? 'True' }], allocatable: { pods: '110' } },
});

test('tolerations match taints as v1.Toleration.ToleratesTaint', (t) => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  t.true(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v' }, taint));
  t.false(toleratesTaint({ key: 'k', operator: 'Equal', value: 'w' }, taint));
  t.true(toleratesTaint({ key: 'k', operator: 'Exists' }, taint));
  t.true(toleratesTaint({ operator: 'Exists' }, taint));
  t.false(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
});

test('node filters and the FailedScheduling message', (t) => {
  const p: KubeObject = { metadata: { name: 'p' }, spec: { nodeSelector: { disk: 'ssd' } } };
  t.is(unfitReason(p, node('a', { labels: { disk: 'ssd' } }), 0), undefined);
  t.is(unfitReason(p, node('a'), 0), "node(s) didn't match Pod's node affinity/selector");
  t.is(unfitReason(p, node('a', { ready: 'False', labels: { disk: 'ssd' } }), 0), 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
  t.is(unfitReason(p, node('a', { ready: 'Unknown', labels: { disk: 'ssd' } }), 0), 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }');
  t.is(unfitReason(p, node('a', { unschedulable: true, labels: { disk: 'ssd' } }), 0), 'node(s) were unschedulable');
  t.is(unfitReason(p, node('a', { labels: { disk: 'ssd' } }), 110), 'Too many pods');
  t.is(failedSchedulingMessage(0, []), 'no nodes available to schedule pods');
  t.is(
    failedSchedulingMessage(3, ['node(s) were unschedulable', "node(s) didn't match Pod's node affinity/selector", "node(s) didn't match Pod's node affinity/selector"]),
    "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
});

test('spreading: fewest pods of the same owner first, then fewest pods, then name', (t) => {
  t.is(pickNode([{ name: 'a', pods: 0, ownerPods: 1 }, { name: 'b', pods: 5, ownerPods: 0 }]), 'b');
  t.is(pickNode([{ name: 'a', pods: 3, ownerPods: 0 }, { name: 'b', pods: 1, ownerPods: 0 }]), 'b');
  t.is(pickNode([{ name: 'b', pods: 1, ownerPods: 0 }, { name: 'a', pods: 1, ownerPods: 0 }]), 'a');
  t.is(pickNode([]), undefined);
  const mine = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs', controller: true }] };
  const p: KubeObject = { metadata: { name: 'p', ...mine }, spec: {} };
  const onNode: Record<string, KubeObject[]> = { a: [{ metadata: { name: 'x', ...mine }, spec: {} }], b: [{ metadata: { name: 'y' }, spec: {} }, { metadata: { name: 'z' }, spec: {} }] };
  t.deepEqual(schedule(p, [node('a'), node('b')], (n) => onNode[n] ?? []), { node: 'b' });
  t.deepEqual(schedule(p, [node('a', { ready: 'False' })], () => []), { message: '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' });
});

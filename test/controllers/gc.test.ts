import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { Informer } from '../../client/informer.js';
import { kinds } from '../../controllers/kinds.js';
import { deployment, podsOf, startCluster, waitFor, type TestCluster } from './harness.js';

async function readyDeployment(c: TestCluster, name: string, replicas: number): Promise<{ d: KubeObject; rs: KubeObject; pods: KubeObject[] }> {
  await c.client.create(kinds.deployments, 'default', deployment(name, replicas));
  return waitFor(async () => {
    const d = await c.client.get(kinds.deployments, 'default', name);
    const rs = (await c.client.list(kinds.replicasets, 'default', { labelSelector: `app=${name}` })).items;
    const pods = await podsOf(c.client, `app=${name}`);
    return d.status.availableReplicas === replicas && rs.length === 1 && pods.length === replicas ? { d, rs: rs[0], pods } : undefined;
  }, 10_000);
}

async function exists(c: TestCluster, r: any, name: string): Promise<KubeObject | undefined> {
  try {
    return await c.client.get(r, 'default', name);
  } catch {
    return undefined;
  }
}

/** Record the order in which objects disappear. */
/**
 * The deletions of Deployments, ReplicaSets and pods in the order they were committed: each kind comes on its own watch,
 * and two watches promise no order between them, so the log is kept in resourceVersion order, not in arrival order.
 */
async function deletionLog(c: TestCluster): Promise<{ log: string[]; stop(): Promise<void> }> {
  const seen: { rv: number; what: string }[] = [];
  const log: string[] = [];
  const infs = [kinds.deployments, kinds.replicasets, kinds.pods].map((r) =>
    new Informer(c.client, r).on({
      delete: (o) => {
        seen.push({ rv: Number(o.metadata.resourceVersion), what: `${o.kind}/${o.metadata.name}` });
        log.splice(0, log.length, ...[...seen].sort((a, b) => a.rv - b.rv).map((e) => e.what));
      },
    }),
  );
  await Promise.all(infs.map((i) => i.start()));
  return { log, stop: async () => void (await Promise.all(infs.map((i) => i.stop()))) };
}

test('background deletion (the default): the Deployment goes at once, the garbage collector removes its ReplicaSet and pods', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  const { rs, pods } = await readyDeployment(c, 'bg', 2);
  const rec = await deletionLog(c);
  t.teardown(() => rec.stop());
  await c.client.delete(kinds.deployments, 'default', 'bg');
  t.is(await exists(c, kinds.deployments, 'bg'), undefined);
  await waitFor(async () => !(await exists(c, kinds.replicasets, rs.metadata.name!)) && (await podsOf(c.client, 'app=bg')).length === 0, 10_000);
  // The recorder's watches may still be delivering the last deletions.
  await waitFor(() => rec.log.length >= 4);
  t.is(rec.log[0], 'Deployment/bg');
  t.true(rec.log.includes(`ReplicaSet/${rs.metadata.name}`));
  for (const p of pods) t.true(rec.log.includes(`Pod/${p.metadata.name}`));
});

test('foreground deletion: the Deployment waits with the foregroundDeletion finalizer until its ReplicaSet and pods are gone', async (t) => {
  const c = await startCluster(t, { nodes: 2, nodeOptions: { stopDelayMs: 400 } });
  const { rs, pods } = await readyDeployment(c, 'fg', 2);
  const rec = await deletionLog(c);
  t.teardown(() => rec.stop());
  const res = await c.client.delete(kinds.deployments, 'default', 'fg', { propagationPolicy: 'Foreground' });
  t.truthy(res.metadata.deletionTimestamp);
  t.deepEqual(res.metadata.finalizers, ['foregroundDeletion']);
  // The ReplicaSet is deleted in the foreground too, and waits for its pods (which take 400 ms to stop).
  const rsGoing = await waitFor(async () => {
    const r = await exists(c, kinds.replicasets, rs.metadata.name!);
    return r?.metadata.deletionTimestamp ? r : undefined;
  }, 5000);
  t.deepEqual(rsGoing.metadata.finalizers, ['foregroundDeletion']);
  const d = await exists(c, kinds.deployments, 'fg');
  t.truthy(d?.metadata.deletionTimestamp);
  // No replacement pods while the owners are being deleted.
  await waitFor(async () => !(await exists(c, kinds.deployments, 'fg')), 10_000);
  t.is((await podsOf(c.client, 'app=fg')).length, 0);
  t.is(await exists(c, kinds.replicasets, rs.metadata.name!), undefined);
  // The recorder's watches may still be delivering the last deletions.
  await waitFor(() => rec.log.length >= 4);
  const at = (k: string) => rec.log.indexOf(k);
  for (const p of pods) t.true(at(`Pod/${p.metadata.name}`) >= 0 && at(`Pod/${p.metadata.name}`) < at(`ReplicaSet/${rs.metadata.name}`));
  t.true(at(`ReplicaSet/${rs.metadata.name}`) < at('Deployment/fg'));
  t.is(rec.log.filter((x) => x.startsWith('Pod/')).length, 2);
});

test('--cascade=orphan: the Deployment goes, its ReplicaSet and pods stay running without the owner reference, and a new Deployment adopts them', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  const { rs, pods } = await readyDeployment(c, 'orph', 2);
  await c.client.delete(kinds.deployments, 'default', 'orph', { propagationPolicy: 'Orphan' });
  await waitFor(async () => !(await exists(c, kinds.deployments, 'orph')), 5000);
  const left = await waitFor(async () => {
    const r = await exists(c, kinds.replicasets, rs.metadata.name!);
    return r && !r.metadata.ownerReferences?.length ? r : undefined;
  }, 5000);
  t.is(left.metadata.uid, rs.metadata.uid);
  t.false('ownerReferences' in left.metadata, 'no ownerReferences field at all (Go omits an empty list), not []');
  // A window in which the collector would delete the orphans (it must not; nothing to wait for).
  await new Promise((r) => setTimeout(r, 500));
  const still = await podsOf(c.client, 'app=orph');
  t.deepEqual(still.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort());
  t.true(still.every((p) => !p.metadata.deletionTimestamp && p.metadata.ownerReferences?.[0].uid === rs.metadata.uid));

  // The same Deployment again: it adopts the ReplicaSet (same template) instead of making pods.
  const d2 = await c.client.create(kinds.deployments, 'default', deployment('orph', 2));
  await waitFor(async () => (await exists(c, kinds.replicasets, rs.metadata.name!))?.metadata.ownerReferences?.[0]?.uid === d2.metadata.uid, 5000);
  // A window in which new pods would show (the adopted ReplicaSet must not make any).
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual((await podsOf(c.client, 'app=orph')).map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort());
  t.is((await c.client.list(kinds.replicasets, 'default')).items.length, 1);
});

test('dependents whose owner is already gone are collected; an object with one live owner only loses the dangling reference', async (t) => {
  const c = await startCluster(t, { nodes: 0, controllers: { only: ['garbagecollector'] } });
  const owner = await c.client.create(kinds.configmaps, 'default', { metadata: { name: 'owner' } });
  const ref = (o: KubeObject) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name!, uid: o.metadata.uid as string });
  await c.client.create(kinds.configmaps, 'default', { metadata: { name: 'orphan', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' }] } });
  await c.client.create(kinds.configmaps, 'default', { metadata: { name: 'shared', ownerReferences: [ref(owner), { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' }] } });
  await waitFor(async () => !(await exists(c, kinds.configmaps, 'orphan')), 5000);
  const shared = await waitFor(async () => {
    const s = await exists(c, kinds.configmaps, 'shared');
    return s?.metadata.ownerReferences?.length === 1 ? s : undefined;
  }, 5000);
  t.is(shared.metadata.ownerReferences![0].uid, owner.metadata.uid!);
  await c.client.delete(kinds.configmaps, 'default', 'owner');
  await waitFor(async () => !(await exists(c, kinds.configmaps, 'shared')), 5000);
  t.pass();
});

test('a pod deleted in the foreground goes once its kubelet has deleted it and the collector removed the finalizer', async (t) => {
  const c = await startCluster(t, { controllers: { only: ['garbagecollector'] } });
  await c.client.create(kinds.pods, 'default', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
  await c.client.request('POST', '/api/v1/namespaces/default/pods/p/binding', { body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } } });
  const going = await c.client.delete(kinds.pods, 'default', 'p', { propagationPolicy: 'Foreground', gracePeriodSeconds: 30 });
  t.deepEqual(going.metadata.finalizers, ['foregroundDeletion']);
  // The kubelet stops the pod and deletes it once, with grace 0.
  await c.client.delete(kinds.pods, 'default', 'p', { gracePeriodSeconds: 0 });
  await waitFor(async () => !(await exists(c, kinds.pods, 'p')), 5000);
  t.pass();
});

import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { Informer } from '../../client/informer.js';
import { kinds } from '../../controllers/kinds.js';
import { eventsFor, podsOf, podSpec, startCluster, waitFor } from './harness.js';

const rs = (name: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec() } },
});

test('a ReplicaSet creates exactly its replicas (expectations: never more, even in a burst)', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  let created = 0;
  const inf = new Informer(c.client, kinds.pods).on({ add: () => created++ });
  await inf.start();
  t.teardown(() => inf.stop());
  await c.client.create(kinds.replicasets, 'default', rs('burst', 30));
  await waitFor(async () => (await c.client.get(kinds.replicasets, 'default', 'burst')).status.readyReplicas === 30, 15_000);
  // A window in which a 31st creation would show (nothing to wait for: it must not happen).
  await new Promise((r) => setTimeout(r, 300));
  t.is(created, 30);
  const s = (await c.client.get(kinds.replicasets, 'default', 'burst')).status;
  t.like(s, { replicas: 30, fullyLabeledReplicas: 30, readyReplicas: 30, availableReplicas: 30, observedGeneration: 1 });
  const ev = await eventsFor(c.client, 'burst');
  t.is(ev.filter((e) => e.reason === 'SuccessfulCreate').length, 30);
  t.true(ev.every((e) => e.source.component === 'replicaset-controller'));
});

test('orphans that match are adopted (and the surplus deleted, not-ready first); pods whose labels change are released and replaced', async (t) => {
  const c = await startCluster(t, { nodes: 2, nodeOptions: { podReady: (p) => !p.metadata.labels?.sick } });
  await c.client.create(kinds.replicasets, 'default', rs('web', 2));
  const original = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=web');
    return ps.length === 2 && ps.every((p) => p.status.podIP) ? ps : undefined;
  }, 10_000);
  // A bare pod with the RS's labels that is not ready: adopted, then the RS has 3 and deletes the not-ready one.
  await c.client.create(kinds.pods, 'default', { metadata: { name: 'stray', labels: { app: 'web', sick: 'yes' } }, spec: podSpec() });
  await waitFor(async () => {
    const ps = (await podsOf(c.client, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
    return ps.length === 2 && ps.every((p) => original.some((o) => o.metadata.uid === p.metadata.uid));
  }, 10_000);
  await waitFor(async () => (await eventsFor(c.client, 'web')).some((e) => e.reason === 'SuccessfulDelete' && e.message === 'Deleted pod: stray'));

  // Relabel one pod: released (no owner reference) and replaced.
  await c.client.patch(kinds.pods, 'default', original[0].metadata.name!, { metadata: { labels: { app: 'debug' } } });
  const released = await waitFor(async () => {
    const p = await c.client.get(kinds.pods, 'default', original[0].metadata.name!);
    return p.metadata.ownerReferences?.length ? undefined : p;
  }, 5000);
  t.is(released.metadata.labels!.app, 'debug');
  await waitFor(async () => (await podsOf(c.client, 'app=web')).filter((p) => p.status.podIP && !p.metadata.deletionTimestamp).length === 2, 10_000);
  t.pass();
});

test('scaling down deletes unscheduled and not-ready pods before ready ones', async (t) => {
  const c = await startCluster(t, { nodes: 1, nodeOptions: { podReady: () => true } });
  await c.client.create(kinds.replicasets, 'default', rs('down', 3));
  const ready3 = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=down');
    return ps.length === 3 && ps.every((p) => p.status.podIP) ? ps : undefined;
  }, 10_000);
  // Make one not ready, then scale to 2: that one goes.
  const sick = ready3[1];
  await c.kubelets[0].setPodReady(`default/${sick.metadata.name}`, false);
  await waitFor(async () => (await c.client.get(kinds.replicasets, 'default', 'down')).status.readyReplicas === 2, 5000);
  await c.client.request('PATCH', '/apis/apps/v1/namespaces/default/replicasets/down/scale', { body: { spec: { replicas: 2 } }, contentType: 'application/merge-patch+json' });
  await waitFor(async () => {
    const ps = (await podsOf(c.client, 'app=down')).filter((p) => !p.metadata.deletionTimestamp);
    return ps.length === 2 && !ps.some((p) => p.metadata.uid === sick.metadata.uid);
  }, 5000);
  t.pass();
});

test('a ReplicationController keeps its replicas like a ReplicaSet', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  await c.client.create(kinds.replicationcontrollers, 'default', {
    metadata: { name: 'rc' },
    spec: { replicas: 2, template: { metadata: { labels: { app: 'rc' } }, spec: podSpec() } },
  });
  const pods = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=rc');
    return ps.length === 2 && ps.every((p) => p.status.podIP) ? ps : undefined;
  }, 10_000);
  const rc = await c.client.get(kinds.replicationcontrollers, 'default', 'rc');
  t.deepEqual(pods[0].metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'rc', uid: rc.metadata.uid!, controller: true, blockOwnerDeletion: true }]);
  await waitFor(async () => (await c.client.get(kinds.replicationcontrollers, 'default', 'rc')).status.readyReplicas === 2, 5000);
  t.true((await eventsFor(c.client, 'rc')).some((e) => e.reason === 'SuccessfulCreate' && e.source.component === 'replication-controller'));
});

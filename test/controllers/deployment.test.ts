import test from 'ava';
import { pino } from 'pino';
import { startControllers } from '../../controllers/manager.js';
import { kinds } from '../../controllers/kinds.js';
import { deployment, eventsFor, podsOf, startCluster, waitFor } from './harness.js';

test('a Deployment of 3 makes one ReplicaSet with pod-template-hash and 3 pods spread over 3 nodes', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  const d = await c.client.create(kinds.deployments, 'default', deployment('web', 3));
  const pods = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=web');
    return ps.length === 3 && ps.every((p) => p.spec.nodeName && p.status.podIP) ? ps : undefined;
  }, 10_000);
  const rss = (await c.client.list(kinds.replicasets, 'default')).items;
  t.is(rss.length, 1);
  const rs = rss[0];
  const hash = rs.metadata.labels!['pod-template-hash'];
  t.regex(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  t.is(rs.metadata.name, `web-${hash}`);
  t.is(rs.spec.selector.matchLabels['pod-template-hash'], hash);
  t.is(rs.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  t.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }]);
  for (const p of pods) {
    t.regex(p.metadata.name!, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    t.is(p.metadata.labels!['pod-template-hash'], hash);
    t.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true }]);
  }
  t.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['node1', 'node2', 'node3']);

  const status = await waitFor(async () => {
    const s = (await c.client.get(kinds.deployments, 'default', 'web')).status;
    return s.availableReplicas === 3 && s.conditions?.find((x: any) => x.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' ? s : undefined;
  }, 10_000);
  t.is(status.replicas, 3);
  t.is(status.updatedReplicas, 3);
  t.is(status.readyReplicas, 3);
  t.is(status.observedGeneration, 1);
  t.is(status.unavailableReplicas, undefined);
  const available = status.conditions.find((x: any) => x.type === 'Available');
  t.like(available, { status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
  const progressing = status.conditions.find((x: any) => x.type === 'Progressing');
  t.like(progressing, { status: 'True', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` });
  const dep = await c.client.get(kinds.deployments, 'default', 'web');
  t.is(dep.metadata.annotations!['deployment.kubernetes.io/revision'], '1');

  const rsStatus = (await c.client.get(kinds.replicasets, 'default', rs.metadata.name!)).status;
  t.like(rsStatus, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });

  // What `kubectl describe` shows.
  const dEvents = await eventsFor(c.client, 'web');
  t.true(dEvents.some((e) => e.reason === 'ScalingReplicaSet' && e.message === `Scaled up replica set ${rs.metadata.name} from 0 to 3` && e.source.component === 'deployment-controller'));
  const rsEvents = await waitFor(async () => {
    const es = await eventsFor(c.client, rs.metadata.name!);
    return es.filter((e) => e.reason === 'SuccessfulCreate').length === 3 ? es : undefined;
  });
  t.regex(rsEvents[0].metadata.name!, new RegExp(`^${rs.metadata.name}\\.[0-9a-f]{16}$`));
  t.is(rsEvents[0].involvedObject.kind, 'ReplicaSet');
  const scheduled = await eventsFor(c.client, pods[0].metadata.name!);
  t.true(scheduled.some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned default/${pods[0].metadata.name} to ${pods[0].spec.nodeName}`));
});

test('scale 3→5→1 through /scale, then an image change rolls out and keeps history per revisionHistoryLimit', async (t) => {
  const c = await startCluster(t, { nodes: 3 });
  await c.client.create(kinds.deployments, 'default', deployment('web', 3, { revisionHistoryLimit: 1 }));
  const ready = (n: number) =>
    waitFor(async () => {
      const d = await c.client.get(kinds.deployments, 'default', 'web');
      const s = d.status;
      const pods = (await podsOf(c.client, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
      return d.metadata.generation === s.observedGeneration && s.replicas === n && s.updatedReplicas === n && s.availableReplicas === n && pods.length === n ? { d, pods } : undefined;
    }, 15_000);
  await ready(3);
  const scale = (n: number) => c.client.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { body: { spec: { replicas: n } }, contentType: 'application/merge-patch+json' });
  await scale(5);
  const five = await ready(5);
  t.is((await c.client.list(kinds.replicasets, 'default')).items.length, 1);
  // Spread: 5 over 3 nodes is 2/2/1.
  const perNode = new Map<string, number>();
  for (const p of five.pods) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  t.deepEqual([...perNode.values()].sort(), [1, 2, 2]);
  await scale(1);
  await ready(1);
  const rs1 = (await c.client.list(kinds.replicasets, 'default')).items[0];
  const events = await eventsFor(c.client, 'web');
  t.true(events.some((e) => e.message === `Scaled up replica set ${rs1.metadata.name} to 5 from 3`));
  t.true(events.some((e) => e.message === `Scaled down replica set ${rs1.metadata.name} to 1 from 5`));

  // Rolling update: 3 replicas, new image.
  await scale(3);
  await ready(3);
  await c.client.patch(kinds.deployments, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } }, 'application/strategic-merge-patch+json');
  const done = await ready(3);
  t.true(done.pods.every((p) => p.spec.containers[0].image === 'nginx:1.26'));
  const rss = (await c.client.list(kinds.replicasets, 'default')).items;
  t.is(rss.length, 2);
  const newRS = rss.find((r) => r.spec.template.spec.containers[0].image === 'nginx:1.26')!;
  const oldRS = rss.find((r) => r !== newRS)!;
  t.is(oldRS.metadata.name, rs1.metadata.name);
  t.is(oldRS.spec.replicas, 0);
  t.is(newRS.spec.replicas, 3);
  t.is(newRS.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  t.is(done.d.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  t.like(done.d.status.conditions.find((x: any) => x.type === 'Progressing'), { reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` });

  // A third template: with revisionHistoryLimit 1 only one old ReplicaSet stays.
  await c.client.patch(kinds.deployments, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } } }, 'application/strategic-merge-patch+json');
  await ready(3);
  const after = await waitFor(async () => {
    const items = (await c.client.list(kinds.replicasets, 'default')).items;
    return items.length === 2 ? items : undefined;
  }, 10_000);
  t.deepEqual(after.map((r) => r.metadata.annotations!['deployment.kubernetes.io/revision']).sort(), ['2', '3']);
  t.false(after.some((r) => r.metadata.name === rs1.metadata.name));
});

test('a rolling update never goes below replicas - maxUnavailable available nor above replicas + maxSurge pods', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  await c.client.create(kinds.deployments, 'default', deployment('roll', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await waitFor(async () => (await c.client.get(kinds.deployments, 'default', 'roll')).status.availableReplicas === 4, 10_000);
  let maxPods = 0;
  let minAvailable = Infinity;
  let stop = false;
  const watcher = (async () => {
    while (!stop) {
      const pods = (await podsOf(c.client, 'app=roll')).filter((p) => !p.metadata.deletionTimestamp);
      maxPods = Math.max(maxPods, pods.length);
      const ready = pods.filter((p) => p.status.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True')).length;
      minAvailable = Math.min(minAvailable, ready);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await c.client.patch(kinds.deployments, 'default', 'roll', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } }, 'application/strategic-merge-patch+json');
  await waitFor(async () => {
    const d = await c.client.get(kinds.deployments, 'default', 'roll');
    return d.status.observedGeneration === 2 && d.status.updatedReplicas === 4 && d.status.replicas === 4 && d.status.availableReplicas === 4;
  }, 15_000);
  stop = true;
  await watcher;
  t.true(maxPods <= 5, `at most replicas+maxSurge pods, saw ${maxPods}`);
  t.true(minAvailable >= 4, `never fewer than replicas-maxUnavailable ready, saw ${minAvailable}`);
});

test('Recreate: all old pods are gone before new ones are created', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  await c.client.create(kinds.deployments, 'default', deployment('rec', 2, { strategy: { type: 'Recreate' } }));
  await waitFor(async () => (await c.client.get(kinds.deployments, 'default', 'rec')).status.availableReplicas === 2, 10_000);
  let mixed = false;
  let stop = false;
  const watcher = (async () => {
    while (!stop) {
      const images = new Set((await podsOf(c.client, 'app=rec')).map((p) => p.spec.containers[0].image));
      if (images.size > 1) mixed = true;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await c.client.patch(kinds.deployments, 'default', 'rec', { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } }, 'application/strategic-merge-patch+json');
  await waitFor(async () => {
    const d = await c.client.get(kinds.deployments, 'default', 'rec');
    return d.status.observedGeneration === 2 && d.status.updatedReplicas === 2 && d.status.availableReplicas === 2 && d.status.replicas === 2;
  }, 15_000);
  stop = true;
  await watcher;
  t.false(mixed, 'old and new pods never coexist');
});

test('restarted controllers find their state in the API: no duplicate ReplicaSets or pods, and they carry on', async (t) => {
  const c = await startCluster(t, { nodes: 2 });
  await c.client.create(kinds.deployments, 'default', deployment('web', 3));
  await waitFor(async () => (await c.client.get(kinds.deployments, 'default', 'web')).status.availableReplicas === 3, 10_000);
  const before = (await podsOf(c.client, 'app=web')).map((p) => p.metadata.uid).sort();
  await c.controllers.stop();
  const again = await startControllers({ client: c.client, logger: pino({ level: 'silent' }) });
  t.teardown(() => again.stop());
  // A window in which the restarted controllers would make duplicates (they must not: nothing to wait for).
  await new Promise((r) => setTimeout(r, 500));
  t.deepEqual((await podsOf(c.client, 'app=web')).map((p) => p.metadata.uid).sort(), before);
  t.is((await c.client.list(kinds.replicasets, 'default')).items.length, 1);
  await c.client.patch(kinds.deployments, 'default', 'web', { spec: { replicas: 4 } });
  await waitFor(async () => (await c.client.get(kinds.deployments, 'default', 'web')).status.availableReplicas === 4, 10_000);
  t.is((await podsOf(c.client, 'app=web')).length, 4);
});

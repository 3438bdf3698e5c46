import test from 'ava';
import { kinds } from '../../controllers/kinds.js';
import { deployment, eventsFor, podsOf, startCluster, waitFor } from './harness.js';

const ready = (o: any) => o.status?.conditions?.find((c: any) => c.type === 'Ready');

test('a node whose lease expires goes Unknown, is tainted unreachable, its pods turn not ready and are replaced on another node', async (t) => {
  const c = await startCluster(t, { nodes: 2, controllers: { nodeMonitorGracePeriodSeconds: 2, podEvictionTimeoutSeconds: 3 } });
  await c.client.create(kinds.deployments, 'default', deployment('web', 2));
  await c.client.create(kinds.services, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const pods = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=web');
    return ps.length === 2 && ps.every((p) => ready(p)?.status === 'True') ? ps : undefined;
  }, 10_000);
  const victim = pods.find((p) => p.spec.nodeName === 'node1')!;
  t.truthy(victim);
  const t0 = Date.now();
  await c.kubelets[0].stop();

  const node = await waitFor(async () => {
    const n = await c.client.get(kinds.nodes, undefined, 'node1');
    return ready(n)?.status === 'Unknown' ? n : undefined;
  }, 5000, 50);
  const unknownAfter = Date.now() - t0;
  t.like(ready(node), { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
  t.true(unknownAfter >= 2000 - 350, `not before the grace period (${unknownAfter} ms)`);
  const taints = await waitFor(async () => {
    const ts = (await c.client.get(kinds.nodes, undefined, 'node1')).spec.taints ?? [];
    return ts.length === 2 ? ts : undefined;
  }, 3000);
  t.deepEqual(taints.map((x: any) => `${x.key}:${x.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  // The pod is marked not ready, so the endpoints drop it.
  await waitFor(async () => ready(await c.client.get(kinds.pods, 'default', victim.metadata.name!))?.status === 'False', 3000);
  await waitFor(async () => {
    const ep = await c.client.get(kinds.endpoints, 'default', 'web');
    const notReady = ep.subsets?.flatMap((s: any) => (s.notReadyAddresses ?? []).map((a: any) => a.ip)) ?? [];
    return notReady.includes(victim.status.podIP);
  }, 3000);
  t.true((await eventsFor(c.client, 'node1')).some((e) => e.reason === 'NodeNotReady' && e.message === 'Node node1 status is now: NodeNotReady'));

  // After the eviction timeout the pod is deleted and replaced on node2.
  await waitFor(async () => {
    try {
      await c.client.get(kinds.pods, 'default', victim.metadata.name!);
      return false;
    } catch {
      return true;
    }
  }, 6000, 50);
  const evictedAfter = Date.now() - t0;
  t.log(`Unknown after ${unknownAfter} ms, pod evicted after ${evictedAfter} ms`);
  // The last lease renewal may predate stop() by up to one renewal period (300 ms).
  t.true(evictedAfter >= 5000 - 350, 'evicted after grace + eviction timeout');
  const replaced = await waitFor(async () => {
    const ps = (await podsOf(c.client, 'app=web')).filter((p) => ready(p)?.status === 'True');
    return ps.length === 2 ? ps : undefined;
  }, 5000);
  t.deepEqual(replaced.map((p) => p.spec.nodeName), ['node2', 'node2']);
  t.true((await eventsFor(c.client, victim.metadata.name!)).some((e) => e.reason === 'TaintManagerEviction'));

  // The kubelet comes back (its lease is renewed): Ready again, taints gone.
  const renew = () => c.client.patch(kinds.leases, 'kube-node-lease', 'node1', { spec: { renewTime: new Date().toISOString().replace('Z', '000Z') } });
  await renew();
  const back = await waitFor(async () => {
    const n = await c.client.get(kinds.nodes, undefined, 'node1');
    return ready(n)?.status === 'True' && !(n.spec.taints ?? []).length ? n : undefined;
  }, 3000);
  t.like(ready(back), { reason: 'KubeletReady' });
});

test('pods bound to a deleted node are force-deleted after the grace period and replaced', async (t) => {
  const c = await startCluster(t, { nodes: 2, controllers: { nodeMonitorGracePeriodSeconds: 2, podEvictionTimeoutSeconds: 30 } });
  await c.client.create(kinds.deployments, 'default', deployment('web', 2));
  const pods = await waitFor(async () => {
    const ps = await podsOf(c.client, 'app=web');
    return ps.length === 2 && ps.every((p) => ready(p)?.status === 'True') ? ps : undefined;
  }, 10_000);
  const victim = pods.find((p) => p.spec.nodeName === 'node2')!;
  await c.kubelets[1].stop();
  await c.client.delete(kinds.nodes, undefined, 'node2');
  await waitFor(async () => {
    const ps = (await podsOf(c.client, 'app=web')).filter((p) => ready(p)?.status === 'True');
    return ps.length === 2 && ps.every((p) => p.spec.nodeName === 'node1') && !ps.some((p) => p.metadata.uid === victim.metadata.uid);
  }, 8000);
  t.pass();
});

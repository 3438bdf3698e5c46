import test from 'ava';
import { pino } from 'pino';
import type { KubeObject } from '../../api/types.js';
import { kinds } from '../../controllers/kinds.js';
import { startControllers } from '../../controllers/manager.js';
import { eventsFor, startCluster, waitFor, type TestCluster } from './harness.js';

const lb = (name: string, extra: any = {}) => ({ metadata: { name }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }], ...extra } });
const ipOf = (s: KubeObject) => s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined;
const svcIP = async (c: TestCluster, name: string) => ipOf(await c.client.get(kinds.services, 'default', name));

test('LoadBalancer IPs: allocation in order, a requested IP, exhaustion leaves <pending>, release on type change and delete', async (t) => {
  const c = await startCluster(t, { controllers: { lbPool: '172.18.0.200-172.18.0.202', only: ['lbpool'] } });
  await c.client.create(kinds.services, 'default', lb('a'));
  t.is(await waitFor(() => svcIP(c, 'a')), '172.18.0.200');
  await c.client.create(kinds.services, 'default', lb('b', { loadBalancerIP: '172.18.0.202' }));
  t.is(await waitFor(() => svcIP(c, 'b')), '172.18.0.202');
  await c.client.create(kinds.services, 'default', lb('c'));
  t.is(await waitFor(() => svcIP(c, 'c')), '172.18.0.201');
  const a = await c.client.get(kinds.services, 'default', 'a');
  t.deepEqual(a.status.loadBalancer.ingress, [{ ip: '172.18.0.200', ipMode: 'VIP' }]);
  const allocated = await waitFor(async () => (await eventsFor(c.client, 'a')).find((e) => e.reason === 'IPAllocated'));
  t.is(allocated.message, 'Assigned IP ["172.18.0.200"]');

  // Exhausted: d stays pending with an AllocationFailed event.
  await c.client.create(kinds.services, 'default', lb('d'));
  const failed = await waitFor(async () => (await eventsFor(c.client, 'd')).find((e) => e.reason === 'AllocationFailed'));
  t.is(failed.type, 'Warning');
  t.is(failed.message, 'Failed to allocate IP for "default/d": no available IPs');
  t.is(await svcIP(c, 'd'), undefined);
  // A request outside the pool fails too.
  await c.client.create(kinds.services, 'default', lb('e', { loadBalancerIP: '10.1.2.3' }));
  const outside = await waitFor(async () => (await eventsFor(c.client, 'e')).find((e) => e.reason === 'AllocationFailed'));
  t.regex(outside.message, /not allowed in config/);

  // a stops being a LoadBalancer: its IP is released and d gets it.
  await c.client.patch(kinds.services, 'default', 'a', { spec: { type: 'ClusterIP' } });
  await waitFor(async () => (await svcIP(c, 'a')) === undefined);
  t.is(await waitFor(() => svcIP(c, 'd')), '172.18.0.200');
  // Deleting b frees .202 for the next one.
  await c.client.delete(kinds.services, 'default', 'b');
  await c.client.create(kinds.services, 'default', lb('f'));
  t.is(await waitFor(() => svcIP(c, 'f')), '172.18.0.202');
  t.is(await svcIP(c, 'e'), undefined);
});

test('the pool comes from the ConfigMap mk8s-system/lb-pool when it exists, and a restarted controller keeps every allocation', async (t) => {
  const c = await startCluster(t, { controllers: { lbPool: '172.18.0.200-172.18.0.250', only: ['lbpool'] } });
  await c.client.create(kinds.services, 'default', lb('x'));
  t.is(await waitFor(() => svcIP(c, 'x')), '172.18.0.200');
  await c.client.create(kinds.namespaces, undefined, { metadata: { name: 'mk8s-system' } });
  await c.client.create(kinds.configmaps, 'mk8s-system', { metadata: { name: 'lb-pool' }, data: { ranges: '192.168.50.10-192.168.50.11\n192.168.60.0/31' } });
  // x's address is not in the new pool: it moves.
  t.is(await waitFor(async () => ((await svcIP(c, 'x'))?.startsWith('192.168.50.') ? svcIP(c, 'x') : undefined)), '192.168.50.10');
  // One at a time: Services waiting together are served oldest first, and by name within one second (creationTimestamp's precision).
  for (const n of ['y', 'z', 'w']) {
    await c.client.create(kinds.services, 'default', lb(n));
    await waitFor(async () => (await svcIP(c, n)) !== undefined);
  }
  const before = Object.fromEntries(await Promise.all(['x', 'y', 'z', 'w'].map(async (n) => [n, await svcIP(c, n)])));
  t.deepEqual(before, { x: '192.168.50.10', y: '192.168.50.11', z: '192.168.60.0', w: '192.168.60.1' });

  // Restart: the state is in the Services' status only.
  await c.controllers.stop();
  const again = await startControllers({ client: c.client, logger: pino({ level: 'silent' }), lbPool: '172.18.0.200-172.18.0.250', only: ['lbpool'] });
  t.teardown(() => again.stop());
  await c.client.create(kinds.services, 'default', lb('v'));
  // The restarted controller has made an allocation pass over every Service once it says v finds the pool full.
  await waitFor(async () => (await eventsFor(c.client, 'v')).find((e) => e.reason === 'AllocationFailed'));
  const after = Object.fromEntries(await Promise.all(['x', 'y', 'z', 'w'].map(async (n) => [n, await svcIP(c, n)])));
  t.deepEqual(after, before);
  t.is(await svcIP(c, 'v'), undefined);
  // Growing the pool serves the waiting one.
  await c.client.patch(kinds.configmaps, 'mk8s-system', 'lb-pool', { data: { ranges: '192.168.50.10-192.168.50.12,192.168.60.0/31' } });
  t.is(await waitFor(() => svcIP(c, 'v')), '192.168.50.12');
});

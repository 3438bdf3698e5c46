// Leader election against a real API server: optimistic concurrency lets one
// candidate win, a released lease is taken at once, and a leader cut off from
// the API server stops acting at its renew deadline while another takes over
// once the lease has run out.
import test from 'ava';
import net from 'node:net';
import { pino } from 'pino';
import { startTestApi, eventually } from '../../testkit/api.js';
import { Client } from '../../client/http.js';
import { LeaderElector, leases, type LeaderElectorOptions } from '../../client/leaderelection.js';
import { GatedClient } from '../../controllers/leader.js';
import { findByKind } from '../../api/resources.js';

const configMaps = findByKind('v1', 'ConfigMap')!;
const log = pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' });

function elector(client: Client, identity: string, over: Partial<LeaderElectorOptions> = {}) {
  const events: string[] = [];
  const e = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: 'test-lock',
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    log,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => void events.push('stopped'),
    ...over,
  });
  return { e, events };
}

test('of many candidates trying at once, exactly one gets the lease', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  for (let round = 0; round < 3; round++) {
    const name = `race-${round}`;
    const all = Array.from({ length: 6 }, (_, i) => elector(api.client, `c${i}`, { name }).e);
    const won = await Promise.all(all.map((e) => e.tryAcquireOrRenew(5000)));
    t.is(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
    const lease = await api.client.get(leases, 'kube-system', name);
    t.is(lease.spec.holderIdentity, `c${won.indexOf(true)}`);
    // The losers now see it held: a second try of theirs fails, the winner's renews.
    const again = await Promise.all(all.map((e) => e.tryAcquireOrRenew(5000)));
    t.deepEqual(again, won);
  }
});

test('one leader at a time; on cancel it steps down and another takes over at once', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const a = elector(api.client, 'a', { releaseOnCancel: true });
  const b = elector(api.client, 'b');
  const ca = new AbortController();
  const cb = new AbortController();
  t.teardown(() => (ca.abort(), cb.abort()));
  const ra = a.e.run(ca.signal);
  await eventually(() => a.e.isLeader(), 5000);
  const rb = b.e.run(cb.signal);
  await eventually(() => b.e.getLeader() === 'a', 5000);
  t.false(b.e.isLeader());
  const lease = await api.client.get(leases, 'kube-system', 'test-lock');
  t.is(lease.spec.holderIdentity, 'a');
  t.is(lease.spec.leaseDurationSeconds, 3);
  t.regex(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  // It renews: renewTime moves, the resourceVersion with it.
  await eventually(async () => (await api.client.get(leases, 'kube-system', 'test-lock')).spec.renewTime !== lease.spec.renewTime, 3000);
  t.false(b.e.isLeader(), 'b waits while a renews');
  const t0 = Date.now();
  ca.abort();
  await ra;
  t.deepEqual(a.events, ['started', 'stopped']);
  await eventually(() => b.e.isLeader(), 3000);
  t.true(Date.now() - t0 < 2500, `released lease taken in ${Date.now() - t0} ms, well under the 3 s lease`);
  const after = await api.client.get(leases, 'kube-system', 'test-lock');
  t.is(after.spec.holderIdentity, 'b');
  t.is(after.spec.leaseTransitions, 1, 'a took it first (0), b took it over (1); the release itself is no transition');
  cb.abort();
  await rb;
});

test('a leader cut off from the API server stops writing at its renew deadline; another takes over after the lease', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  // a reaches the API server through a TCP relay we can cut.
  const target = new URL(api.server.url);
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((c) => {
    const s = net.connect(Number(target.port), target.hostname);
    sockets.add(c).add(s);
    c.pipe(s).pipe(c);
    const end = () => (c.destroy(), s.destroy());
    c.on('error', end).on('close', end);
    s.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  t.teardown(() => relay.close());
  const cfg = { ...api.client.config, server: `https://127.0.0.1:${(relay.address() as net.AddressInfo).port}` };
  const viaRelay = new Client(cfg);
  t.teardown(() => viaRelay.close());
  const a = elector(viaRelay, 'a');
  const b = elector(api.client, 'b');
  const gated = new GatedClient(cfg, () => a.e.isLeader());
  t.teardown(() => gated.close());
  const ca = new AbortController();
  const cb = new AbortController();
  t.teardown(() => (ca.abort(), cb.abort()));
  const ra = a.e.run(ca.signal);
  await eventually(() => a.e.isLeader(), 5000);
  const rb = b.e.run(cb.signal);
  await eventually(() => b.e.getLeader() === 'a', 5000);
  await gated.create(configMaps, 'default', { metadata: { name: 'while-leader' }, data: {} });

  // Cut: no new connection gets through, open ones are closed.
  relay.close();
  for (const s of sockets) s.destroy();
  const cut = Date.now();
  await eventually(() => !a.e.isLeader(), 4000, 10);
  const stoppedAfter = Date.now() - cut;
  t.true(stoppedAfter <= 2000 + 300, `a stopped acting ${stoppedAfter} ms after the cut (renewDeadline 2 s)`);
  await t.throwsAsync(gated.create(configMaps, 'default', { metadata: { name: 'after-loss' }, data: {} }), { message: /not the leader/ });
  await eventually(() => a.events.includes('stopped'), 3000);
  await eventually(() => b.e.isLeader(), 6000, 20);
  const tookOver = Date.now() - cut;
  // b saw a's last renewal at most a retry period before the cut; it waits out the 3 s lease, then tries within retryPeriod*(1+1.2).
  t.true(tookOver >= 3000 - 300 - 100, `b took over ${tookOver} ms after the cut, not before the lease ran out`);
  t.true(tookOver <= 3000 + 300 * 2.2 + 1000, `b took over ${tookOver} ms after the cut`);
  t.true(stoppedAfter < tookOver, 'never two leaders at once');
  await t.throwsAsync(api.client.get(configMaps, 'default', 'after-loss'), { message: /not found/ });
  ca.abort();
  cb.abort();
  await Promise.all([ra, rb]);
});

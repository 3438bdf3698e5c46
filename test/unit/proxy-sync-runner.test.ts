// The sync runner with a real backend callback and real timers (short periods): full first, coalescing,
// min period, retry with backoff and a full sync after a failure, full when intact() says damaged.
import test from 'ava';
import { SyncRunner } from '../../proxy/sync-runner.js';
import { parseProxyMode } from '../../proxy/backends.js';

function recorder(o: { fail?: number; intact?: () => boolean } = {}) {
  const calls: { full: boolean; at: number }[] = [];
  let failLeft = o.fail ?? 0;
  let inFlight = 0;
  let overlap = false;
  return {
    calls,
    get overlap() {
      return overlap;
    },
    sync: async (full: boolean) => {
      inFlight++;
      if (inFlight > 1) overlap = true;
      calls.push({ full, at: Date.now() });
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      if (failLeft > 0) {
        failLeft--;
        throw new Error('restore failed');
      }
    },
    intact: async () => (o.intact ? o.intact() : true),
  };
}

test('the first sync is full; later ones partial; requests during a sync coalesce into one more', async (t) => {
  const rec = recorder();
  const r = new SyncRunner({ ...rec, periodMs: 60_000 });
  t.teardown(() => r.stop());
  r.start();
  await r.synced();
  t.deepEqual(rec.calls.map((c) => c.full), [true]);
  for (let i = 0; i < 10; i++) r.request();
  await r.synced();
  t.true(rec.calls.length <= 3, `${rec.calls.length} syncs for 10 requests`);
  t.false(rec.calls.at(-1)!.full);
  t.false(rec.overlap, 'never two syncs at once');
  t.true(r.lastSuccess > 0);
});

test('nothing syncs before start(): changes seen while the informers list wait for the first, full sync', async (t) => {
  const rec = recorder();
  const r = new SyncRunner({ ...rec, periodMs: 60_000 });
  t.teardown(() => r.stop());
  // An informer's first list tells its handlers one add per object, and each asks for a sync.
  for (let i = 0; i < 5; i++) r.request();
  await new Promise((res) => setTimeout(res, 50));
  t.deepEqual(rec.calls, [], 'no sync from a half-listed cache');
  r.start();
  await r.synced();
  t.deepEqual(rec.calls.map((c) => c.full), [true], 'one full sync once started');
});

test('minSyncMs spaces syncs; the first change after a quiet spell runs at once', async (t) => {
  const rec = recorder();
  const r = new SyncRunner({ ...rec, minSyncMs: 150, periodMs: 60_000 });
  t.teardown(() => r.stop());
  r.start();
  await r.synced();
  await new Promise((res) => setTimeout(res, 200));
  const t0 = Date.now();
  await r.synced();
  t.true(Date.now() - t0 < 100, 'quiet for longer than minSyncMs: no wait');
  await r.synced();
  const [a, b] = rec.calls.slice(-2);
  t.true(b.at - a.at >= 140, `${b.at - a.at} ms between syncs`);
});

test('a failed sync is retried with backoff, and the retry is full', async (t) => {
  const rec = recorder({ fail: 2 });
  const errors: number[] = [];
  const r = new SyncRunner({ ...rec, retryMs: 40, periodMs: 60_000, onError: (_e, _n, wait) => errors.push(wait) });
  t.teardown(() => r.stop());
  r.start();
  while (r.lastSuccess === 0) await r.synced();
  t.deepEqual(errors, [40, 80], 'backoff doubles');
  t.deepEqual(rec.calls.map((c) => c.full), [true, true, true]);
  t.true(rec.calls[2].at - rec.calls[1].at >= 75);
  t.is(r.stats.failures, 2);
  await r.synced();
  t.false(rec.calls.at(-1)!.full, 'back to partial syncs after a success');
});

test('the periodic check asks intact(); damaged rules get a full sync', async (t) => {
  let intact = true;
  const rec = recorder({ intact: () => intact });
  const r = new SyncRunner({ ...rec, periodMs: 50 });
  t.teardown(() => r.stop());
  r.start();
  await r.synced();
  await r.synced(); // a periodic sync ran or will run: partial while intact
  intact = false;
  const n = rec.calls.length;
  while (r.stats.damaged === 0) await r.synced();
  t.true(rec.calls.slice(n).some((c) => c.full));
});

test('fullSyncMs: a full sync at least that often', async (t) => {
  const rec = recorder();
  const r = new SyncRunner({ ...rec, fullSyncMs: 60, periodMs: 60_000 });
  t.teardown(() => r.stop());
  r.start();
  await r.synced();
  await r.synced();
  t.false(rec.calls.at(-1)!.full);
  await new Promise((res) => setTimeout(res, 80));
  await r.synced();
  t.true(rec.calls.at(-1)!.full);
});

test('parseProxyMode: iptables by default, nftables, and a one-line error otherwise', (t) => {
  t.is(parseProxyMode(undefined), 'iptables');
  t.is(parseProxyMode(''), 'iptables');
  t.is(parseProxyMode('nftables'), 'nftables');
  t.throws(() => parseProxyMode('ipvs'), { message: 'unknown proxy mode "ipvs" (choose one of: iptables, nftables)' });
});

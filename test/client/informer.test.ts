// The informer against a real API server on loopback: handlers that throw
// are isolated, and the watch survives its connection being cut — with the
// reflector's back-off driven by a FakeClock (so the test waits on the
// informer going to sleep, never on a fixed delay) — resuming from its
// resourceVersion, or relisting when that version has left the watch window.
import net from 'node:net';
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { FakeClock } from '../../client/clock.js';
import { Client } from '../../client/http.js';
import { Informer, type InformerLog } from '../../client/informer.js';
import { startTestApi, eventually } from '../../testkit/api.js';

const configmaps = findByPlural('', 'configmaps')!;

const name = (o: KubeObject) => o.metadata.name!;

/** The promise, or a clear failure if it has not settled within ms (the waits below are on events; this only bounds them). */
function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not within ${ms}ms: ${what}`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A log that keeps what it is told, for assertions (and keeps test output quiet). */
function memoryLog() {
  const lines: { level: string; obj: any; msg: string }[] = [];
  const log: InformerLog = {
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { log, lines };
}

/** Records every event as a line; `next(line)` resolves when that line arrives (an event wait, not a poll). */
function recorder() {
  const seen: string[] = [];
  const waiters: { line: string; resolve(): void }[] = [];
  const push = (line: string) => {
    seen.push(line);
    for (const w of waiters.filter((w) => w.line === line)) w.resolve();
  };
  return {
    seen,
    handlers: {
      add: (o: KubeObject) => push(`add ${name(o)}`),
      update: (o: KubeObject, old: KubeObject) => push(`update ${name(o)} ${old.data?.v ?? '-'}->${o.data?.v ?? '-'}`),
      delete: (o: KubeObject) => push(`delete ${name(o)}`),
    },
    next(line: string): Promise<void> {
      if (seen.includes(line)) return Promise.resolve();
      return within(new Promise((resolve) => waiters.push({ line, resolve })), `event "${line}" (seen: ${JSON.stringify(seen)})`);
    },
  };
}

/** A loopback TCP relay in front of the API server whose connections the test can cut, and whose port it can close and reopen. */
async function relay(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    server = net.createServer((down) => {
      const up = net.connect(targetPort, '127.0.0.1');
      const drop = () => {
        down.destroy();
        up.destroy();
        sockets.delete(down);
        sockets.delete(up);
      };
      sockets.add(down).add(up);
      down.pipe(up).pipe(down);
      for (const s of [down, up]) s.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve, reject) => server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  await listen();
  return {
    port: () => port,
    /** Stop accepting (connection refused from now on) and cut every open connection. */
    async cut() {
      const closed = new Promise((r) => (server!.listening ? server!.close(r) : r(undefined)));
      for (const s of sockets) s.destroy();
      await closed;
    },
    reopen: listen,
  };
}

test('a handler that throws on every event (or rejects) is logged; the others still see every event, in order, on the same watch', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  await api.client.create(configmaps, 'default', { metadata: { name: 'pre-1' }, data: { v: '1' } });
  await api.client.create(configmaps, 'default', { metadata: { name: 'pre-2' }, data: { v: '1' } });

  const { log, lines } = memoryLog();
  const inf = new Informer(api.client, configmaps, { namespace: 'default', log });
  const first = recorder();
  const last = recorder();
  const boom = (what: string) => () => {
    throw new Error(`boom ${what}`);
  };
  const reject = (what: string) => async () => {
    throw new Error(`async boom ${what}`);
  };
  inf.on(first.handlers);
  inf.on({ add: boom('add'), update: boom('update'), delete: boom('delete') });
  inf.on({ add: reject('add'), update: reject('update'), delete: reject('delete') });
  inf.on(last.handlers);
  await within(inf.start(), 'the first list');
  t.teardown(() => inf.stop());

  await api.client.create(configmaps, 'default', { metadata: { name: 'a' }, data: { v: '1' } });
  await api.client.create(configmaps, 'default', { metadata: { name: 'b' }, data: { v: '1' } });
  await api.client.patch(configmaps, 'default', 'a', { data: { v: '2' } });
  await api.client.patch(configmaps, 'default', 'pre-1', { data: { v: '2' } });
  await api.client.patch(configmaps, 'default', 'a', { data: { v: '3' } });
  await api.client.delete(configmaps, 'default', 'pre-2');
  await api.client.delete(configmaps, 'default', 'b');
  await api.client.create(configmaps, 'default', { metadata: { name: 'c' } });
  const expected = ['add pre-1', 'add pre-2', 'add a', 'add b', 'update a 1->2', 'update pre-1 1->2', 'update a 2->3', 'delete pre-2', 'delete b', 'add c'];
  await last.next('add c');
  t.deepEqual(last.seen, expected, 'the handler after the failing ones saw everything, in order');
  t.deepEqual(first.seen, expected, 'the handler before them too');
  // every event failed twice (the throw and the rejection), each logged with what failed
  await eventually(() => inf.stats.handlerErrors === 2 * expected.length);
  const errors = lines.filter((l) => l.level === 'error');
  t.is(errors.length, 2 * expected.length);
  t.like(errors[0], { msg: 'informer: event handler failed', obj: { resource: 'configmaps', event: 'add', object: 'default/pre-1', err: 'boom add' } });
  t.true(errors.some((l) => l.obj.event === 'delete' && l.obj.object === 'default/b' && l.obj.err === 'async boom delete'));
  t.like(inf.stats, { lists: 1, watches: 1, backoffs: 0 }, 'the watch was never torn down');
  t.deepEqual(inf.list().map(name).sort(), ['a', 'c', 'pre-1']);
});

test('when its connection is cut the informer backs off 1.2 s, 2.4 s, 4.8 s… (fake clock), resumes from its resourceVersion, and a healthy watch resets the back-off', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const r = await relay(Number(new URL(api.server.url).port));
  t.teardown(() => r.cut());
  const client = new Client({ server: `https://127.0.0.1:${r.port()}`, token: api.server.token, caCert: api.server.caCert });
  t.teardown(() => client.close());
  const clock = new FakeClock();
  const { log, lines } = memoryLog();
  // random 0.5: each delay is its base × 1.5
  const inf = new Informer(client, configmaps, { namespace: 'default', clock, log, backoff: { random: () => 0.5 } });
  const rec = recorder();
  inf.on(rec.handlers);
  await within(inf.start(), 'the first list');
  t.teardown(() => inf.stop());
  await api.client.create(configmaps, 'default', { metadata: { name: 'a' } });
  await rec.next('add a');

  await r.cut();
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [1200], 'first wait: 0.8 s base + jitter');
  await api.client.create(configmaps, 'default', { metadata: { name: 'b' } }); // while the informer is cut off
  clock.advance(1200);
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [2400], 'connection refused: the base doubles');
  clock.advance(2400);
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [4800]);
  await r.reopen();
  clock.advance(4800);
  await rec.next('add b');
  t.deepEqual(rec.seen, ['add a', 'add b']);
  t.is(inf.stats.lists, 1, 'resumed the watch from its resourceVersion, no relist');
  t.true(lines.every((l) => l.level === 'warn' && /watch failed/.test(l.msg)), JSON.stringify(lines));
  t.deepEqual(lines.map((l) => l.obj.retryInMs), [1200, 2400, 4800]);

  // the watch delivered an event, so the next failure starts from 0.8 s again
  await r.cut();
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [1200]);
  await r.reopen();
  await api.client.delete(configmaps, 'default', 'a');
  clock.advance(1200);
  await rec.next('delete a');
  t.deepEqual(rec.seen, ['add a', 'add b', 'delete a']);
  t.is(inf.stats.lists, 1);
});

test('cut off until its resourceVersion leaves the watch window, the informer gets 410, relists after the back-off and misses nothing', async (t) => {
  const api = await startTestApi({ watchWindow: 5, bookmarkInterval: 3600 });
  t.teardown(() => api.close());
  const r = await relay(Number(new URL(api.server.url).port));
  t.teardown(() => r.cut());
  const client = new Client({ server: `https://127.0.0.1:${r.port()}`, token: api.server.token, caCert: api.server.caCert });
  t.teardown(() => client.close());
  const clock = new FakeClock();
  const { log, lines } = memoryLog();
  const inf = new Informer(client, configmaps, { namespace: 'default', clock, log, backoff: { random: () => 0 } });
  const rec = recorder();
  inf.on(rec.handlers);
  for (const n of ['keep', 'gone']) await api.client.create(configmaps, 'default', { metadata: { name: n } });
  await within(inf.start(), 'the first list');
  t.teardown(() => inf.stop());

  await r.cut();
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [800]);
  // more writes than the window holds, while the informer cannot see them
  await api.client.delete(configmaps, 'default', 'gone');
  for (let i = 0; i < 8; i++) await api.client.create(configmaps, 'default', { metadata: { name: `new-${i}` } });
  await r.reopen();
  clock.advance(800);
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [1600], '410 is a failure too: back off, then relist');
  t.like(lines.at(-1)!.obj, { relist: true });
  t.regex(lines.at(-1)!.obj.err, /too old|expired/i);
  t.is(inf.stats.lists, 1);
  clock.advance(1600);
  await rec.next('add new-7');
  t.is(inf.stats.lists, 2);
  t.deepEqual([...rec.seen].sort(), ['add gone', 'add keep', 'delete gone', ...Array.from({ length: 8 }, (_, i) => `add new-${i}`)].sort());
  t.true(rec.seen.indexOf('delete gone') > rec.seen.indexOf('add gone'));
  t.deepEqual(inf.list().map(name).sort(), (await api.client.list(configmaps, 'default')).items.map(name).sort());
});

test('stop() ends a back-off wait at once (real clock), and stops during a list open no watch', async (t) => {
  // A port nothing listens on: every list fails with connection refused.
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as net.AddressInfo).port;
  await new Promise((r) => dead.close(r));
  const client = new Client({ server: `https://127.0.0.1:${port}` });
  t.teardown(() => client.close());
  const { log, lines } = memoryLog();
  const inf = new Informer(client, configmaps, { log });
  const synced = inf.start();
  await eventually(() => inf.stats.backoffs >= 1, 5000, 5); // now in its first wait, 0.8-1.6 s
  const t0 = Date.now();
  await within(inf.stop(), 'stop()', 500);
  await within(synced, 'start() settling on stop', 500);
  t.true(Date.now() - t0 < 500, `stop took ${Date.now() - t0} ms`);
  t.is(inf.stats.watches, 0);
  t.regex(lines[0].obj.err, /ECONNREFUSED/);
  t.true(lines[0].obj.retryInMs >= 800 && lines[0].obj.retryInMs < 1600, String(lines[0].obj.retryInMs));

  // stop() while the first list is in flight: the list completes, and no watch is opened after it
  const api = await startTestApi();
  t.teardown(() => api.close());
  const inf2 = new Informer(api.client, configmaps, { log });
  const started = inf2.start();
  await within(inf2.stop(), "stop() during the first list", 2000);
  await within(started, 'start() settling on stop', 2000);
  t.is(inf2.stats.watches, 0);
});

test('a watch that ends within 1 s having delivered nothing is a failure (client-go\'s "very short watch"): backed off, not reopened in a loop', async (t) => {
  const api = await startTestApi({ bookmarkInterval: 3600 });
  t.teardown(() => api.close());
  const clock = new FakeClock();
  const { log, lines } = memoryLog();
  // The server ends each watch after 1 s (real time); the fake clock says how long it lasted.
  const inf = new Informer(api.client, configmaps, { namespace: 'default', clock, log, watchTimeoutSeconds: 1, backoff: { random: () => 0 } });
  await within(inf.start(), 'the first list');
  t.teardown(() => inf.stop());
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [800], 'the clock did not move during the watch: very short');
  t.regex(lines[0].obj.err, /very short watch/);
  t.is(inf.stats.watches, 1);
  clock.advance(800);
  await eventually(() => inf.stats.watches === 2);
  clock.advance(5000); // this one lasts 5 s by the clock: it ended normally and is reopened at once
  await eventually(() => inf.stats.watches === 3, 5000);
  t.is(inf.stats.backoffs, 1);
  t.deepEqual(await within(clock.waitForSleepers(1), 'the informer backing off'), [1600], 'the third, short again, backs off further');
});

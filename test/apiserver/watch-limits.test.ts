// Watches cannot hold the server: a watcher that stops reading is dropped
// (its socket destroyed) once its buffer passes a bound, as kube-apiserver
// drops an unresponsive cacheWatcher; one client may hold only so many
// watches; shutdown ends open watches at once; timeoutSeconds is clamped, not
// wrapped; a resourceVersion from the future waits briefly for the store,
// then gets "Too large resource version" (504 Timeout) as an ERROR event.
import test from 'ava';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { findByPlural } from '../../api/resources.js';
import type { WatchEvent } from '../../api/types.js';
import { resourcePath } from '../../client/http.js';
import { startTestApi, eventually, type TestApi } from '../../testkit/api.js';
import { rawRequest } from '../helpers/api-raw.js';

const configmaps = findByPlural('', 'configmaps')!;
const WATCH = '/api/v1/namespaces/default/configmaps?watch=true';

/** A raw watch request: resolves with the response (headers received). */
function openWatch(api: TestApi, path: string, agent?: https.Agent): Promise<{ res: IncomingMessage; req: ReturnType<typeof https.request> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(api.server.url);
    const req = https.request({ host: u.hostname, port: u.port, path, ca: api.server.caCert, agent: agent ?? false, headers: { Authorization: `Bearer ${api.server.token}` } }, (res) =>
      resolve({ res, req }),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Lines of a watch stream as they arrive. */
function readEvents(res: IncomingMessage): { events: WatchEvent[]; ended: Promise<void> } {
  const events: WatchEvent[] = [];
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => {
    buf += c;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  const ended = new Promise<void>((resolve) => {
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', () => resolve());
  });
  return { events, ended };
}

const connections = (api: TestApi) => new Promise<number>((resolve, reject) => (api.server as any).httpServer.getConnections((e: Error | null, n: number) => (e ? reject(e) : resolve(n))));

test('watchers that stop reading are dropped (socket destroyed) and let go of their buffers; readers keep up', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  // 1 MiB: under etcd's 1.5 MiB request limit, so the test runs on both storages.
  const big = 'x'.repeat(1024 * 1024);
  await api.client.create(configmaps, 'default', { metadata: { name: 'big' }, data: { v: big } });
  const baseWatchers = api.server.registry.hub.watcherCount();
  const stalled: IncomingMessage[] = [];
  for (let i = 0; i < 10; i++) {
    const { res } = await openWatch(api, `${WATCH}&resourceVersion=${(await api.client.list(configmaps, 'default')).metadata.resourceVersion}`);
    res.pause(); // never reads
    stalled.push(res);
  }
  const reader = api.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: (await api.client.list(configmaps, 'default')).metadata.resourceVersion }, () => undefined);
  const seen: number[] = [];
  const reader2 = api.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: (await api.client.list(configmaps, 'default')).metadata.resourceVersion }, (e) => seen.push(Number(e.object.metadata.resourceVersion)));
  t.teardown(() => {
    reader.close();
    reader2.close();
    for (const s of stalled) s.destroy();
  });
  await eventually(() => api.server.registry.hub.watcherCount() === baseWatchers + 12);
  const withStalled = await connections(api);
  // 20 updates of 1 MiB = 20 MiB to each watcher: far more than a stalled one may buffer (8 MiB).
  for (let i = 0; i < 20; i++) await api.client.update(configmaps, { metadata: { name: 'big', namespace: 'default' }, data: { v: big.slice(0, big.length - i - 1) } });
  await eventually(() => api.server.registry.hub.watcherCount() === baseWatchers + 2, 10_000).catch((e) => {
    throw new Error(`${e.message}: ${api.server.registry.hub.watcherCount() - baseWatchers} watchers left`);
  });
  // Destroyed, not ended: the server holds no socket (and no buffered bytes) for them
  // (the client may have opened one more keep-alive connection for the updates meanwhile).
  await eventually(async () => (await connections(api)) <= withStalled - 10 + 1, 10_000).catch(async (e) => {
    throw new Error(`${e.message}: ${await connections(api)} connections, ${withStalled} with the stalled watches`);
  });
  await eventually(() => seen.length === 20, 20_000).catch((e) => {
    throw new Error(`${e.message}: the reader saw ${seen.length} events`);
  });
  t.is(seen.length, 20, 'a reading watcher gets every event');
});

test('one client may hold only so many watches (429 beyond), and gets them back as they close', async (t) => {
  const api = await startTestApi({ watchLimits: { perClient: 3 } });
  t.teardown(() => api.close());
  const open: { res: IncomingMessage }[] = [];
  for (let i = 0; i < 3; i++) open.push(await openWatch(api, WATCH));
  for (const o of open) t.is(o.res.statusCode, 200);
  const refused = await rawRequest(api, 'GET', WATCH);
  t.is(refused.code, 429);
  t.like(refused.body, { kind: 'Status', reason: 'TooManyRequests', code: 429 });
  t.truthy(refused.headers['retry-after']);
  const list = await rawRequest(api, 'GET', '/api/v1/namespaces/default/configmaps');
  t.is(list.code, 200, 'other requests are served');
  open[0].res.destroy();
  await eventually(async () => {
    const again = await openWatch(api, `${WATCH}&timeoutSeconds=1`);
    again.res.resume();
    return again.res.statusCode === 200;
  });
  for (const o of open) o.res.destroy();
});

test('close() ends open watches at once instead of waiting for their timeout', async (t) => {
  const api = await startTestApi();
  let closed = false;
  t.teardown(() => (closed ? undefined : api.close()));
  const w1 = readEvents((await openWatch(api, WATCH)).res);
  const w2 = readEvents((await openWatch(api, `/api/v1/pods?watch=true&timeoutSeconds=1800`)).res);
  await eventually(() => api.server.registry.hub.watcherCount() >= 2);
  const start = Date.now();
  await api.close();
  closed = true;
  t.true(Date.now() - start < 3000, `close took ${Date.now() - start} ms`);
  await Promise.all([w1.ended, w2.ended]);
  t.pass();
});

test('timeoutSeconds beyond the timer range is clamped: the watch stays open', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const huge = readEvents((await openWatch(api, `${WATCH}&timeoutSeconds=10000000000`)).res);
  const short = readEvents((await openWatch(api, `${WATCH}&timeoutSeconds=1`)).res);
  await short.ended; // one second later
  await api.client.create(configmaps, 'default', { metadata: { name: 'after' } });
  await eventually(() => huge.events.some((e) => e.object?.metadata?.name === 'after'));
  t.pass();
  const bad = await rawRequest(api, 'GET', `${WATCH}&timeoutSeconds=abc`);
  t.is(bad.code, 400);
});

test('a resourceVersion from the future: served once the store reaches it, else 504 Too large resource version', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const rv = Number((await api.client.list(configmaps, 'default')).metadata.resourceVersion);
  // The answer (headers included) waits for the store, so the writes go out while the watches wait.
  const soonOpen = openWatch(api, `${WATCH}&resourceVersion=${rv + 1}`);
  const farOpen = openWatch(api, `${WATCH}&resourceVersion=${rv + 1000}`);
  await eventually(() => api.server.registry.hub.rvWaiterCount() === 2);
  await api.client.create(configmaps, 'default', { metadata: { name: 'c1' } }); // rv+1
  await api.client.create(configmaps, 'default', { metadata: { name: 'c2' } }); // rv+2
  const soon = readEvents((await soonOpen).res);
  const far = readEvents((await farOpen).res);
  await eventually(() => soon.events.length >= 1);
  t.deepEqual(soon.events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED c2'], JSON.stringify(soon.events));
  await far.ended;
  t.is(far.events.length, 1);
  t.is(far.events[0].type, 'ERROR');
  t.like(far.events[0].object as any, { kind: 'Status', code: 504, reason: 'Timeout', message: `Too large resource version: ${rv + 1000}, current: ${rv + 2}` });
  t.deepEqual((far.events[0].object as any).details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
});

// Watch: list-then-watch sees every write exactly once and in order, old
// resourceVersions get 410 Expired, selector watches see objects enter and
// leave, and the informer rides out a server restart.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import type { KubeObject, WatchEvent } from '../../api/types.js';
import { resourcePath } from '../../client/http.js';
import { Informer } from '../../client/informer.js';
import { startTestApi, eventually, tempDir } from '../../testkit/api.js';

const configmaps = findByPlural('', 'configmaps')!;
const pods = findByPlural('', 'pods')!;

test('a list-then-watch client sees each of 1,000 concurrent writes exactly once, in resourceVersion order', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const list = await api.client.list(configmaps, 'default');
  const events: WatchEvent[] = [];
  const w = api.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: list.metadata.resourceVersion }, (e) => events.push(e));
  t.teardown(() => w.close());
  const n = 1000;
  const writes = Array.from({ length: n }, (_, i) => api.client.create(configmaps, 'default', { metadata: { name: `cm-${i}` }, data: { i: String(i) } }));
  await Promise.all(writes);
  await eventually(() => events.length >= n, 10_000);
  // A short window in which a duplicate event would arrive (it must not).
  await new Promise((r) => setTimeout(r, 100));
  t.is(events.length, n);
  t.true(events.every((e) => e.type === 'ADDED'));
  const names = new Set(events.map((e) => e.object.metadata.name));
  t.is(names.size, n, 'no duplicates');
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  t.true(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]), 'strictly increasing resourceVersions');
  t.true(rvs[0] > Number(list.metadata.resourceVersion));
});

test('a watch from a resourceVersion older than the window gets 410 Expired; a recent one replays', async (t) => {
  const api = await startTestApi({ watchWindow: 10 });
  t.teardown(() => api.close());
  const first = await api.client.create(configmaps, 'default', { metadata: { name: 'first' } });
  for (let i = 0; i < 20; i++) await api.client.create(configmaps, 'default', { metadata: { name: `x-${i}` } });
  const events: WatchEvent[] = [];
  const w = api.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: first.metadata.resourceVersion }, (e) => events.push(e));
  await w.done;
  t.is(events.length, 1);
  t.is(events[0].type, 'ERROR');
  t.like(events[0].object as any, { kind: 'Status', code: 410, reason: 'Expired' });

  const recent = await api.client.list(configmaps, 'default');
  const rv = Number(recent.metadata.resourceVersion);
  await api.client.create(configmaps, 'default', { metadata: { name: 'late-1' } });
  await api.client.delete(configmaps, 'default', 'late-1');
  const replay: WatchEvent[] = [];
  const w2 = api.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: String(rv), timeoutSeconds: 1 }, (e) => replay.push(e));
  await w2.done;
  t.deepEqual(replay.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED late-1', 'DELETED late-1']);
});

test('watch without a resourceVersion starts with the current state; label-selector watches see objects enter and leave; bookmarks', async (t) => {
  const api = await startTestApi({ bookmarkInterval: 0.2 });
  t.teardown(() => api.close());
  const mk = (name: string, labels: Record<string, string>) =>
    api.client.create(pods, 'default', { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await mk('p1', { app: 'web' });
  const events: WatchEvent[] = [];
  const w = api.client.watch(resourcePath(pods, 'default'), { labelSelector: 'app=web', allowWatchBookmarks: true }, (e) => events.push(e));
  t.teardown(() => w.close());
  await eventually(() => events.length >= 1);
  await mk('p2', { app: 'db' });
  await api.client.patch(pods, 'default', 'p2', { metadata: { labels: { app: 'web' } } });
  await api.client.patch(pods, 'default', 'p1', { metadata: { labels: { app: 'db' } } });
  await eventually(() => events.filter((e) => e.type !== 'BOOKMARK').length >= 3);
  t.deepEqual(
    events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`),
    ['ADDED p1', 'ADDED p2', 'DELETED p1'],
  );
  await eventually(() => events.some((e) => e.type === 'BOOKMARK'), 3000);
  const bm = events.find((e) => e.type === 'BOOKMARK')!;
  t.like(bm.object, { kind: 'Pod', apiVersion: 'v1' });
  t.regex(bm.object.metadata.resourceVersion!, /^\d+$/);
});

test('the informer recovers from a server restart without losing or duplicating an object', async (t) => {
  const dataDir = await tempDir();
  let api = await startTestApi({ dataDir });
  const port = Number(new URL(api.server.url).port);
  t.teardown(() => api.close());
  for (let i = 0; i < 5; i++) await api.client.create(configmaps, 'default', { metadata: { name: `before-${i}` } });
  const inf = new Informer(api.client, configmaps, { namespace: 'default', maxBackoffMs: 200 });
  const adds = new Map<string, number>();
  const dels = new Map<string, number>();
  inf.on({
    add: (o: KubeObject) => adds.set(o.metadata.name!, (adds.get(o.metadata.name!) ?? 0) + 1),
    delete: (o: KubeObject) => dels.set(o.metadata.name!, (dels.get(o.metadata.name!) ?? 0) + 1),
  });
  await inf.start();
  t.teardown(() => inf.stop());
  t.is(inf.list().length, 5);

  await api.server.close();
  api = await startTestApi({ dataDir, port });
  // The old client object keeps its URL (same port, same CA and token from the data dir).
  for (let i = 0; i < 5; i++) await api.client.create(configmaps, 'default', { metadata: { name: `after-${i}` } });
  await api.client.delete(configmaps, 'default', 'before-0');
  await eventually(() => inf.list().length === 9 && !inf.get('default/before-0'), 10_000);
  const server = (await api.client.list(configmaps, 'default')).items.map((o) => o.metadata.name).sort();
  t.deepEqual(inf.list().map((o) => o.metadata.name).sort(), server);
  t.true([...adds.values()].every((n) => n === 1), 'each object added once');
  t.deepEqual([...dels.entries()], [['before-0', 1]]);
  t.is(inf.stats.lists, 1, 'no relist was needed: the watch resumed from its resourceVersion');
});

test('the informer relists when its resourceVersion has left the watch window (410), and misses nothing', async (t) => {
  const api = await startTestApi({ watchWindow: 5, bookmarkInterval: 3600 });
  t.teardown(() => api.close());
  await api.client.create(configmaps, 'default', { metadata: { name: 'a' } });
  const inf = new Informer(api.client, configmaps, { namespace: 'default', watchTimeoutSeconds: 1, maxBackoffMs: 100 });
  await inf.start();
  t.teardown(() => inf.stop());
  // Writes to another resource push the window past the informer's resourceVersion;
  // when its 1 s watch ends, re-watching from that version gets 410 and it relists.
  for (let i = 0; i < 20; i++) await api.client.create(pods, 'default', { metadata: { name: `filler-${i}` }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await api.client.create(configmaps, 'default', { metadata: { name: 'b' } });
  for (let i = 20; i < 40; i++) await api.client.create(pods, 'default', { metadata: { name: `filler-${i}` }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await eventually(() => inf.stats.lists >= 2, 8000);
  await eventually(() => inf.get('default/b') !== undefined, 3000);
  t.deepEqual(inf.list().map((o) => o.metadata.name).sort(), (await api.client.list(configmaps, 'default')).items.map((o) => o.metadata.name).sort());
});

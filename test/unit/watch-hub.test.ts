import test from 'ava';
import { WatchHub } from '../../apiserver/watch.js';
import type { CommittedChange } from '../../apiserver/storage.js';
import { watchEventFor } from '../../apiserver/registry.js';

const change = (rv: number, resource = 'pods', labels: Record<string, string> = {}, type: CommittedChange['type'] = 'ADDED', old?: Record<string, string>): CommittedChange => ({
  rv,
  type,
  resource,
  key: `default/p${rv}`,
  obj: { metadata: { name: `p${rv}`, namespace: 'default', resourceVersion: String(rv), labels } },
  old: old ? { metadata: { name: `p${rv}`, labels: old } } : undefined,
});

test('the window replays after a resourceVersion and refuses ones older than itself', (t) => {
  const hub = new WatchHub(100, 3);
  for (let rv = 101; rv <= 105; rv++) hub.publish(change(rv));
  t.is(hub.oldestRv(), 102);
  t.deepEqual(hub.since('pods', 102)!.map((c) => c.rv), [103, 104, 105]);
  t.deepEqual(hub.since('pods', 104)!.map((c) => c.rv), [105]);
  t.is(hub.since('pods', 101), undefined);
  t.deepEqual(hub.since('services', 102), []);
});

test('the window forgets changes older than retainMs, also when idle, and answers 410 for them', (t) => {
  let now = 0;
  const hub = new WatchHub(100, { capacity: 10, retainMs: 1000, now: () => now });
  hub.publish(change(101));
  now = 600;
  hub.publish(change(102));
  hub.publish(change(103));
  t.is(hub.size(), 3);
  now = 1000; // 101 is 1000 ms old: gone on the next look, without a new publish
  t.deepEqual(hub.since('pods', 101)!.map((c) => c.rv), [102, 103]);
  t.is(hub.since('pods', 100), undefined);
  t.is(hub.oldestRv(), 101);
  now = 1600;
  hub.expire();
  t.is(hub.size(), 0);
  t.is(hub.oldestRv(), 103);
  t.deepEqual(hub.since('pods', 103), []); // nothing missed: a watch from the newest rv still starts
  t.is(hub.since('pods', 102), undefined);
  // The ring keeps working after emptying and wrapping.
  for (let rv = 104; rv <= 130; rv++) hub.publish(change(rv));
  t.is(hub.size(), 10);
  t.deepEqual(hub.since('pods', 125)!.map((c) => c.rv), [126, 127, 128, 129, 130]);
  t.is(hub.oldestRv(), 120);
});

test('live watchers get only their resource, in order', (t) => {
  const hub = new WatchHub(0);
  const got: number[] = [];
  const off = hub.add({ resource: 'pods', send: (c) => got.push(c.rv) });
  hub.publish(change(1));
  hub.publish(change(2, 'services'));
  hub.publish(change(3));
  off();
  hub.publish(change(4));
  t.deepEqual(got, [1, 3]);
});

test('selector watches: objects entering and leaving the selection are ADDED and DELETED', (t) => {
  const web = (o: any) => o.metadata.labels?.app === 'web';
  t.is(watchEventFor(change(1, 'pods', { app: 'web' }, 'MODIFIED', { app: 'db' }), web)!.type, 'ADDED');
  t.is(watchEventFor(change(1, 'pods', { app: 'db' }, 'MODIFIED', { app: 'web' }), web)!.type, 'DELETED');
  t.is(watchEventFor(change(1, 'pods', { app: 'web' }, 'MODIFIED', { app: 'web' }), web)!.type, 'MODIFIED');
  t.is(watchEventFor(change(1, 'pods', { app: 'db' }, 'MODIFIED', { app: 'db' }), web), undefined);
});

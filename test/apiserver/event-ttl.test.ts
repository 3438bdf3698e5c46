// Events expire after --event-ttl (kube-apiserver's, 1 h by default): an
// Event last seen longer ago than the TTL is deleted by the API server
// itself (a watcher sees it go); a recent one stays.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { resourcePath } from '../../client/http.js';
import { eventually, startTestApi, type TestApi } from '../../testkit/api.js';

const events = findByPlural('', 'events')!;
let api: TestApi;
test.before(async () => {
  api = await startTestApi({ eventTtlMs: 1500 });
});
test.after.always(async () => {
  await api?.close();
});

const ev = (name: string, last: Date) => ({
  metadata: { name },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
  reason: 'Test',
  message: name,
  type: 'Normal',
  firstTimestamp: last.toISOString(),
  lastTimestamp: last.toISOString(),
  count: 1,
});

test('an Event older than the TTL is deleted, with a DELETED watch event; a fresh one stays until its time', async (t) => {
  t.timeout(30_000);
  const list = await api.client.list(events, 'default');
  const seen: string[] = [];
  const w = api.client.watch(resourcePath(events, 'default'), { resourceVersion: list.metadata.resourceVersion! }, (e) => {
    if (e.type === 'DELETED') seen.push(e.object.metadata.name!);
  });
  try {
    await api.client.create(events, 'default', ev('old', new Date(Date.now() - 2 * 3600_000)));
    await api.client.create(events, 'default', ev('fresh', new Date()));
    await eventually(async () => (seen.includes('old') ? true : undefined), 10_000, 100);
    t.deepEqual(seen, ['old']);
    t.deepEqual((await api.client.list(events, 'default')).items.map((e: any) => e.metadata.name), ['fresh']);
    // The fresh one goes once it is older than the TTL.
    await eventually(async () => (seen.includes('fresh') ? true : undefined), 10_000, 100);
    t.deepEqual((await api.client.list(events, 'default')).items, []);
  } finally {
    w.close();
  }
});

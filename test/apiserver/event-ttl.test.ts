// Events expire after --event-ttl (kube-apiserver's, 1 h by default): an
// Event written or seen longer ago than the TTL is deleted by the API server
// itself, and a watcher sees it go. (Which Events have crossed the TTL is
// the unit tests' business: test/unit/event-ttl.test.ts.)
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { resourcePath } from '../../client/http.js';
import { eventually, startTestApi, type TestApi } from '../../testkit/api.js';

const events = findByPlural('', 'events')!;
let api: TestApi;
test.before(async () => {
  api = await startTestApi({ eventTtlMs: 2500, eventSweepMs: 100 });
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

test('an Event is deleted once the TTL has passed since it was last written or seen, with a DELETED watch event', async (t) => {
  t.timeout(30_000);
  const list = await api.client.list(events, 'default');
  const seen: string[] = [];
  const w = api.client.watch(resourcePath(events, 'default'), { resourceVersion: list.metadata.resourceVersion! }, (e) => {
    if (e.type === 'DELETED') seen.push(e.object.metadata.name!);
  });
  try {
    // Its timestamps say two hours ago, but it was written just now (creationTimestamp): as with
    // kube-apiserver's lease, which starts at the write, it lives one TTL from now.
    await api.client.create(events, 'default', ev('old', new Date(Date.now() - 2 * 3600_000)));
    const created = Date.now();
    await eventually(async () => (seen.includes('old') ? true : undefined), 10_000, 50);
    // creationTimestamp has whole seconds, so up to 1 s of the TTL may look spent already.
    t.true(Date.now() - created >= 1400, `deleted ${Date.now() - created} ms after it was written`);
    t.deepEqual(seen, ['old']);
    t.deepEqual((await api.client.list(events, 'default')).items, []);
  } finally {
    w.close();
  }
});

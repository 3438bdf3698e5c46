// Shared informers against a real API server on loopback: components of one
// process asking for the same (resource, selectors) share one list + watch;
// a component that joins after the first list is told the current cache as
// adds (client-go's AddEventHandler), then every later event; a component
// that stops hears nothing more while the others go on; the last one to stop
// closes the watch.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { Informer, type InformerLog } from '../../client/informer.js';
import { SharedInformers } from '../../client/shared-informers.js';
import { startTestApi } from '../../testkit/api.js';

const configmaps = findByPlural('', 'configmaps')!;
const quiet: InformerLog = { warn: () => undefined, error: () => undefined };

/** Records events as lines; next(line) resolves when that line arrives (an event wait, not a poll). */
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
      add: (o: KubeObject) => push(`add ${o.metadata.name}`),
      update: (o: KubeObject) => push(`update ${o.metadata.name} ${o.data?.v ?? '-'}`),
      delete: (o: KubeObject) => push(`delete ${o.metadata.name}`),
    },
    next(line: string, ms = 10_000): Promise<void> {
      if (seen.includes(line)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${line}" within ${ms}ms (seen: ${JSON.stringify(seen)})`)), ms);
        waiters.push({ line, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

test('two components asking for the same resource and selectors share one list and one watch; other selectors get their own', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  await api.client.create(configmaps, 'default', { metadata: { name: 'a', labels: { app: 'x' } }, data: { v: '1' } });
  const shared = new SharedInformers(api.client, { log: quiet });
  t.teardown(() => shared.stop());
  const kubelet = shared.informer(configmaps);
  const proxy = shared.informer(configmaps);
  const selected = shared.informer(configmaps, { labelSelector: 'app=x' });
  const other = shared.informer(configmaps, { labelSelector: 'app=y' });
  const k = recorder();
  const p = recorder();
  kubelet.on(k.handlers);
  proxy.on(p.handlers);
  await Promise.all([kubelet.start(), proxy.start(), selected.start(), other.start()]);
  t.is(shared.informers().length, 3, 'one informer per distinct (resource, selectors)');
  await api.client.patch(configmaps, 'default', 'a', { data: { v: '2' } });
  await Promise.all([k.next('update a 2'), p.next('update a 2')]);
  t.deepEqual(k.seen, ['add a', 'update a 2']);
  t.deepEqual(p.seen, ['add a', 'update a 2']);
  t.like(kubelet.stats, { lists: 1, watches: 1 });
  t.is(kubelet.stats, proxy.stats, 'the same informer behind both');
  t.deepEqual(selected.list().map((o) => o.metadata.name), ['a']);
  t.deepEqual(other.list(), []);
  t.is(kubelet.get('default/a')?.data?.v, '2');
});

test('handlers added after the first list are told the current cache as adds, then every later event', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  for (const name of ['a', 'b']) await api.client.create(configmaps, 'default', { metadata: { name }, data: { v: '1' } });
  const shared = new SharedInformers(api.client, { log: quiet });
  t.teardown(() => shared.stop());
  const early = shared.informer(configmaps, { namespace: 'default' });
  const e = recorder();
  early.on(e.handlers);
  await early.start();
  await api.client.create(configmaps, 'default', { metadata: { name: 'c' }, data: { v: '1' } });
  await e.next('add c');

  const late = shared.informer(configmaps, { namespace: 'default' });
  const l = recorder();
  late.on(l.handlers);
  t.deepEqual([...l.seen].sort(), ['add a', 'add b', 'add c'], 'the existing objects, at once, as adds');
  await late.start(); // already synced: resolves at once
  await api.client.delete(configmaps, 'default', 'b');
  await Promise.all([l.next('delete b'), e.next('delete b')]);
  t.deepEqual(l.seen.slice(3), ['delete b']);
  t.is(late.stats.lists, 1, 'the late component caused no second list');

  // The same holds for a plain informer (client-go's AddEventHandler on a running one).
  const plain = new Informer(api.client, configmaps, { namespace: 'default', log: quiet });
  t.teardown(() => plain.stop());
  await plain.start();
  const r = recorder();
  plain.on(r.handlers);
  t.deepEqual([...r.seen].sort(), ['add a', 'add c']);
});

test("a component that stops hears no more events while the others go on; the last one to stop closes the watch", async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const shared = new SharedInformers(api.client, { log: quiet });
  t.teardown(() => shared.stop());
  const a = shared.informer(configmaps);
  const b = shared.informer(configmaps);
  const ra = recorder();
  const rb = recorder();
  a.on(ra.handlers);
  b.on(rb.handlers);
  await Promise.all([a.start(), b.start()]);
  await api.client.create(configmaps, 'default', { metadata: { name: 'one' } });
  await Promise.all([ra.next('add one'), rb.next('add one')]);
  await a.stop();
  t.is(shared.informers().length, 1, 'still open for b');
  await api.client.create(configmaps, 'default', { metadata: { name: 'two' } });
  await rb.next('add two');
  t.deepEqual(ra.seen, ['add one'], 'a heard nothing after it stopped');
  const inner = shared.informers()[0];
  await b.stop();
  t.deepEqual(shared.informers(), [], 'no informer left');
  // The inner informer's watch is closed: a third object never reaches it, and no watch is reopened.
  const watches = inner.stats.watches;
  await api.client.create(configmaps, 'default', { metadata: { name: 'three' } });
  // Asking again makes a fresh informer that lists everything (a round trip after the create, so an open watch would have had it).
  const c = shared.informer(configmaps);
  await c.start();
  t.deepEqual(c.list().map((o) => o.metadata.name).sort(), ['one', 'three', 'two']);
  t.not(c.stats, inner.stats, 'a new informer');
  t.is(inner.stats.watches, watches);
  t.false(inner.list().some((o) => o.metadata.name === 'three'));
});

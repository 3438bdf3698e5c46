import test from 'ava';
import { pino } from 'pino';
import { EventExpiry, expiredEvents, lastSeen, parseEventTtl } from '../../apiserver/event-ttl.js';

const at = (iso: string) => Date.parse(iso);

test('an Event is last seen at its newest timestamp of any kind', (t) => {
  t.is(lastSeen({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } }), at('2026-01-01T00:00:00Z'));
  t.is(lastSeen({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T02:00:00Z' }), at('2026-01-01T02:00:00Z'));
  t.is(lastSeen({ metadata: {}, eventTime: '2026-01-01T00:00:00.000000Z', series: { count: 3, lastObservedTime: '2026-01-01T03:00:00.000000Z' } }), at('2026-01-01T03:00:00Z'));
  t.true(Number.isNaN(lastSeen({ metadata: {}, lastTimestamp: null })));
});

test('expired: last seen at least the TTL ago; an Event with no time at all never expires', (t) => {
  const now = at('2026-01-01T02:00:00Z');
  const evs = [
    { metadata: { name: 'old' }, lastTimestamp: '2026-01-01T00:59:59Z' },
    { metadata: { name: 'edge' }, lastTimestamp: '2026-01-01T01:00:00Z' },
    { metadata: { name: 'recent' }, lastTimestamp: '2026-01-01T01:30:00Z' },
    { metadata: { name: 'repeated' }, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T01:59:00Z' },
    { metadata: { name: 'timeless' } },
  ];
  t.deepEqual(expiredEvents(evs, now, 3600_000).map((e) => e.metadata.name), ['old', 'edge']);
});

test('--event-ttl takes durations as kube-apiserver does and refuses the rest', (t) => {
  t.is(parseEventTtl('1h'), 3600_000);
  t.is(parseEventTtl('30m'), 1800_000);
  t.is(parseEventTtl('90s'), 90_000);
  t.is(parseEventTtl('0s'), 0);
  t.throws(() => parseEventTtl('soon'), { message: /invalid --event-ttl "soon"/ });
  t.throws(() => parseEventTtl('5'), { message: /a duration such as 1h/ });
});

test('a sweep that finds nothing does not stop the later ones (one sweep at a time, cleared once settled)', async (t) => {
  const items: any[] = [];
  const deleted: string[] = [];
  const registry = {
    storage: { list: () => items },
    delete: async (_r: unknown, _ns: string, name: string) => {
      deleted.push(name);
      return {};
    },
  };
  const exp = new EventExpiry(registry as any, pino({ level: 'silent' }), 1000);
  t.is(await exp.sweep(10_000), 0); // nothing there: settles without awaiting anything
  items.push({ metadata: { name: 'old', namespace: 'default', resourceVersion: '5' }, lastTimestamp: new Date(0).toISOString() });
  const a = exp.sweep(10_000);
  t.is(exp.sweep(10_000), a); // while one runs, the same one
  t.is(await a, 1);
  t.deepEqual(deleted, ['old']);
});

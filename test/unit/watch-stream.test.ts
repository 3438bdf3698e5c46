// apiserver/watch-stream.ts: live events gather into one write per batch window, a window that grows with the
// number of open watches. The response here is an in-memory stand-in for the socket (what is written, in order).
import test from 'ava';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { WatchStreams, defaultWatchLimits } from '../../apiserver/watch-stream.js';
import { eventually } from '../../testkit/api.js';

class Res extends EventEmitter {
  writes: { at: number; text: string }[] = [];
  writableLength = 0;
  write(text: string): boolean {
    this.writes.push({ at: performance.now(), text });
    return true;
  }
  end(): void {
    this.emit('close');
  }
  destroy(): void {
    this.emit('close');
  }
}

const open = (ws: WatchStreams) => {
  const res = new Res();
  const w = ws.start(res as unknown as ServerResponse, () => '', () => undefined);
  return { res, w };
};

test('the batch window: the configured one, and 1 ms per 10 open watches beyond it', (t) => {
  const ws = new WatchStreams({ ...defaultWatchLimits });
  t.is(ws.batchWindowMs(), 5);
  const streams = Array.from({ length: 200 }, () => open(ws));
  t.is(ws.batchWindowMs(), 20);
  for (const s of streams.slice(0, 150)) s.w.end(true);
  t.is(ws.count(), 50);
  t.is(ws.batchWindowMs(), 5);
});

test('the first event after a quiet spell leaves at once; those that follow leave together one window after it', async (t) => {
  const ws = new WatchStreams({ ...defaultWatchLimits, batchWindowMs: 30 });
  const { res, w } = open(ws);
  const t0 = performance.now();
  w.sendLine('a\n');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(res.writes.map((x) => x.text), ['a\n'], 'the first at the end of its turn');
  w.sendLine('b\n');
  w.sendLine('c\n');
  await eventually(() => res.writes.length === 2, 5000, 5);
  t.deepEqual(res.writes.map((x) => x.text), ['a\n', 'b\nc\n'], 'gathered into one write');
  // (Timers never fire early, but for the millisecond of libuv's clock: this holds however loaded the machine.)
  t.true(res.writes[1].at - t0 >= 28, `${(res.writes[1].at - t0).toFixed(1)} ms after the first`);
  w.end(true);
});

test('with many watches open, each one\'s window is longer', async (t) => {
  const ws = new WatchStreams({ ...defaultWatchLimits, batchWindowMs: 1, watchesPerWindowMs: 10 });
  const streams = Array.from({ length: 400 }, () => open(ws)); // a 40 ms window
  const { res, w } = streams[0];
  w.sendLine('a\n');
  await new Promise((r) => setImmediate(r));
  const t0 = res.writes[0].at;
  w.sendLine('b\n');
  await eventually(() => res.writes.length === 2, 5000, 5);
  t.true(res.writes[1].at - t0 >= 38, `${(res.writes[1].at - t0).toFixed(1)} ms`);
  for (const s of streams) s.w.end(true);
});

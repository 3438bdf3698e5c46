// cluster/idle-gc.ts: the decision (pure), and a real process collecting once after busy work turns quiet.
import test from 'ava';
import { idleGcStep, startIdleGc } from '../../cluster/idle-gc.js';

const shares = { busyShare: 0.1, quietShare: 0.03 };

test('idleGcStep: a busy interval arms it; the first quiet one collects, once; quiet alone never does', (t) => {
  t.deepEqual(idleGcStep(false, 1, 2000, shares), { collect: false, busy: false }, 'quiet, nothing happened before');
  t.deepEqual(idleGcStep(false, 500, 2000, shares), { collect: false, busy: true }, 'busy: armed');
  t.deepEqual(idleGcStep(true, 500, 2000, shares), { collect: false, busy: true }, 'still busy: never interrupted');
  t.deepEqual(idleGcStep(true, 100, 2000, shares), { collect: false, busy: true }, 'between quiet and busy: wait');
  t.deepEqual(idleGcStep(true, 10, 2000, shares), { collect: true, busy: false }, 'quiet after busy: collect');
  t.deepEqual(idleGcStep(false, 10, 2000, shares), { collect: false, busy: false }, 'and not again');
});

test.serial('startIdleGc: after a burst of allocation, one collection when the process goes quiet', async (t) => {
  const collected = new Promise<[number, number]>((resolve) => {
    const g = startIdleGc({ everyMs: 100, onCollect: (before, after) => (g.stop(), resolve([before, after])) });
    t.teardown(() => g.stop());
    // Busy for ~300 ms: allocate and drop.
    const until = performance.now() + 300;
    let keep: unknown[] = [];
    const burn = () => {
      for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
      keep = [];
      if (performance.now() < until) setImmediate(burn);
    };
    burn();
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 10_000)));
  const r = await Promise.race([collected, timeout]);
  clearTimeout(timer);
  t.not(r, 'timeout', 'no collection within 10 s of going quiet');
  if (Array.isArray(r)) t.true(r[0] > 0 && r[1] > 0);
});

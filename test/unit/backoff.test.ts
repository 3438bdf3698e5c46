// The reconnect back-off (client-go's reflector: 0.8 s doubling to 30 s,
// jitter 1.0, reset after 2 min without a back-off) and the fake clock that
// drives it.
import test from 'ava';
import { ExponentialBackoff, reflectorBackoff } from '../../client/backoff.js';
import { FakeClock, realClock } from '../../client/clock.js';

test('without jitter the base doubles from 800 ms and stops at the 30 s cap', (t) => {
  const b = new ExponentialBackoff({ clock: new FakeClock(), random: () => 0 });
  const seq = Array.from({ length: 9 }, () => b.next());
  t.deepEqual(seq, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000]);
});

test('jitter 1.0 adds up to one base on top: each delay lies in [base, 2·base), [30, 60) s once capped', (t) => {
  const bases = [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000];
  // the extremes of Math.random's range give the bounds exactly
  const low = new ExponentialBackoff({ clock: new FakeClock(), random: () => 0 });
  const high = new ExponentialBackoff({ clock: new FakeClock(), random: () => 0.999999 });
  for (const base of bases) {
    t.is(low.next(), base);
    t.is(high.next(), Math.floor(base + 0.999999 * base));
  }
  // and the real random source stays inside them, and does spread
  const seen = new Set<number>();
  for (let run = 0; run < 200; run++) {
    const b = new ExponentialBackoff({ clock: new FakeClock() });
    for (const base of bases) {
      const d = b.next();
      t.true(d >= base && d < 2 * base, `${d} not in [${base}, ${2 * base})`);
      if (base === 800) seen.add(d);
    }
  }
  t.true(seen.size > 50, `jitter spreads the first delay (${seen.size} distinct values in 200 runs)`);
});

test('the defaults are client-go reflector\'s NewExponentialBackoffManager(800ms, 30s, 2m, 2.0, 1.0)', (t) => {
  t.like(reflectorBackoff, { initialMs: 800, capMs: 30_000, resetMs: 120_000, factor: 2, jitter: 1 });
  t.is(reflectorBackoff.clock, realClock);
});

test('more than 2 min without a back-off starts the sequence again; 2 min exactly does not', (t) => {
  const clock = new FakeClock();
  const b = new ExponentialBackoff({ clock, random: () => 0 });
  t.deepEqual([b.next(), b.next(), b.next()], [800, 1600, 3200]);
  clock.advance(120_000);
  t.is(b.next(), 6400, 'exactly resetMs later: no reset (client-go compares with >)');
  clock.advance(120_001);
  t.is(b.next(), 800);
  t.is(b.next(), 1600);
});

test('reset() starts again from the initial delay at once', (t) => {
  const b = new ExponentialBackoff({ clock: new FakeClock(), random: () => 0 });
  for (let i = 0; i < 10; i++) b.next();
  t.is(b.next(), 30_000);
  b.reset();
  t.deepEqual([b.next(), b.next()], [800, 1600]);
});

test('a cap below the initial delay lowers the initial delay; nonsense parameters are refused', (t) => {
  const b = new ExponentialBackoff({ clock: new FakeClock(), random: () => 0, capMs: 200 });
  t.deepEqual([b.next(), b.next()], [200, 200]);
  t.throws(() => new ExponentialBackoff({ initialMs: 0 }), { message: /invalid back-off/ });
  t.throws(() => new ExponentialBackoff({ factor: 0.5 }), { message: /invalid back-off/ });
  t.throws(() => new ExponentialBackoff({ capMs: Number.NaN }), { message: /invalid back-off/ });
});

test('FakeClock: sleeps are observable, wake only when time is advanced far enough, earliest first', async (t) => {
  const clock = new FakeClock(1000);
  const woke: string[] = [];
  const pending = clock.waitForSleepers(2);
  void clock.sleep(500).then(() => woke.push('500'));
  void clock.sleep(200).then(() => woke.push('200'));
  t.deepEqual(await pending, [500, 200]);
  clock.advance(199);
  await Promise.resolve();
  t.deepEqual(woke, []);
  clock.advance(1);
  await new Promise(setImmediate);
  t.deepEqual(woke, ['200']);
  t.deepEqual(clock.pending(), [500]);
  clock.advance(1000);
  await new Promise(setImmediate);
  t.deepEqual(woke, ['200', '500']);
  t.is(clock.now(), 2200);
});

test('FakeClock and realClock: an aborted sleep ends at once', async (t) => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const s = clock.sleep(60_000, ac.signal);
  await clock.waitForSleepers(1);
  ac.abort();
  await s;
  t.deepEqual(clock.pending(), []);
  await clock.sleep(10, ac.signal); // already aborted: resolves without a sleeper
  t.deepEqual(clock.pending(), []);

  const ac2 = new AbortController();
  const t0 = Date.now();
  const real = realClock.sleep(60_000, ac2.signal);
  ac2.abort();
  await real;
  t.true(Date.now() - t0 < 1000);
});

// Time as a dependency, as k8s.io/utils/clock: code that waits (reconnect
// back-off, retries) takes a Clock, so a test can drive it with FakeClock and
// wait on the moment the code goes to sleep instead of sleeping itself.

export interface Clock {
  /** Milliseconds since the epoch (or since the fake clock's start). */
  now(): number;
  /** Wait ms; resolves early (never rejects) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
};

interface Sleeper {
  until: number;
  ms: number;
  wake(): void;
}

/**
 * A clock that moves only when told (k8s.io/utils/clock/testing's FakeClock),
 * for tests. Sleeps are observable: `waitForSleepers` resolves when code under
 * test has gone to sleep, `pending` says for how long, `advance` wakes it.
 */
export class FakeClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];
  private watchers: { n: number; resolve(ms: number[]): void }[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const s: Sleeper = {
        until: this.t + Math.max(0, ms),
        ms,
        wake: () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          signal?.removeEventListener('abort', s.wake);
          resolve();
        },
      };
      signal?.addEventListener('abort', s.wake, { once: true });
      this.sleepers.push(s);
      this.notify();
    });
  }

  /** The durations asked by the sleeps still pending, oldest first. */
  pending(): number[] {
    return this.sleepers.map((s) => s.ms);
  }

  /** Resolves (with `pending()`) as soon as at least n sleeps are pending. */
  waitForSleepers(n = 1): Promise<number[]> {
    if (this.sleepers.length >= n) return Promise.resolve(this.pending());
    return new Promise((resolve) => this.watchers.push({ n, resolve }));
  }

  /** Move time forward by ms and wake every sleeper whose time has come, earliest first. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t).sort((a, b) => a.until - b.until);
    for (const s of due) s.wake();
  }

  private notify(): void {
    const ready = this.watchers.filter((w) => this.sleepers.length >= w.n);
    this.watchers = this.watchers.filter((w) => this.sleepers.length < w.n);
    for (const w of ready) w.resolve(this.pending());
  }
}

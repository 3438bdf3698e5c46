// The watch hub: every committed change goes into a bounded in-memory window
// (like kube-apiserver's watch cache) and out to the live watchers of its
// resource. A watch that starts from a resourceVersion replays the window
// after it; one older than the window gets 410 Expired so the client relists.
// The window is bounded in count and in age: a change leaves it after
// `retainMs` (75 s by default, kube-apiserver's eventFreshDuration, the
// history its watch cache sizes itself to keep), so what churn put there is
// given back a minute later instead of staying until 10,000 newer changes
// push it out (each holds the object and its previous state).
import type { CommittedChange } from './storage.js';

export interface Watcher {
  resource: string;
  /**
   * Called synchronously, in resourceVersion order. `shared` lives for this
   * one change's delivery to every watcher of its resource: what one watcher
   * computes from the change alone (its encoded line) is stored there for
   * the others, so an event is serialized once per encoding, not once per
   * watcher (kube-apiserver's watch cache caches its serializations alike).
   */
  send(change: CommittedChange, shared: Map<string, string>): void;
}

export interface WatchHubOptions {
  /** Most changes kept (default 10,000). */
  capacity?: number;
  /** A change leaves the window this long after it was published (default 75 s; 0: only the count bounds it). */
  retainMs?: number;
  /** Milliseconds clock (tests). */
  now?: () => number;
}

export class WatchHub {
  /** A ring of the newest `count` changes, the oldest at `head`; `at` holds when each was published. */
  private window: (CommittedChange | undefined)[] = [];
  private at: number[] = [];
  private head = 0;
  private count = 0;
  /** Every change with rv > windowStart is in the window. */
  private windowStart: number;
  private watchers = new Map<string, Set<Watcher>>();
  private rvWaiters = new Set<{ rv: number; done: (reached: boolean) => void }>();
  private lastRv: number;
  private readonly capacity: number;
  private readonly retainMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(startRv: number, o: WatchHubOptions | number = {}) {
    const opts = typeof o === 'number' ? { capacity: o } : o;
    this.capacity = opts.capacity ?? 10_000;
    this.retainMs = opts.retainMs ?? 75_000;
    this.now = opts.now ?? Date.now;
    this.windowStart = startRv;
    this.lastRv = startRv;
    // An idle server gives the last burst back too (unref'd: never keeps the process alive).
    if (this.retainMs > 0 && !opts.now) {
      this.timer = setInterval(() => this.expire(), Math.max(1000, this.retainMs / 3));
      this.timer.unref();
    }
  }

  /** Stop the expiry timer. */
  close(): void {
    clearInterval(this.timer);
  }

  /** Changes in the window now. */
  size(): number {
    return this.count;
  }

  /** Drop the changes older than retainMs (and moves windowStart past them). */
  expire(): void {
    if (this.retainMs <= 0) return;
    const cutoff = this.now() - this.retainMs;
    while (this.count > 0 && this.at[this.head] <= cutoff) this.dropOldest();
  }

  private dropOldest(): void {
    this.windowStart = this.window[this.head]!.rv;
    this.window[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  /**
   * Resolves true once a change with resourceVersion >= rv is published, false
   * after `ms` (kube-apiserver's watch cache waits 3 s for a resourceVersion it
   * has not seen before answering "Too large resource version").
   */
  waitForRv(rv: number, ms: number): Promise<boolean> {
    if (this.lastRv >= rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        rv,
        done: (reached: boolean) => {
          clearTimeout(timer);
          this.rvWaiters.delete(w);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => w.done(false), ms);
      this.rvWaiters.add(w);
    });
  }

  /** Watches waiting for a resourceVersion the store has not reached. */
  rvWaiterCount(): number {
    return this.rvWaiters.size;
  }

  /** The newest resourceVersion published. */
  currentRv(): number {
    return this.lastRv;
  }

  publish(change: CommittedChange): void {
    this.expire();
    if (this.count === this.capacity) this.dropOldest();
    const tail = (this.head + this.count) % this.capacity;
    this.window[tail] = change;
    this.at[tail] = this.now();
    this.count++;
    this.lastRv = change.rv;
    const set = this.watchers.get(change.resource);
    if (set?.size) {
      const shared = new Map<string, string>();
      for (const w of set) w.send(change, shared);
    }
    for (const w of this.rvWaiters) if (w.rv <= change.rv) w.done(true);
  }

  /** The oldest resourceVersion a watch can start from. */
  oldestRv(): number {
    return this.windowStart;
  }

  /**
   * Events of `resource` after `rv`, or undefined when `rv` is older than the
   * window (the caller answers 410 Expired).
   */
  since(resource: string, rv: number): CommittedChange[] | undefined {
    this.expire();
    if (rv < this.windowStart) return undefined;
    const out: CommittedChange[] = [];
    for (let i = 0; i < this.count; i++) {
      const c = this.window[(this.head + i) % this.capacity]!;
      if (c.rv > rv && c.resource === resource) out.push(c);
    }
    return out;
  }

  add(w: Watcher): () => void {
    let set = this.watchers.get(w.resource);
    if (!set) this.watchers.set(w.resource, (set = new Set()));
    set.add(w);
    return () => set!.delete(w);
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}

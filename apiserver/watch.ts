// The watch hub: every committed change goes into a bounded in-memory window
// (like kube-apiserver's watch cache) and out to the live watchers of its
// resource. A watch that starts from a resourceVersion replays the window
// after it; one older than the window gets 410 Expired so the client relists.
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

export class WatchHub {
  private window: CommittedChange[] = [];
  private head = 0; // index of the oldest event in `window` (a ring buffer)
  private count = 0;
  /** Every change with rv > windowStart is in the window. */
  private windowStart: number;
  private watchers = new Map<string, Set<Watcher>>();
  private rvWaiters = new Set<{ rv: number; done: (reached: boolean) => void }>();
  private lastRv: number;

  constructor(
    startRv: number,
    private readonly capacity = 10_000,
  ) {
    this.windowStart = startRv;
    this.lastRv = startRv;
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
    if (this.count < this.capacity) {
      this.window.push(change);
      this.count++;
    } else {
      this.windowStart = this.window[this.head].rv;
      this.window[this.head] = change;
      this.head = (this.head + 1) % this.capacity;
    }
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
    if (rv < this.windowStart) return undefined;
    const out: CommittedChange[] = [];
    for (let i = 0; i < this.count; i++) {
      const c = this.window[(this.head + i) % this.capacity];
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

// A work queue as client-go's workqueue: a key is queued at most once; a key
// being processed that is added again is processed again after done(); failed
// keys come back after a per-key exponential backoff (ItemExponentialFailureRateLimiter).

export interface QueueOptions {
  /** First retry delay, ms (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Ceiling of the per-key backoff, ms. */
  maxDelayMs?: number;
}

export class WorkQueue {
  private queue: string[] = [];
  private dirty = new Set<string>();
  private processing = new Set<string>();
  private waiters: (() => void)[] = [];
  private timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private failures = new Map<string, number>();
  private shuttingDown = false;
  private readonly base: number;
  private readonly max: number;

  constructor(opts: QueueOptions = {}) {
    this.base = opts.baseDelayMs ?? 5;
    this.max = opts.maxDelayMs ?? 30_000;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Add after `ms`; an earlier pending add for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    // Not unref'd: a pending retry is work, and a get() waiting for it must
    // keep the process alive (shutDown() clears every timer).
    this.timers.set(key, { at, timer });
  }

  /** Retry with the key's exponential backoff. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.base * 2 ** n, this.max));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once shut down. */
  async get(): Promise<string | undefined> {
    while (this.queue.length === 0 && !this.shuttingDown) await new Promise<void>((r) => this.waiters.push(r));
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift()!;
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.waiters.shift()?.();
    }
  }

  len(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}

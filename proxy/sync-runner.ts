// When to sync, whatever the backend: as kube-proxy's BoundedFrequencyRunner
// plus its sync loop. A change asks for a sync; syncs run one at a time, at
// most one per minSyncMs (changes meanwhile coalesce into the next one, and
// the first change after a quiet spell runs at once); every periodMs a sync
// runs anyway, first asking the backend whether its rules are intact (a full
// sync if not); the first sync and one every fullSyncMs are full; a failed
// sync is retried, full, after a backoff doubling from retryMs to
// maxRetryMs. Nothing syncs before start(): the caller starts the runner
// once its informers have listed everything (kube-proxy waits for its
// caches the same way), so a change seen during the first lists never
// writes rules from a half-filled cache. Holds no kernel or API knowledge:
// `sync` and `intact` do.
export interface SyncRunnerOptions {
  /** Do one sync; throw on failure. `full`: rewrite everything the backend owns. */
  sync(full: boolean): Promise<void>;
  /** Cheap check that the kernel still holds our rules (false → the next sync is full). */
  intact(): Promise<boolean>;
  /** At most one sync per this long (kube-proxy's minSyncPeriod). Default 0: every change syncs as soon as the last sync ends. */
  minSyncMs?: number;
  /** A periodic sync with an intact() check this often (kube-proxy's syncPeriod). Default 30 s. */
  periodMs?: number;
  /** A full sync at least this often. Default 1 h, as kube-proxy. */
  fullSyncMs?: number;
  retryMs?: number;
  maxRetryMs?: number;
  onError?(err: Error, attempt: number, retryInMs: number): void;
  now?(): number;
}

export class SyncRunner {
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private fullNext = true;
  private verifyNext = false;
  private lastEnd = 0;
  private lastFull = 0;
  private failures = 0;
  private retryAt = 0;
  private stopped = false;
  private started = false;
  private waiters: (() => void)[] = [];
  /** When the last successful sync ended (0: none yet). */
  lastSuccess = 0;
  readonly stats = { syncs: 0, full: 0, failures: 0, damaged: 0 };
  private readonly minSyncMs: number;
  private readonly periodMs: number;
  private readonly fullSyncMs: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private readonly now: () => number;

  constructor(private readonly o: SyncRunnerOptions) {
    this.minSyncMs = o.minSyncMs ?? 0;
    this.periodMs = o.periodMs ?? 30_000;
    this.fullSyncMs = o.fullSyncMs ?? 3_600_000;
    this.retryMs = o.retryMs ?? 1000;
    this.maxRetryMs = o.maxRetryMs ?? 30_000;
    this.now = o.now ?? Date.now;
  }

  /** Start: the first sync (full) at once, then the periodic check. */
  start(): void {
    this.started = true;
    this.periodic = setInterval(() => {
      this.verifyNext = true;
      this.request();
    }, this.periodMs);
    this.periodic.unref?.();
    this.request();
  }

  /** Something changed: sync soon (once started; before that, the first sync covers it). */
  request(): void {
    this.dirty = true;
    if (!this.started || this.timer || this.running || this.stopped) return;
    const at = Math.max(this.lastEnd + this.minSyncMs, this.retryAt);
    const wait = Math.max(0, at - this.now());
    this.timer = setTimeout(() => this.run(), wait);
  }

  /** The next sync is full (e.g. the backend found its rules damaged). */
  requestFull(): void {
    this.fullNext = true;
    this.request();
  }

  /** Resolves after the next sync attempt ends (tests, benchmarks). */
  synced(): Promise<void> {
    return new Promise<void>((r) => {
      this.waiters.push(r);
      this.request();
    });
  }

  private run(): void {
    this.timer = undefined;
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    this.running = this.once().finally(() => {
      this.running = undefined;
      this.lastEnd = this.now();
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
      if (this.dirty) this.request();
    });
  }

  private async once(): Promise<void> {
    const verify = this.verifyNext;
    this.verifyNext = false;
    try {
      if (verify && !this.fullNext && !(await this.o.intact())) {
        this.stats.damaged++;
        this.fullNext = true;
      }
      const full = this.fullNext || this.now() - this.lastFull >= this.fullSyncMs;
      this.fullNext = false;
      try {
        await this.o.sync(full);
      } catch (e) {
        this.fullNext = true; // unknown kernel state: rewrite everything next time
        throw e;
      }
      this.stats.syncs++;
      if (full) {
        this.stats.full++;
        this.lastFull = this.now();
      }
      this.failures = 0;
      this.retryAt = 0;
      this.lastSuccess = this.now();
    } catch (e) {
      this.failures++;
      this.stats.failures++;
      const wait = Math.min(this.retryMs * 2 ** (this.failures - 1), this.maxRetryMs);
      this.retryAt = this.now() + wait;
      this.dirty = true;
      this.o.onError?.(e as Error, this.failures, wait);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.periodic);
    await this.running;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

// Events expire, as kube-apiserver's --event-ttl (1 h by default; there an
// etcd lease on each Event): every minute the Events last seen longer ago than
// the TTL are deleted through the registry, so watchers see them go and a
// long lab session does not keep every Event it ever recorded in memory.
import type { Logger } from 'pino';
import { findByPlural } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import type { Registry } from './registry.js';

const events = findByPlural('', 'events')!;

export const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;

/**
 * When an Event was last seen or written: its newest timestamp of any kind, creationTimestamp included
 * (kube-apiserver's TTL is a lease taken at each write; a recorder stamps lastTimestamp when it updates),
 * in ms; NaN if it has none. Pure.
 */
export function lastSeen(ev: KubeObject): number {
  const times = [ev.lastTimestamp, ev.series?.lastObservedTime, ev.eventTime, ev.firstTimestamp, ev.metadata?.creationTimestamp]
    .filter((x): x is string => typeof x === 'string' && x !== '')
    .map((x) => Date.parse(x))
    .filter(Number.isFinite);
  return times.length ? Math.max(...times) : NaN;
}

/** The Events whose TTL has run out at `now`. Pure. */
export function expiredEvents(list: KubeObject[], now: number, ttlMs: number): KubeObject[] {
  return list.filter((ev) => now - lastSeen(ev) >= ttlMs);
}

export class EventExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly ttlMs = DEFAULT_EVENT_TTL_MS,
    private readonly sweepMs = 60_000,
  ) {}

  start(): void {
    if (this.ttlMs <= 0) return;
    this.timer = setInterval(() => void this.sweep(), Math.min(this.sweepMs, this.ttlMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Delete the expired Events now; resolves to how many went. One sweep at a time. */
  sweep(now = Date.now()): Promise<number> {
    if (this.running) return this.running;
    // Cleared only once settled (a sweep with nothing to delete settles without ever awaiting).
    const p = this.deleteExpired(now).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async deleteExpired(now: number): Promise<number> {
    let n = 0;
    for (const ev of expiredEvents(this.registry.storage.list('events'), now, this.ttlMs)) {
      try {
        // Only the version judged expired: one seen again meanwhile (count + 1) stays (409, skipped).
        await this.registry.delete(events, ev.metadata.namespace, ev.metadata.name!, { preconditions: { resourceVersion: ev.metadata.resourceVersion } });
        n++;
      } catch (e) {
        const code = (e as { code?: number }).code;
        if (code !== 404 && code !== 409) this.log.warn({ err: (e as Error).message, event: `${ev.metadata.namespace}/${ev.metadata.name}` }, 'expiring an event failed');
      }
    }
    if (n) this.log.info({ deleted: n, ttlSeconds: this.ttlMs / 1000 }, 'expired events deleted');
    return n;
  }
}

/** `--event-ttl` as kube-apiserver takes it (`1h`, `30m`, `90s`, `0s`: never expire) → ms. */
export function parseEventTtl(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new Error(`invalid --event-ttl "${s}": a duration such as 1h, 30m or 0s`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

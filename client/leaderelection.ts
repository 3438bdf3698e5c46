// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// tools/leaderelection does it: candidates try to acquire the Lease every
// retryPeriod (with jitter); the holder renews it every retryPeriod and gives
// up leading when it could not renew for renewDeadline; a candidate takes the
// Lease only when it has seen no change in the record for leaseDuration,
// measured on its own clock (never by comparing clocks across machines).
// Every write is an update on the resourceVersion last read, so two
// candidates can never both win: the second gets 409 Conflict.
//
// The decisions (is the lease held by someone else? what record do we write?)
// are pure functions; LeaderElector is the loop around them.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { findByPlural } from '../api/resources.js';
import { isApiError } from '../api/status.js';
import type { Client, RequestOptions } from './http.js';
import { realClock, type Clock } from './clock.js';

export const leases = findByPlural('coordination.k8s.io', 'leases')!;

/** client-go's LeaderElectionRecord, kept in a Lease's spec. */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaderTransitions: number;
}

/** What we last read or wrote, and when we first saw it (our clock). */
export interface Observed {
  record: LeaderElectionRecord;
  /** The record as JSON, to tell a change from the same record read again. */
  raw: string;
  /** clock.now() when this record was first seen. */
  at: number;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(at: number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The record in a Lease (LeaseSpecToLeaderElectionRecord). */
export function recordFromLease(lease: KubeObject): LeaderElectionRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: s.acquireTime ?? '',
    renewTime: s.renewTime ?? '',
    leaderTransitions: s.leaseTransitions ?? 0,
  };
}

/** The Lease spec for a record (LeaderElectionRecordToLeaseSpec). */
export function leaseSpec(r: LeaderElectionRecord): Record<string, unknown> {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    ...(r.acquireTime ? { acquireTime: r.acquireTime } : {}),
    ...(r.renewTime ? { renewTime: r.renewTime } : {}),
    leaseTransitions: r.leaderTransitions,
  };
}

/** The observed record is still in force: seen less than its leaseDuration ago (isLeaseValid). */
export function leaseValid(o: Observed, now: number): boolean {
  return o.at + o.record.leaseDurationSeconds * 1000 > now;
}

/** Someone else holds a lease still in force: we must not take it. */
export function heldByOther(o: Observed, identity: string, now: number): boolean {
  return o.record.holderIdentity !== '' && o.record.holderIdentity !== identity && leaseValid(o, now);
}

/**
 * The record to write when taking or renewing the lease: a renewal keeps the
 * acquire time and the transition count; a takeover counts one more transition.
 */
export function nextRecord(old: LeaderElectionRecord | undefined, identity: string, leaseDurationSeconds: number, now: number): LeaderElectionRecord {
  const t = microTime(now);
  if (!old) return { holderIdentity: identity, leaseDurationSeconds, acquireTime: t, renewTime: t, leaderTransitions: 0 };
  const renewing = old.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: renewing && old.acquireTime ? old.acquireTime : t,
    renewTime: t,
    leaderTransitions: renewing ? old.leaderTransitions : old.leaderTransitions + 1,
  };
}

/** The record a leader writes when it steps down, so a candidate need not wait out the lease (client-go's release). */
export function releasedRecord(old: LeaderElectionRecord, now: number): LeaderElectionRecord {
  const t = microTime(now);
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: t, renewTime: t, leaderTransitions: old.leaderTransitions };
}

export interface LeaderElectionTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's JitterFactor for the acquire loop. */
export const JITTER_FACTOR = 1.2;

/** client-go's NewLeaderElector checks, with its messages. */
export function timingErrors(t: LeaderElectionTimings): string[] {
  const errs: string[] = [];
  if (!(t.leaseDurationMs > t.renewDeadlineMs)) errs.push('leaseDuration must be greater than renewDeadline');
  if (!(t.renewDeadlineMs > JITTER_FACTOR * t.retryPeriodMs)) errs.push(`renewDeadline must be greater than retryPeriod*JitterFactor`);
  if (!(t.leaseDurationMs >= 1000)) errs.push('leaseDuration must be at least one second (leaseDurationSeconds is whole seconds)');
  if (!(t.renewDeadlineMs > 0)) errs.push('renewDeadline must be greater than zero');
  if (!(t.retryPeriodMs > 0)) errs.push('retryPeriod must be greater than zero');
  return errs;
}

export interface LeaderElectorOptions extends LeaderElectionTimings {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  /** Step down (write an empty holder) when run() is cancelled, so another takes over at once. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  log?: Logger;
  /** Called when this candidate becomes the leader; need not return soon. */
  onStartedLeading(): void;
  /** Called when leadership is lost or given up; awaited before the lease is released. */
  onStoppedLeading(): Promise<void> | void;
  /** Called when the holder seen changes (another candidate's identity, or ours). */
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  private observed: Observed | undefined;
  /** The Lease object last read or written: updates carry its resourceVersion. */
  private lease: KubeObject | undefined;
  private leading = false;
  /** clock.now() when the last successful renewal was sent. */
  private renewedAt = 0;
  private reportedLeader = '';
  private readonly clock: Clock;

  constructor(private readonly o: LeaderElectorOptions) {
    const errs = timingErrors(o);
    if (!o.identity) errs.push('Lock identity is empty');
    if (errs.length) throw new Error(errs.join('; '));
    this.clock = o.clock ?? realClock;
  }

  /**
   * Whether this candidate may act now: it holds the lease and renewed it less
   * than renewDeadline ago. Becomes false the moment the deadline passes, even
   * before the renew loop notices, so nothing is written after that.
   */
  isLeader(): boolean {
    return this.leading && this.clock.now() - this.renewedAt < this.o.renewDeadlineMs;
  }

  /** The holder identity last seen ('' when none). */
  getLeader(): string {
    return this.observed?.record.holderIdentity ?? '';
  }

  /**
   * Acquire, lead, renew; on losing the lease, stop leading and go back to
   * acquiring. Resolves when `signal` aborts (after stepping down).
   */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.o.log;
    const lock = `${this.o.namespace}/${this.o.name}`;
    while (!signal.aborted) {
      log?.info({ lock, identity: this.o.identity }, 'attempting to acquire leader lease');
      if (!(await this.acquire(signal))) break;
      log?.info({ lock, identity: this.o.identity }, 'successfully acquired lease');
      this.o.onStartedLeading();
      await this.renew(signal);
      const cancelled = signal.aborted;
      this.leading = false;
      if (!cancelled) log?.warn({ lock, identity: this.o.identity }, 'leaderelection lost');
      await this.o.onStoppedLeading();
      if (cancelled && this.o.releaseOnCancel) await this.release();
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(this.o.retryPeriodMs)) {
        this.leading = true;
        return true;
      }
      await this.clock.sleep(this.o.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), signal);
    }
    return false;
  }

  /** Renew every retryPeriod; return when a renewal could not be made within renewDeadline, or on cancel. */
  private async renew(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.clock.sleep(this.o.retryPeriodMs, signal);
      if (signal.aborted) return;
      for (;;) {
        const left = this.renewedAt + this.o.renewDeadlineMs - this.clock.now();
        if (left <= 0) {
          this.o.log?.info({ identity: this.o.identity }, `failed to renew lease ${this.o.namespace}/${this.o.name}: timed out waiting for the condition`);
          return;
        }
        if (await this.tryAcquireOrRenew(Math.max(100, left))) break;
        // Someone else holds it now (we were too late): stop at once.
        if (this.observed && this.observed.record.holderIdentity !== this.o.identity) return;
        await this.clock.sleep(Math.min(this.o.retryPeriodMs, Math.max(0, left)), signal);
        if (signal.aborted) return;
      }
    }
  }

  private setObserved(lease: KubeObject, now: number): void {
    const record = recordFromLease(lease);
    const raw = JSON.stringify(record);
    if (this.observed?.raw !== raw) this.observed = { record, raw, at: now };
    this.lease = lease;
    if (record.holderIdentity !== this.reportedLeader) {
      this.reportedLeader = record.holderIdentity;
      if (record.holderIdentity) this.o.onNewLeader?.(record.holderIdentity);
    }
  }

  /** One try (client-go's tryAcquireOrRenew): true when we hold the lease afterwards. */
  async tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const c = this.o.client;
    const ro: RequestOptions = { timeoutMs };
    const { namespace, name, identity } = this.o;
    const durationS = Math.round(this.o.leaseDurationMs / 1000);
    const sentAt = this.clock.now();
    // 1. The leader's fast path: update the lease we hold from our cached copy.
    if (this.leading && this.lease && this.observed?.record.holderIdentity === identity && leaseValid(this.observed, sentAt)) {
      try {
        const spec = leaseSpec(nextRecord(this.observed.record, identity, durationS, sentAt));
        const updated = await c.request<KubeObject>('PUT', leasePath(namespace, name), { ...ro, body: { ...this.lease, spec } });
        this.setObserved(updated, this.clock.now());
        this.renewedAt = sentAt;
        return true;
      } catch (e) {
        this.o.log?.debug({ err: (e as Error).message }, 'lease renewal from cache failed; reading the lease');
      }
    }
    // 2. Read the lease, or create it.
    let current: KubeObject;
    try {
      current = await c.request<KubeObject>('GET', leasePath(namespace, name), ro);
    } catch (e) {
      if (!isApiError(e) || e.code !== 404) {
        this.o.log?.warn({ err: (e as Error).message }, `error retrieving resource lock ${namespace}/${name}`);
        return false;
      }
      const record = nextRecord(undefined, identity, durationS, sentAt);
      try {
        const created = await c.request<KubeObject>('POST', `${collectionPath(namespace)}`, {
          ...ro,
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: leaseSpec(record) },
        });
        this.setObserved(created, this.clock.now());
        this.renewedAt = sentAt;
        return true;
      } catch (e2) {
        this.o.log?.warn({ err: (e2 as Error).message }, `error initially creating leader election record`);
        return false;
      }
    }
    this.setObserved(current, this.clock.now());
    // 3. Held by someone else and still in force: not ours.
    if (heldByOther(this.observed!, identity, this.clock.now())) return false;
    // 4. Ours to take (expired, released) or to renew: an update on the resourceVersion just read.
    const now = this.clock.now();
    const record = nextRecord(this.observed!.record, identity, durationS, now);
    try {
      const updated = await c.request<KubeObject>('PUT', leasePath(namespace, name), { ...ro, body: { ...current, spec: leaseSpec(record) } });
      this.setObserved(updated, this.clock.now());
      this.renewedAt = sentAt;
      return true;
    } catch (e) {
      this.o.log?.warn({ err: (e as Error).message }, `failed to update lock ${namespace}/${name}`);
      return false;
    }
  }

  /** Step down: write an empty holder with a one-second lease (only if we hold it). */
  private async release(): Promise<void> {
    if (!this.lease || this.observed?.record.holderIdentity !== this.o.identity) return;
    const spec = leaseSpec(releasedRecord(this.observed.record, this.clock.now()));
    try {
      const updated = await this.o.client.request<KubeObject>('PUT', leasePath(this.o.namespace, this.o.name), { timeoutMs: this.o.renewDeadlineMs, body: { ...this.lease, spec } });
      this.setObserved(updated, this.clock.now());
      this.o.log?.info({ identity: this.o.identity }, 'released the leader lease');
    } catch (e) {
      this.o.log?.warn({ err: (e as Error).message }, 'failed to release the leader lease');
    }
  }
}

function collectionPath(namespace: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
}

function leasePath(namespace: string, name: string): string {
  return `${collectionPath(namespace)}/${encodeURIComponent(name)}`;
}

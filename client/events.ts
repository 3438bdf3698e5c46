// Events as client-go's EventRecorder + EventCorrelator write them: a core/v1
// Event in the involved object's namespace (`default` for cluster-scoped
// objects), named `<object>.<unix nanos in hex>`, and an identical event
// repeated bumps `count` and `lastTimestamp` on the same object instead of
// piling up. Events are written in the background: a controller never waits
// for one, and a failed event write is logged, not retried forever.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { isApiError } from '../api/status.js';
import { findByPlural } from '../api/resources.js';
import type { Client } from './http.js';

const events = findByPlural('', 'events')!;

export type EventType = 'Normal' | 'Warning';

export interface Recorder {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
  /** The write in flight for this aggregate; the next one chains on it. */
  chain: Promise<void>;
}

/** RFC 3339 at second precision, as metav1.Time. */
export function timestamp(at = Date.now()): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

let lastNanos = 0n;
/** `<name>.<16 hex digits>`: time.Now().UnixNano() in hex, as client-go names events (kept unique here). */
export function eventName(objName: string, at = Date.now()): string {
  let nanos = BigInt(at) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
  if (nanos <= lastNanos) nanos = lastNanos + 1n;
  lastNanos = nanos;
  return `${objName}.${nanos.toString(16)}`;
}

const MAX_AGGREGATES = 4096;

export class EventRecorder {
  private aggregates = new Map<string, Aggregate>();
  private inflight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
  ) {}

  /** A recorder whose events say they come from `component` (e.g. `default-scheduler`). */
  for(component: string): Recorder {
    return { event: (obj, type, reason, message) => this.record(component, obj, type, reason, message) };
  }

  private record(component: string, obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    const m = obj.metadata;
    const involvedObject: Record<string, unknown> = {
      kind: obj.kind,
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: m.resourceVersion,
    };
    const namespace = m.namespace || 'default';
    const key = [component, obj.kind, namespace, m.name, m.uid, type, reason, message].join('\x00');
    this.log.info({ object: m.namespace ? `${m.namespace}/${m.name}` : m.name, kind: obj.kind, type, reason, source: component }, message);
    let agg = this.aggregates.get(key);
    const now = timestamp();
    if (!agg) {
      if (this.aggregates.size >= MAX_AGGREGATES) this.aggregates.delete(this.aggregates.keys().next().value!);
      agg = { namespace, name: eventName(m.name ?? 'unknown'), count: 0, firstTimestamp: now, chain: Promise.resolve() };
      this.aggregates.set(key, agg);
    }
    const a = agg;
    a.count++;
    const count = a.count;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: a.name, namespace },
      involvedObject,
      reason,
      message,
      type,
      source: { component },
      count,
      firstTimestamp: a.firstTimestamp,
      lastTimestamp: now,
      reportingComponent: component,
      reportingInstance: '',
    };
    const write = async () => {
      try {
        if (count === 1) await this.client.create(events, namespace, body);
        else {
          try {
            await this.client.patch(events, namespace, a.name, { count, lastTimestamp: now });
          } catch (e) {
            // The event expired or was deleted: start a new one (as the correlator does).
            if (!isApiError(e) || e.code !== 404) throw e;
            await this.client.create(events, namespace, body);
          }
        }
      } catch (e) {
        this.log.warn({ err: (e as Error).message, reason, object: `${namespace}/${m.name}` }, 'event write failed');
      }
    };
    const p = a.chain.then(write);
    a.chain = p;
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Wait for the event writes in flight; no new ones are taken after this. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.inflight]);
  }
}

// The shape every controller shares: informers feed a work queue of keys
// (`ns/name`), workers take a key, a reconcile function reads the caches and
// writes the API, and a failed key comes back with exponential backoff.
// A 409 (someone else wrote first, or our cache was stale) is the normal way
// to learn the cache was behind: requeue, read again, try again.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { objectKey } from '../api/types.js';
import { isApiError } from '../api/status.js';
import type { Client } from '../client/http.js';
import type { Informer } from '../client/informer.js';
import { WorkQueue, type QueueOptions } from './queue.js';
import type { InformerFactory } from './informers.js';
import type { EventRecorder } from '../client/events.js';

export interface ControllerOptions {
  lbPool?: string;
  /** Addresses no LoadBalancer may get besides the nodes' own (the host's bridge address). */
  lbReserved?: string[];
  nodeMonitorGracePeriodSeconds: number;
  podEvictionTimeoutSeconds: number;
}

export interface ControllerContext {
  client: Client;
  informers: InformerFactory;
  events: EventRecorder;
  log: Logger;
  options: ControllerOptions;
}

export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

/** What a reconcile may ask for: come back after this many ms (e.g. minReadySeconds, a timeout). */
export type ReconcileResult = void | { requeueAfterMs: number };

export abstract class QueueController implements Controller {
  readonly queue: WorkQueue;
  protected readonly log: Logger;
  protected readonly client: Client;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    protected readonly ctx: ControllerContext,
    private readonly opts: { workers?: number; resyncMs?: number; queue?: QueueOptions } = {},
  ) {
    this.queue = new WorkQueue(opts.queue);
    this.log = ctx.log.child({ controller: name });
    this.client = ctx.client;
  }

  protected abstract reconcile(key: string): Promise<ReconcileResult>;

  /** Keys to queue at start and on each periodic resync. */
  protected abstract allKeys(): string[];

  start(): void {
    for (const k of this.allKeys()) this.queue.add(k);
    for (let i = 0; i < (this.opts.workers ?? 1); i++) this.workers.push(this.work());
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const k of this.allKeys()) this.queue.add(k);
      }, this.opts.resyncMs);
      this.resyncTimer.unref?.();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  /** Queue an object's key. */
  protected enqueue(obj: KubeObject): void {
    this.queue.add(objectKey(obj));
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const res = await this.reconcile(key);
        this.queue.forget(key);
        if (res && res.requeueAfterMs > 0) this.queue.addAfter(key, res.requeueAfterMs);
      } catch (e) {
        if (isApiError(e) && (e.code === 409 || e.code === 404)) {
          this.log.debug({ key, err: e.message }, 'stale cache, requeued');
        } else {
          this.log.warn({ key, err: (e as Error).message, retries: this.queue.retries(key) }, 'reconcile failed, requeued');
        }
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}

/** Handlers that queue the object's own key on every change. */
export function enqueueOnChange(inf: Informer, enqueue: (obj: KubeObject) => void): void {
  inf.on({ add: enqueue, update: (o) => enqueue(o), delete: enqueue });
}

/** Split `ns/name`. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

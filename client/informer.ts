// The list-then-watch informer, as client-go's reflector + indexer +
// shared informer: list, watch from the list's resourceVersion, keep an
// indexed cache, relist on 410 Expired, re-watch with client-go's back-off
// when the connection drops, and tell handlers about adds, updates and
// deletes exactly once each.
//
// Handlers are isolated from the informer and from each other, as client-go's
// processorListener: each call is made on its own, a handler that throws (or
// returns a promise that rejects) is logged and counted, and every handler
// still gets every event, in order. A failing handler never ends the watch.
//
// Reconnects (client-go's reflector): a watch that ends normally (its
// timeout) is reopened at once; a list or watch that fails — connection
// refused or cut, an error status, 410 Expired, or a "very short watch" that
// ended within 1 s having delivered nothing — waits the next delay of
// ExponentialBackoff (0.8 s doubling to 30 s, jitter 1.0: [0.8, 1.6) s first,
// [30, 60) s at the cap), then re-watches from the last resourceVersion, or
// relists first after 410. The back-off starts again from 0.8 s after a
// healthy watch, meaning one that delivered at least one event (bookmarks
// count: the server was serving the stream), or when 2 min passed without
// a failure (client-go's reset rule, which covers a long quiet watch). So a
// server that restarts now and then is picked up again within ~1.6 s each
// time, while a server that stays down is asked at most about every 30-60 s.
import type { KubeObject, Status, WatchEvent } from '../api/types.js';
import { objectKey } from '../api/types.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { ExponentialBackoff, type BackoffOptions } from './backoff.js';
import { realClock, type Clock } from './clock.js';
import { resourcePath, type Client, type WatchHandle } from './http.js';

export type IndexFunc = (obj: KubeObject) => string[];

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Extra indexes besides the built-in `namespace`, `label` (`k=v`) and `node` (spec.nodeName). */
  indexers?: Record<string, IndexFunc>;
  /** Watch timeout asked of the server, seconds (client-go picks 5-10 min). */
  watchTimeoutSeconds?: number;
  /** Ceiling of the reconnect back-off's base delay, ms (client-go: 30 s); shorthand for backoff.capMs. */
  maxBackoffMs?: number;
  /** Reconnect back-off; client-go's reflector values unless given (see client/backoff.ts). */
  backoff?: Partial<Omit<BackoffOptions, 'clock'>>;
  /** Time for the back-off and its waits; a test passes a FakeClock. */
  clock?: Clock;
  /** Where handler failures and reconnects are reported (a pino logger fits); stderr by default. */
  log?: InformerLog;
}

/** Handlers may be async: a promise returned that rejects is logged like a throw (and not awaited). */
export interface InformerHandlers {
  add?(obj: KubeObject): unknown;
  update?(obj: KubeObject, old: KubeObject): unknown;
  delete?(obj: KubeObject): unknown;
}

export interface InformerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const stderrLog: InformerLog = {
  warn: (obj, msg) => process.stderr.write(`${new Date().toISOString()} WARN ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`${new Date().toISOString()} ERROR ${msg} ${JSON.stringify(obj)}\n`),
};

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A watch that ended this soon having delivered nothing counts as a failure (client-go's "very short watch"). */
const shortWatchMs = 1000;

const builtinIndexers: Record<string, IndexFunc> = {
  namespace: (o) => [o.metadata.namespace ?? ''],
  label: (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  node: (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []),
};

export class Informer {
  private cache = new Map<string, KubeObject>();
  private indexes = new Map<string, Map<string, Set<string>>>();
  private handlers: InformerHandlers[] = [];
  private indexers: Record<string, IndexFunc>;
  private rv = '';
  private stopped = false;
  private watch: WatchHandle | undefined;
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly log: InformerLog;
  private readonly stopping = new AbortController();
  /** Counts, for tests and metrics: lists and watches opened, events applied, handler calls that failed, back-off waits. */
  readonly stats = { lists: 0, watches: 0, events: 0, handlerErrors: 0, backoffs: 0 };

  constructor(
    private readonly client: Client,
    readonly resource: ResourceType,
    private readonly opts: InformerOptions = {},
  ) {
    this.indexers = { ...builtinIndexers, ...(opts.indexers ?? {}) };
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? stderrLog;
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  /**
   * Add handlers. Registered after the first list (a component that joins a
   * running, shared informer), they are first told the current cache as
   * adds, as client-go's AddEventHandler does, so they miss nothing.
   */
  on(h: InformerHandlers): this {
    this.handlers.push(h);
    if (this.synced) for (const obj of [...this.cache.values()]) this.call(h, 'add', obj);
    return this;
  }

  /** Remove handlers added with on() (a component that stops while the informer goes on for others). */
  off(h: InformerHandlers): this {
    const i = this.handlers.indexOf(h);
    if (i >= 0) this.handlers.splice(i, 1);
    return this;
  }

  /** Start the list/watch loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.waitForSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort(); // ends a back-off wait at once
    this.watch?.close();
    for (const w of this.syncedWaiters.splice(0)) w();
    await this.loop?.catch(() => undefined);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((r) => this.syncedWaiters.push(r));
  }

  /** The newest resourceVersion this informer has seen. */
  lastResourceVersion(): string {
    return this.rv;
  }

  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace === undefined) return [...this.cache.values()];
    return this.byIndex('namespace', namespace);
  }

  byIndex(index: string, value: string): KubeObject[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.cache.get(k)!).filter(Boolean);
  }

  private async run(): Promise<void> {
    const backoff = new ExponentialBackoff({
      ...(this.opts.maxBackoffMs ? { capMs: this.opts.maxBackoffMs } : {}),
      ...this.opts.backoff,
      clock: this.clock,
    });
    let needList = true;
    while (!this.stopped) {
      let failure: unknown;
      if (needList) {
        try {
          await this.relist();
          needList = false;
        } catch (e) {
          failure = e;
        }
      }
      if (this.stopped) break; // stop() came during the list: open no watch
      if (!needList) {
        const w = await this.watchOnce();
        if (w.events > 0) backoff.reset(); // a healthy watch
        if (w.error !== undefined) {
          failure = w.error;
          // 410: too old; 504 "Too large resource version": the server is behind us (a restored data dir).
          // Either way start again from a fresh list, as client-go's reflector.
          if (w.error instanceof ApiError && (w.error.code === 410 || w.error.code === 504)) needList = true;
        } else if (w.events === 0 && w.ms < shortWatchMs) {
          failure = new Error(`very short watch: ended after ${w.ms}ms having delivered nothing`);
        } else continue; // ended normally (its timeout): watch again at once
      }
      if (this.stopped) break;
      const delay = backoff.next();
      this.stats.backoffs++;
      this.log.warn(
        { resource: this.resource.plural, err: errorMessage(failure), retryInMs: delay, relist: needList },
        needList ? 'informer: list failed or resourceVersion expired; relisting after back-off' : 'informer: watch failed; re-watching after back-off',
      );
      await this.clock.sleep(delay, this.stopping.signal);
    }
  }

  private query() {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  /** List and make the cache equal to it, telling handlers what changed since the last state. */
  private async relist(): Promise<void> {
    const list = await this.client.list(this.resource, this.opts.namespace, this.query());
    this.stats.lists++;
    const seen = new Set<string>();
    for (const item of list.items) {
      const obj = { apiVersion: list.apiVersion, kind: this.resource.kind, ...item };
      const key = objectKey(obj);
      seen.add(key);
      this.upsert(key, obj);
    }
    for (const [key, old] of [...this.cache]) if (!seen.has(key)) this.remove(key, old);
    this.rv = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }

  /** One watch from this.rv until it ends; says how it went rather than throwing. */
  private async watchOnce(): Promise<{ events: number; ms: number; error?: unknown }> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const started = this.clock.now();
    let events = 0;
    let error: unknown;
    this.stats.watches++;
    this.watch = this.client.watch(
      resourcePath(this.resource, this.opts.namespace),
      { ...this.query(), resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: timeout },
      (ev) => {
        if (ev.type === 'ERROR') {
          error = new ApiError(ev.object as unknown as Status);
          this.watch?.close();
          return;
        }
        events++;
        this.apply(ev);
      },
    );
    try {
      await this.watch.done;
    } catch (e) {
      error ??= e;
    }
    return { events, ms: this.clock.now() - started, error };
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object;
    const rv = obj.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    this.stats.events++;
    const key = objectKey(obj);
    if (ev.type === 'DELETED') {
      const old = this.cache.get(key);
      if (old) this.remove(key, obj);
    } else this.upsert(key, obj);
    if (rv) this.rv = rv;
  }

  private upsert(key: string, obj: KubeObject): void {
    const old = this.cache.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    if (old) this.unindex(key, old);
    this.cache.set(key, obj);
    this.index(key, obj);
    if (old) this.notify('update', obj, old);
    else this.notify('add', obj);
  }

  private remove(key: string, last: KubeObject): void {
    const old = this.cache.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.cache.delete(key);
    this.notify('delete', last);
  }

  /** Tell every handler, in the order they were added; one that fails is logged and the others still hear. */
  private notify(kind: 'add' | 'update' | 'delete', obj: KubeObject, old?: KubeObject): void {
    for (const h of [...this.handlers]) this.call(h, kind, obj, old);
  }

  private call(h: InformerHandlers, kind: 'add' | 'update' | 'delete', obj: KubeObject, old?: KubeObject): void {
    try {
      const r = kind === 'update' ? h.update?.(obj, old!) : h[kind]?.(obj);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (e) => this.handlerFailed(kind, obj, e));
    } catch (e) {
      this.handlerFailed(kind, obj, e);
    }
  }

  private handlerFailed(kind: string, obj: KubeObject, e: unknown): void {
    this.stats.handlerErrors++;
    this.log.error(
      { resource: this.resource.plural, event: kind, object: objectKey(obj), err: errorMessage(e), stack: e instanceof Error ? e.stack : undefined },
      'informer: event handler failed',
    );
  }

  private index(key: string, obj: KubeObject): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }

  private unindex(key: string, obj: KubeObject): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set && set.size === 0) idx.delete(v);
      }
    }
  }
}

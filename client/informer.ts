// The list-then-watch informer, as client-go's reflector + indexer: list,
// watch from the list's resourceVersion, keep an indexed cache, relist on
// 410 Expired, re-watch with backoff when the connection drops, and tell
// handlers about adds, updates and deletes exactly once each.
import type { KubeObject, WatchEvent } from '../api/types.js';
import { objectKey } from '../api/types.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
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
  /** Ceiling of the reconnect backoff, ms. */
  maxBackoffMs?: number;
}

export interface InformerHandlers {
  add?(obj: KubeObject): void;
  update?(obj: KubeObject, old: KubeObject): void;
  delete?(obj: KubeObject): void;
}

const builtinIndexers: Record<string, IndexFunc> = {
  namespace: (o) => [o.metadata.namespace ?? ''],
  label: (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`),
  node: (o) => (o.spec?.nodeName ? [o.spec.nodeName] : []),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  /** Counts, for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, events: 0 };

  constructor(
    private readonly client: Client,
    readonly resource: ResourceType,
    private readonly opts: InformerOptions = {},
  ) {
    this.indexers = { ...builtinIndexers, ...(opts.indexers ?? {}) };
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  on(h: InformerHandlers): this {
    this.handlers.push(h);
    return this;
  }

  /** Start the list/watch loop; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.loop ??= this.run();
    return this.waitForSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
    let backoff = 100;
    const maxBackoff = this.opts.maxBackoffMs ?? 5000;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.watchOnce();
        backoff = 100;
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof ApiError && e.code === 410) {
          needList = true; // too old: start again from a fresh list
          continue;
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
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

  private async watchOnce(): Promise<void> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    let expired: ApiError | undefined;
    this.stats.watches++;
    this.watch = this.client.watch(
      resourcePath(this.resource, this.opts.namespace),
      { ...this.query(), resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds: timeout },
      (ev) => {
        if (ev.type === 'ERROR') {
          const st = ev.object as any;
          expired = new ApiError(st);
          this.watch?.close();
          return;
        }
        this.apply(ev);
      },
    );
    await this.watch.done;
    if (expired) throw expired;
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
    for (const h of this.handlers) {
      if (old) h.update?.(obj, old);
      else h.add?.(obj);
    }
  }

  private remove(key: string, last: KubeObject): void {
    const old = this.cache.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.cache.delete(key);
    for (const h of this.handlers) h.delete?.(last);
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

// One informer per (resource, namespace, selectors) per process, shared by
// the components in it, as client-go's SharedInformerFactory: `mk8s node`
// runs the kubelet, the proxy and the node-local DNS in one process, and
// services (read by the kubelet for pod environments and by the proxy) are
// listed and watched once, not once per component.
//
// Each component gets its own view of the shared informer: the view's on()
// registers handlers on the shared one (told the current cache as adds when
// it has already synced, as client-go's AddEventHandler), its start() starts
// the shared one (once) and waits for its first list, and its stop() removes
// only that component's handlers. The shared informer stops when its last
// view stops (no watch left open for nobody), or with SharedInformers.stop().
import type { KubeObject } from '../api/types.js';
import type { ResourceType } from '../api/resources.js';
import type { Client } from './http.js';
import { Informer, type IndexFunc, type InformerHandlers, type InformerLog, type InformerOptions } from './informer.js';

/** What a component may use of an informer: the same calls on a private or a shared one. */
export interface InformerView extends Pick<Informer, 'resource' | 'stats' | 'start' | 'stop' | 'hasSynced' | 'waitForSync' | 'lastResourceVersion' | 'get' | 'list' | 'byIndex'> {
  on(h: InformerHandlers): unknown;
}

/** What identifies a shared informer: the resource and what of it is listed. */
export interface SharedInformerSelector {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Extra indexes; informers with different index names are different informers. */
  indexers?: Record<string, IndexFunc>;
}

export interface SharedInformersOptions {
  /** Options every informer of this set gets (back-off, clock, watch timeout). */
  defaults?: Omit<InformerOptions, keyof SharedInformerSelector | 'log'>;
  log?: InformerLog;
}

interface Entry {
  informer: Informer;
  views: number;
}

export class SharedInformers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly client: Client,
    private readonly opts: SharedInformersOptions = {},
  ) {}

  /** The key of one shared informer (exported for tests). */
  static key(r: ResourceType, s: SharedInformerSelector = {}): string {
    return JSON.stringify([r.group, r.plural, s.namespace ?? '', s.labelSelector ?? '', s.fieldSelector ?? '', Object.keys(s.indexers ?? {}).sort()]);
  }

  /** A component's view of the shared informer of (resource, selectors); made on first ask. */
  informer(r: ResourceType, s: SharedInformerSelector = {}): InformerView {
    const key = SharedInformers.key(r, s);
    let e = this.entries.get(key);
    if (!e) {
      const informer = new Informer(this.client, r, { ...this.opts.defaults, ...s, ...(this.opts.log ? { log: this.opts.log } : {}) });
      e = { informer, views: 0 };
      this.entries.set(key, e);
    }
    e.views++;
    return new View(e, () => {
      if (--e.views > 0 || this.entries.get(key) !== e) return Promise.resolve();
      this.entries.delete(key);
      return e.informer.stop();
    });
  }

  /** The shared informers now open (for tests, metrics and the footprint). */
  informers(): Informer[] {
    return [...this.entries.values()].map((e) => e.informer);
  }

  /** Stop every shared informer. */
  async stop(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.informer.stop()));
  }
}

class View implements InformerView {
  private readonly mine: InformerHandlers[] = [];
  private stopped = false;

  constructor(
    private readonly e: Entry,
    private readonly release: () => Promise<void>,
  ) {}

  get resource(): ResourceType {
    return this.e.informer.resource;
  }

  get stats(): Informer['stats'] {
    return this.e.informer.stats;
  }

  on(h: InformerHandlers): this {
    if (this.stopped) return this;
    this.mine.push(h);
    this.e.informer.on(h);
    return this;
  }

  start(): Promise<void> {
    return this.e.informer.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const h of this.mine.splice(0)) this.e.informer.off(h);
    await this.release();
  }

  hasSynced(): boolean {
    return this.e.informer.hasSynced();
  }

  waitForSync(): Promise<void> {
    return this.e.informer.waitForSync();
  }

  lastResourceVersion(): string {
    return this.e.informer.lastResourceVersion();
  }

  get(key: string): KubeObject | undefined {
    return this.e.informer.get(key);
  }

  list(namespace?: string): KubeObject[] {
    return this.e.informer.list(namespace);
  }

  byIndex(index: string, value: string): KubeObject[] {
    return this.e.informer.byIndex(index, value);
  }
}

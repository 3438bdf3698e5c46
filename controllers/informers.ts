// One shared informer per resource type for all controllers, as client-go's
// SharedInformerFactory: one list+watch per type, however many controllers
// read it. Every informer indexes objects by their owners' uids.
import type { Logger } from 'pino';
import type { KubeObject, OwnerReference } from '../api/types.js';
import type { ResourceType } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer, type IndexFunc } from '../client/informer.js';

/** The ownerReference with controller: true, as metav1.GetControllerOf. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

const indexers: Record<string, IndexFunc> = {
  /** Every owner uid. */
  owner: (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid),
  /** The controlling owner's uid. */
  controller: (o) => {
    const c = controllerOf(o);
    return c ? [c.uid] : [];
  },
};

export class InformerFactory {
  private informers = new Map<string, Informer>();
  private started = false;

  constructor(
    private readonly client: Client,
    private readonly log: Logger,
  ) {}

  /** The shared, cluster-wide informer of a resource type (started with the others). */
  for(r: ResourceType): Informer {
    const key = `${r.group}/${r.plural}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, r, { indexers, maxBackoffMs: 2000, log: this.log });
      this.informers.set(key, inf);
      if (this.started) void inf.start();
    }
    return inf;
  }

  /** Start every informer asked for so far; resolves when all have listed once. */
  async start(): Promise<void> {
    this.started = true;
    const t0 = Date.now();
    await Promise.all([...this.informers.values()].map((i) => i.start()));
    this.log.info({ informers: this.informers.size, ms: Date.now() - t0 }, 'informers synced');
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}

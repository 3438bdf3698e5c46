// Namespace deletion, as Kubernetes' namespace controller: a deleted
// namespace turns Terminating, everything in it is deleted, and when nothing
// is left its `kubernetes` finalizer is removed and the namespace goes.
import type { Logger } from 'pino';
import { findByPlural, resourceTypes } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import type { Registry } from './registry.js';

const namespaces = findByPlural('', 'namespaces')!;

export class NamespaceFinalizer {
  private pending = new Set<string>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.registry.storage.onCommit((c) => {
      const ns = c.resource === 'namespaces' ? c.obj.metadata.name : c.obj.metadata.namespace;
      if (!ns) return;
      const nsObj = this.registry.storage.get('namespaces', ns);
      if (nsObj?.metadata.deletionTimestamp) this.kick(ns);
    });
    for (const ns of this.registry.storage.list('namespaces')) if (ns.metadata.deletionTimestamp) this.kick(ns.metadata.name!);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.pending.clear();
  }

  private kick(ns: string): void {
    this.pending.add(ns);
    if (!this.timer) this.timer = setTimeout(() => void this.run(), 20);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) return void this.kick([...this.pending][0] ?? '');
    this.running = true;
    try {
      for (const ns of [...this.pending]) {
        this.pending.delete(ns);
        if (ns) await this.finalize(ns);
      }
    } finally {
      this.running = false;
    }
  }

  private async finalize(ns: string): Promise<void> {
    let left = 0;
    for (const r of resourceTypes) {
      if (!r.namespaced) continue;
      for (const obj of this.registry.storage.list(r.group ? `${r.group}/${r.plural}` : r.plural, ns)) {
        left++;
        if (obj.metadata.deletionTimestamp) continue;
        try {
          await this.registry.delete(r, ns, obj.metadata.name!, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
        }
      }
    }
    if (left > 0) return; // the deletions' own commits kick us again
    try {
      await this.registry.modify(namespaces, undefined, ns, (o) => {
        o.spec = { ...o.spec, finalizers: (o.spec?.finalizers ?? []).filter((f: string) => f !== 'kubernetes') };
        return o;
      });
      this.log.info({ namespace: ns }, 'namespace finalized');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}

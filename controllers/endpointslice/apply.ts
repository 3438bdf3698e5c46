// Writing a slice plan, shared by the EndpointSlice and mirroring
// controllers, with the endpointSliceTracker's guard against a stale cache:
// a slice we created or changed that the informer does not show yet means
// the cache is behind, and the sync waits rather than make duplicates.
import type { Logger } from 'pino';
import type { KubeObject } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import type { Client } from '../../client/http.js';
import { kinds } from '../kinds.js';
import { slicePorts, type EndpointPort, type SlicePlan } from '../endpoints/desired.js';

/** A slice as the plan sees it. */
export function sliceView(s: KubeObject): { name: string; ports: EndpointPort[]; endpoints: any[] } {
  return {
    name: s.metadata.name!,
    ports: (s.ports ?? []).map((p: any) => {
      const o: EndpointPort = { port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.name) o.name = p.name;
      if (p.appProtocol) o.appProtocol = p.appProtocol;
      return o;
    }),
    endpoints: s.endpoints ?? [],
  };
}

export class SliceTracker {
  /** service key → slice name → the resourceVersion we wrote, or 'deleted'. */
  private written = new Map<string, Map<string, number | 'deleted'>>();

  wrote(svcKey: string, slice: string, rv: number | 'deleted'): void {
    let m = this.written.get(svcKey);
    if (!m) this.written.set(svcKey, (m = new Map()));
    m.set(slice, rv);
  }

  /** True while the cache does not yet show what we wrote for this service. */
  stale(svcKey: string, cached: KubeObject[]): boolean {
    const m = this.written.get(svcKey);
    if (!m) return false;
    const byName = new Map(cached.map((s) => [s.metadata.name!, s]));
    let stale = false;
    for (const [name, rv] of m) {
      const c = byName.get(name);
      const caughtUp = rv === 'deleted' ? !c : !!c && Number(c.metadata.resourceVersion) >= rv;
      if (caughtUp) m.delete(name);
      else stale = true;
    }
    if (m.size === 0) this.written.delete(svcKey);
    return stale;
  }

  forget(svcKey: string): void {
    this.written.delete(svcKey);
  }
}

export interface SliceMeta {
  namespace: string;
  /** Prefix for generateName (`<svc>-`), or a fixed name. */
  generateName?: string;
  name?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: KubeObject['metadata']['ownerReferences'];
}

function sliceBody(meta: SliceMeta, ports: EndpointPort[], endpoints: any[]): KubeObject {
  const m: any = { namespace: meta.namespace, labels: meta.labels };
  if (meta.name) m.name = meta.name;
  else m.generateName = meta.generateName;
  if (meta.annotations && Object.keys(meta.annotations).length) m.annotations = meta.annotations;
  if (meta.ownerReferences) m.ownerReferences = meta.ownerReferences;
  const body: KubeObject = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: m, addressType: 'IPv4', endpoints };
  if (ports.length) body.ports = slicePorts(ports);
  return body;
}

/**
 * Apply the plan; `existing` are the cached slices (for resourceVersions).
 * Slices whose metadata (labels, annotations) changed but content did not
 * are rewritten too. Returns the number of writes.
 */
export async function applySlicePlan(
  client: Client,
  log: Logger,
  tracker: SliceTracker,
  svcKey: string,
  plan: SlicePlan,
  existing: KubeObject[],
  meta: SliceMeta,
  sameMeta: (s: KubeObject) => boolean,
): Promise<number> {
  let writes = 0;
  const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
  const updated = new Set(plan.update.map((u) => u.name));
  const deleted = new Set(plan.delete);
  // Metadata-only refresh (e.g. the Service's labels changed).
  for (const s of existing) {
    if (updated.has(s.metadata.name!) || deleted.has(s.metadata.name!) || sameMeta(s)) continue;
    const v = sliceView(s);
    plan.update.push({ name: v.name, ports: v.ports, endpoints: v.endpoints });
  }
  for (const u of plan.update) {
    const cur = byName.get(u.name);
    if (!cur) continue;
    const body = sliceBody({ ...meta, name: u.name }, u.ports, u.endpoints);
    body.metadata.resourceVersion = cur.metadata.resourceVersion;
    body.metadata.uid = cur.metadata.uid;
    const res = await client.update(kinds.endpointslices, body);
    tracker.wrote(svcKey, u.name, Number(res.metadata.resourceVersion));
    writes++;
  }
  for (const c of plan.create) {
    const res = await client.create(kinds.endpointslices, meta.namespace, sliceBody(meta, c.ports, c.endpoints));
    tracker.wrote(svcKey, res.metadata.name!, Number(res.metadata.resourceVersion));
    writes++;
  }
  for (const name of plan.delete) {
    try {
      await client.delete(kinds.endpointslices, meta.namespace, name, { preconditions: { uid: byName.get(name)?.metadata.uid } });
    } catch (e) {
      if (!(isApiError(e) && e.code === 404)) throw e;
    }
    tracker.wrote(svcKey, name, 'deleted');
    writes++;
  }
  if (writes) log.info({ object: svcKey, updated: plan.update.length, created: plan.create.length, deleted: plan.delete.length }, 'endpoint slices synced');
  return writes;
}

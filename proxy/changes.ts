// What changed since the last sync, as kube-proxy's ServiceChangeTracker and
// EndpointsChangeTracker (pkg/proxy/servicechangetracker.go,
// endpointschangetracker.go): fed by the informers' add/update/delete, they
// remember which services (and which of their service port names) changed,
// and ignore updates that change nothing the rules read (a resourceVersion
// bump, a status field other than the load balancer's, an annotation). A
// sync takes the accumulated set and the trackers start over. Pure.
import type { KubeObject } from '../api/types.js';
import { servicePortName } from '../api/kube-proxy-names.js';

/** What a sync must look at. */
export interface ChangeSet {
  /** `ns/name` of every service whose rules may differ (its Service or one of its EndpointSlices changed). */
  services: Set<string>;
  /** kube-proxy's ServicePortName (`ns/name:port` or `ns/name`) of every port of those services, before and after. */
  portNames: Set<string>;
  /** A Node changed (readiness decides which node announces a LoadBalancer IP). */
  nodes: boolean;
}

export const emptyChanges = (): ChangeSet => ({ services: new Set(), portNames: new Set(), nodes: false });

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sliceService = (s: KubeObject) => s.metadata.labels?.['kubernetes.io/service-name'];

/** The parts of a Service the rules, the LB announcer and the health checks read. */
function serviceFacts(svc: KubeObject | undefined): string {
  if (!svc) return '';
  return JSON.stringify([svc.spec ?? null, svc.status?.loadBalancer ?? null]);
}

/** The parts of an EndpointSlice the rules read. */
function sliceFacts(s: KubeObject | undefined): string {
  if (!s) return '';
  return JSON.stringify([sliceService(s) ?? null, s.addressType ?? null, s.ports ?? null, s.endpoints ?? null]);
}

function portNamesOf(ns: string, name: string, ports: any[] | undefined, into: Set<string>): void {
  for (const p of ports ?? []) into.add(servicePortName(ns, name, p?.name));
  // A service without ports yet (or a slice without them) still names the service itself.
  if (!ports?.length) into.add(servicePortName(ns, name));
}

/** Changed services and their port names since the last take(). */
class Accumulator {
  protected changed = new Set<string>();
  protected names = new Set<string>();

  pending(): boolean {
    return this.changed.size > 0;
  }

  /** What changed since the last take(); starts over. */
  take(): { services: Set<string>; portNames: Set<string> } {
    const out = { services: this.changed, portNames: this.names };
    this.changed = new Set();
    this.names = new Set();
    return out;
  }

  /** Mark services (and port names) changed, e.g. those of a sync that failed. */
  merge(services: Iterable<string>, portNames: Iterable<string>): void {
    for (const k of services) this.changed.add(k);
    for (const n of portNames) this.names.add(n);
  }
}

/** Services: `update(previous, current)`; undefined previous = added, undefined current = deleted. */
export class ServiceChangeTracker extends Accumulator {

  /** Records the change; false when nothing the rules read changed. */
  update(previous: KubeObject | undefined, current: KubeObject | undefined): boolean {
    const obj = current ?? previous;
    if (!obj) return false;
    if (previous && current && serviceFacts(previous) === serviceFacts(current)) return false;
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name!;
    this.changed.add(key(obj));
    for (const o of [previous, current]) if (o) portNamesOf(ns, name, o.spec?.ports, this.names);
    return true;
  }

}

/** EndpointSlices, attributed to their service through the `kubernetes.io/service-name` label (old and new). */
export class EndpointsChangeTracker extends Accumulator {

  update(previous: KubeObject | undefined, current: KubeObject | undefined): boolean {
    if (!previous && !current) return false;
    if (previous && current && sliceFacts(previous) === sliceFacts(current)) return false;
    let any = false;
    for (const s of [previous, current]) {
      const svc = s && sliceService(s);
      if (!s || !svc) continue;
      const ns = s.metadata.namespace ?? '';
      this.changed.add(`${ns}/${svc}`);
      portNamesOf(ns, svc, s.ports, this.names);
      any = true;
    }
    return any;
  }

}

/** Both trackers plus node changes, as the proxy feeds them from its informers. */
export class ProxyChangeTracker {
  readonly services = new ServiceChangeTracker();
  readonly endpoints = new EndpointsChangeTracker();
  private nodesChanged = false;

  /** Node readiness decides LoadBalancer announcements; other node changes don't matter. */
  node(previous: KubeObject | undefined, current: KubeObject | undefined): boolean {
    const ready = (n: KubeObject | undefined) => JSON.stringify((n?.status?.conditions ?? []).filter((c: any) => c.type === 'Ready').map((c: any) => c.status));
    if (previous && current && ready(previous) === ready(current)) return false;
    this.nodesChanged = true;
    return true;
  }

  pending(): boolean {
    return this.services.pending() || this.endpoints.pending() || this.nodesChanged;
  }

  /** Everything that changed since the last take(), merged; starts over. */
  take(): ChangeSet {
    const s = this.services.take();
    const e = this.endpoints.take();
    const out: ChangeSet = { services: new Set([...s.services, ...e.services]), portNames: new Set([...s.portNames, ...e.portNames]), nodes: this.nodesChanged };
    this.nodesChanged = false;
    return out;
  }

  /** Put a taken set back (its sync failed), merged with what came since. */
  restore(c: ChangeSet): void {
    this.services.merge(c.services, c.portNames);
    if (c.nodes) this.nodesChanged = true;
  }
}

// What a Service's endpoints are, pure: the pods its selector picks, each
// with its IP, readiness and the target port of each service port resolved
// against the pod's own container ports (a named targetPort the pod does not
// declare leaves the pod out of that port, as podutil.FindPort). Two shapes
// come out of it: Endpoints subsets (RepackSubsets: addresses grouped by the
// ports they serve; ready in `addresses`, not ready in `notReadyAddresses`)
// and EndpointSlice groups (one group per distinct port list, conditions
// ready/serving/terminating).
import type { KubeObject } from '../../api/types.js';
import { selectorMapMatches } from '../../api/labels.js';
import { deepEqual } from '../../api/deep-equal.js';
import { isPodReady, isPodTerminal, podCondition } from '../pod-state.js';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_CONTROLLER = 'endpointslice-controller.k8s.io';
export const MIRROR_CONTROLLER = 'endpointslicemirroring-controller.k8s.io';
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const ENDPOINTS_MANAGED_BY = 'endpoints.kubernetes.io/managed-by';
export const ENDPOINTS_CONTROLLER = 'endpoint-controller';
export const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface TargetRef {
  kind: 'Pod';
  namespace: string;
  name: string;
  uid: string;
}

/** One pod as an endpoint of one Service. */
export interface PodEndpoint {
  ip: string;
  nodeName?: string;
  hostname?: string;
  targetRef: TargetRef;
  /** Pod Ready (or publishNotReadyAddresses). */
  ready: boolean;
  /** Pod Ready, whatever publishNotReadyAddresses says. */
  serving: boolean;
  terminating: boolean;
  /** The service ports this pod serves, with its own target port numbers. */
  ports: EndpointPort[];
}

/** The Service has a selector and is not ExternalName: its endpoints are the controller's to manage. */
export function managesEndpoints(svc: KubeObject): boolean {
  const sel = svc.spec?.selector;
  return svc.spec?.type !== 'ExternalName' && !!sel && Object.keys(sel).length > 0;
}

export const isHeadless = (svc: KubeObject) => svc.spec?.clusterIP === 'None';

/** podutil.FindPort: a numeric targetPort as is; a name looked up in the pod's container ports (same protocol). */
export function resolveTargetPort(svcPort: any, pod: KubeObject): number | undefined {
  const tp = svcPort.targetPort ?? svcPort.port;
  if (typeof tp === 'number') return tp;
  const protocol = svcPort.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** ShouldPodBeInEndpoints: has an IP, not terminal, and (unless terminating pods are wanted) not being deleted. */
export function podBelongs(pod: KubeObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

function endpointPorts(svc: KubeObject, pod: KubeObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = resolveTargetPort(sp, pod);
    if (port === undefined) continue;
    const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
    if (sp.name) ep.name = sp.name;
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** The Service's pods as endpoints. `includeTerminating`: EndpointSlices keep terminating pods, Endpoints do not. */
export function podEndpoints(svc: KubeObject, pods: KubeObject[], includeTerminating: boolean): PodEndpoint[] {
  const publish = !!svc.spec?.publishNotReadyAddresses;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace) continue;
    if (!selectorMapMatches(svc.spec?.selector, pod.metadata.labels)) continue;
    if (!podBelongs(pod, includeTerminating || publish)) continue;
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    const ep: PodEndpoint = {
      ip: pod.status?.podIP ?? pod.status.podIPs[0].ip,
      targetRef: { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! },
      ready: publish || (serving && !terminating),
      serving: publish || serving,
      terminating,
      ports: endpointPorts(svc, pod),
    };
    if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
    // ShouldSetHostname: the pod asked for a hostname under this (headless) Service's subdomain.
    if (pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name) ep.hostname = pod.spec.hostname;
    out.push(ep);
  }
  return out;
}

const ipCompare = (a: string, b: string) => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a < b ? -1 : a > b ? 1 : 0;
};

const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol}/${p.appProtocol ?? ''}`;
/** A port list's identity (order-free), as endpointsliceutil.NewPortMapKey. */
export const portListKey = (ports: EndpointPort[]) => ports.map(portKey).sort().join(',');

function address(ep: PodEndpoint): any {
  const a: any = { ip: ep.ip };
  if (ep.hostname) a.hostname = ep.hostname;
  if (ep.nodeName) a.nodeName = ep.nodeName;
  a.targetRef = { ...ep.targetRef };
  return a;
}

/**
 * Endpoints subsets, as the endpoints controller + RepackSubsets build them:
 * every (address, port) pair, then addresses grouped by the exact set of
 * ports they serve. A headless Service without ports gets its addresses with
 * no ports. Sorted (addresses by IP, ports by name) so equal inputs compare equal.
 */
export function endpointSubsets(svc: KubeObject, pods: KubeObject[]): any[] {
  const eps = podEndpoints(svc, pods, false);
  const noPorts = (svc.spec?.ports ?? []).length === 0;
  if (noPorts && !isHeadless(svc)) return [];
  // port set → (address ip+uid → {addr, ready})
  const byPorts = new Map<string, { ports: EndpointPort[]; addrs: Map<string, { a: any; ready: boolean }> }>();
  for (const ep of eps) {
    if (!noPorts && ep.ports.length === 0) continue;
    const key = noPorts ? '' : portListKey(ep.ports);
    let g = byPorts.get(key);
    if (!g) byPorts.set(key, (g = { ports: noPorts ? [] : ep.ports, addrs: new Map() }));
    g.addrs.set(`${ep.ip}/${ep.targetRef.uid}`, { a: address(ep), ready: ep.ready });
  }
  // RepackSubsets merges port groups that have the same addresses (and readiness).
  const bySameAddrs = new Map<string, { ports: EndpointPort[]; addrs: { a: any; ready: boolean }[] }>();
  for (const g of byPorts.values()) {
    const addrs = [...g.addrs.values()].sort((x, y) => ipCompare(x.a.ip, y.a.ip) || (x.a.targetRef.uid < y.a.targetRef.uid ? -1 : 1));
    const key = addrs.map((x) => `${x.a.ip}/${x.a.targetRef.uid}/${x.ready}`).join(',');
    const same = bySameAddrs.get(key);
    if (same) same.ports.push(...g.ports);
    else bySameAddrs.set(key, { ports: [...g.ports], addrs });
  }
  const subsets = [...bySameAddrs.values()].map((g) => {
    const ss: any = {};
    const ready = g.addrs.filter((x) => x.ready).map((x) => x.a);
    const notReady = g.addrs.filter((x) => !x.ready).map((x) => x.a);
    if (ready.length) ss.addresses = ready;
    if (notReady.length) ss.notReadyAddresses = notReady;
    if (g.ports.length) ss.ports = dedupePorts(g.ports).sort((a, b) => portKey(a).localeCompare(portKey(b)));
    return ss;
  });
  return subsets.sort((a, b) => {
    const fa = (a.addresses ?? a.notReadyAddresses)[0].ip;
    const fb = (b.addresses ?? b.notReadyAddresses)[0].ip;
    return ipCompare(fa, fb) || JSON.stringify(a.ports ?? []).localeCompare(JSON.stringify(b.ports ?? []));
  });
}

function dedupePorts(ports: EndpointPort[]): EndpointPort[] {
  return [...new Map(ports.map((p) => [portKey(p), p])).values()];
}

/**
 * The newest change behind the endpoints: the Service's creation or a pod's
 * Ready transition (the EndpointsTriggerTimeTracker's inputs), or undefined.
 */
export function lastChangeTriggerTime(svc: KubeObject, pods: KubeObject[]): string | undefined {
  let best = svc.metadata.creationTimestamp;
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !selectorMapMatches(svc.spec?.selector, pod.metadata.labels)) continue;
    const t = podCondition(pod, 'Ready')?.lastTransitionTime ?? pod.metadata.creationTimestamp;
    if (t && (!best || Date.parse(t) > Date.parse(best))) best = t;
  }
  return best;
}

/** The labels the endpoints controller gives an Endpoints object: the Service's, plus headless and managed-by. */
export function endpointsLabels(svc: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  labels[ENDPOINTS_MANAGED_BY] = ENDPOINTS_CONTROLLER;
  return labels;
}

/** A slice endpoint, as podToEndpoint writes it. */
export function sliceEndpoint(ep: PodEndpoint, zone?: string): any {
  const e: any = {
    addresses: [ep.ip],
    conditions: { ready: ep.ready, serving: ep.serving, terminating: ep.terminating },
  };
  if (ep.hostname) e.hostname = ep.hostname;
  if (ep.nodeName) e.nodeName = ep.nodeName;
  e.targetRef = { ...ep.targetRef };
  if (zone) e.zone = zone;
  return e;
}

export interface SliceGroup {
  ports: EndpointPort[];
  endpoints: any[];
}

/** Desired slice contents per distinct port list (pods lacking every port form a group with no ports, as Kubernetes does). */
export function sliceGroups(svc: KubeObject, pods: KubeObject[], zoneOf: (node: string) => string | undefined = () => undefined): Map<string, SliceGroup> {
  const groups = new Map<string, SliceGroup>();
  for (const ep of podEndpoints(svc, pods, true)) {
    const key = portListKey(ep.ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports: [...ep.ports].sort((a, b) => portKey(a).localeCompare(portKey(b))), endpoints: [] }));
    g.endpoints.push(sliceEndpoint(ep, ep.nodeName ? zoneOf(ep.nodeName) : undefined));
  }
  return groups;
}

/** Slice ports as the API shows them: `name` always present (possibly ""). */
export function slicePorts(ports: EndpointPort[]): any[] {
  return ports.map((p) => {
    const o: any = { name: p.name ?? '', port: p.port, protocol: p.protocol };
    if (p.appProtocol) o.appProtocol = p.appProtocol;
    return o;
  });
}

/** Key identifying an endpoint across syncs (the pod, else the address). */
export const endpointKey = (e: any) => e.targetRef?.uid ?? e.addresses?.[0];

export function sortEndpoints(eps: any[]): any[] {
  return [...eps].sort((a, b) => ipCompare(a.addresses[0], b.addresses[0]) || (endpointKey(a) < endpointKey(b) ? -1 : 1));
}

export interface SlicePlan {
  /** Existing slices to rewrite with new content (by name). */
  update: { name: string; ports: EndpointPort[]; endpoints: any[] }[];
  /** New slices to create. */
  create: { ports: EndpointPort[]; endpoints: any[] }[];
  /** Existing slices to delete (by name). */
  delete: string[];
}

/**
 * The reconciler's plan, simplified from Kubernetes' endpointslice
 * reconciler: endpoints stay in the slice that already holds them (updated in
 * place if they changed), new endpoints fill free room in slices with the
 * same ports before new slices are made, slices left empty are deleted,
 * and a Service with no endpoints keeps one empty placeholder slice.
 */
export function planSlices(existing: { name: string; ports: EndpointPort[]; endpoints: any[] }[], desired: Map<string, SliceGroup>, maxPerSlice = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const plan: SlicePlan = { update: [], create: [], delete: [] };
  const totalDesired = [...desired.values()].reduce((n, g) => n + g.endpoints.length, 0);
  const sorted = [...existing].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (totalDesired === 0) {
    const [keep, ...rest] = sorted;
    if (!keep) plan.create.push({ ports: [], endpoints: [] });
    else if (keep.ports.length || keep.endpoints.length) plan.update.push({ name: keep.name, ports: [], endpoints: [] });
    plan.delete.push(...rest.map((s) => s.name));
    return plan;
  }
  const byKey = new Map<string, typeof sorted>();
  for (const s of sorted) {
    const k = portListKey(s.ports);
    if (!desired.has(k)) {
      plan.delete.push(s.name);
      continue;
    }
    byKey.set(k, [...(byKey.get(k) ?? []), s]);
  }
  for (const [k, g] of desired) {
    const want = new Map(g.endpoints.map((e) => [endpointKey(e), e]));
    const slices = (byKey.get(k) ?? []).map((s) => {
      const kept = s.endpoints.filter((e) => want.has(endpointKey(e))).map((e) => want.get(endpointKey(e)));
      for (const e of kept) want.delete(endpointKey(e));
      const changed = kept.length !== s.endpoints.length || kept.some((e, i) => !deepEqual(e, s.endpoints[i])) || !deepEqual(slicePorts(s.ports), slicePorts(g.ports));
      return { name: s.name, endpoints: kept, changed };
    });
    const left = [...want.values()];
    // Fill slices already being rewritten first, then the others, then make new ones.
    for (const s of [...slices.filter((s) => s.changed), ...slices.filter((s) => !s.changed)]) {
      while (left.length && s.endpoints.length < maxPerSlice) {
        s.endpoints.push(left.shift());
        s.changed = true;
      }
    }
    for (const s of slices) {
      if (s.endpoints.length === 0) plan.delete.push(s.name);
      else if (s.changed) plan.update.push({ name: s.name, ports: g.ports, endpoints: sortEndpoints(s.endpoints) });
    }
    while (left.length) plan.create.push({ ports: g.ports, endpoints: sortEndpoints(left.splice(0, maxPerSlice)) });
  }
  return plan;
}

// The cluster as the page draws it (pure): nodes with their IP and Ready,
// the pods on each (phase, readiness, IP, owner), and Services with the pods
// their selector picks, flagged when the selector matches nothing or no
// endpoint is ready. Built from the informers' caches; the page gets it
// whole on each change (small clusters: a few kB).
import type { KubeObject } from '../api/types.js';

export interface NodeView {
  name: string;
  ip?: string;
  ready: boolean;
}

export interface PodView {
  /** `ns/name` */
  id: string;
  namespace: string;
  name: string;
  node?: string;
  phase: string;
  ready: boolean;
  ip?: string;
  /** `Kind/name` of the controller owner, e.g. ReplicaSet/web-5d9c7b. */
  owner?: string;
  terminating: boolean;
}

export interface ServiceView {
  id: string;
  namespace: string;
  name: string;
  type: string;
  clusterIP?: string;
  ports: string[];
  /** Pods (ids) the selector picks. */
  pods: string[];
  /** Pod IPs in the service's EndpointSlices that are ready. */
  readyEndpoints: number;
  /** A selector that picks no pod. */
  selectsNothing: boolean;
  /** A service that routes somewhere (not ExternalName) but has no ready endpoint. */
  noEndpoints: boolean;
  externalName?: string;
}

export interface ClusterView {
  nodes: NodeView[];
  pods: PodView[];
  services: ServiceView[];
}

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byName = <T extends { id?: string; name: string }>(a: T, b: T) => ((a.id ?? a.name) < (b.id ?? b.name) ? -1 : (a.id ?? a.name) > (b.id ?? b.name) ? 1 : 0);

export const nodeIP = (n: KubeObject): string | undefined => (n.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
const condition = (o: KubeObject, type: string) => (o.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');

export function nodeView(n: KubeObject): NodeView {
  return { name: n.metadata.name!, ip: nodeIP(n), ready: condition(n, 'Ready') };
}

export function podView(p: KubeObject): PodView {
  const owner = (p.metadata.ownerReferences ?? []).find((r: any) => r.controller) ?? p.metadata.ownerReferences?.[0];
  return {
    id: key(p),
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name!,
    node: p.spec?.nodeName || undefined,
    phase: p.status?.phase ?? 'Pending',
    ready: condition(p, 'Ready'),
    ip: p.status?.podIP || undefined,
    owner: owner ? `${owner.kind}/${owner.name}` : undefined,
    terminating: !!p.metadata.deletionTimestamp,
  };
}

/** Whether a service's equality selector picks a pod (a Service's selector is a plain map). */
export function selects(selector: Record<string, string> | undefined, pod: KubeObject): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function serviceView(svc: KubeObject, pods: KubeObject[], slices: KubeObject[]): ServiceView {
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  const selector: Record<string, string> | undefined = spec.selector;
  const picked = pods.filter((p) => p.metadata.namespace === svc.metadata.namespace && selects(selector, p)).map(key).sort();
  const own = slices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name);
  const ready = new Set<string>();
  for (const s of own) for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false && e.addresses?.[0]) ready.add(e.addresses[0]);
  const hasSelector = !!selector && Object.keys(selector).length > 0;
  return {
    id: key(svc),
    namespace: svc.metadata.namespace ?? '',
    name: svc.metadata.name!,
    type,
    clusterIP: spec.clusterIP || undefined,
    ports: (spec.ports ?? []).map((p: any) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`),
    pods: picked,
    readyEndpoints: ready.size,
    selectsNothing: hasSelector && picked.length === 0,
    noEndpoints: type !== 'ExternalName' && ready.size === 0,
    externalName: type === 'ExternalName' ? spec.externalName : undefined,
  };
}

/** The whole picture from the informers' lists. */
export function clusterView(nodes: KubeObject[], pods: KubeObject[], services: KubeObject[], slices: KubeObject[]): ClusterView {
  return {
    nodes: nodes.map(nodeView).sort(byName),
    pods: pods.map(podView).sort(byName),
    services: services.map((s) => serviceView(s, pods, slices)).sort(byName),
  };
}

// The EndpointSlice mirroring controller: a Service without a selector whose
// Endpoints the user wrote gets those addresses mirrored into slices
// (managed-by endpointslicemirroring-controller.k8s.io, owned by the
// Endpoints), so everything that reads slices (the proxy) sees them.
// Endpoints labelled endpointslice.kubernetes.io/skip-mirror are not
// mirrored. The `kubernetes` Service's Endpoints carry that label because in
// Kubernetes the apiserver writes its slice itself; mk8s' apiserver writes
// only the Endpoints, so this controller writes the `kubernetes` slice the
// way kube-apiserver's endpoint reconciler does (named `kubernetes`, label
// kubernetes.io/service-name only).
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { deepEqual } from '../../api/deep-equal.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, splitKey, type ControllerContext, type ReconcileResult } from '../controller.js';
import { kinds } from '../kinds.js';
import {
  ENDPOINTS_CONTROLLER,
  ENDPOINTS_MANAGED_BY,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  LABEL_SKIP_MIRROR,
  managesEndpoints,
  MIRROR_CONTROLLER,
  planSlices,
  portListKey,
  TRIGGER_TIME,
  type EndpointPort,
  type SliceGroup,
} from '../endpoints/desired.js';
import { applySlicePlan, SliceTracker, sliceView } from './apply.js';

/** Slice groups mirrored from Endpoints subsets: `addresses` ready, `notReadyAddresses` not (addressToEndpoint). */
export function mirroredGroups(ep: KubeObject): Map<string, SliceGroup> {
  const groups = new Map<string, SliceGroup>();
  for (const ss of ep.subsets ?? []) {
    const ports: EndpointPort[] = (ss.ports ?? []).map((p: any) => {
      const o: EndpointPort = { port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.name) o.name = p.name;
      if (p.appProtocol) o.appProtocol = p.appProtocol;
      return o;
    });
    const key = portListKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    for (const [list, ready] of [[ss.addresses ?? [], true], [ss.notReadyAddresses ?? [], false]] as const) {
      for (const a of list) {
        const e: any = { addresses: [a.ip], conditions: { ready } };
        if (a.hostname) e.hostname = a.hostname;
        if (a.nodeName) e.nodeName = a.nodeName;
        if (a.targetRef) e.targetRef = a.targetRef;
        if (!g.endpoints.some((x) => x.addresses[0] === a.ip)) g.endpoints.push(e);
      }
    }
  }
  return groups;
}

const ANNOTATIONS_NOT_MIRRORED = new Set(['kubectl.kubernetes.io/last-applied-configuration', TRIGGER_TIME]);

export class EndpointSliceMirroringController extends QueueController {
  private readonly services: Informer;
  private readonly endpoints: Informer;
  private readonly slices: Informer;
  private readonly tracker = new SliceTracker();

  constructor(ctx: ControllerContext) {
    super('endpointslicemirroring', ctx, { workers: 2 });
    this.services = ctx.informers.for(kinds.services);
    this.endpoints = ctx.informers.for(kinds.endpoints);
    this.slices = ctx.informers.for(kinds.endpointslices);
    const q = (o: KubeObject) => this.enqueue(o);
    this.services.on({ add: q, update: q, delete: q });
    this.endpoints.on({ add: q, update: q, delete: q });
    const svcKeyOf = (s: KubeObject) => `${s.metadata.namespace}/${s.metadata.labels?.[LABEL_SERVICE_NAME]}`;
    const ours = (s: KubeObject) => s.metadata.labels?.[LABEL_MANAGED_BY] === MIRROR_CONTROLLER || isApiserverSlice(s);
    this.slices.on({ add: (s) => ours(s) && this.queue.add(svcKeyOf(s)), update: (s) => ours(s) && this.queue.add(svcKeyOf(s)), delete: (s) => ours(s) && this.queue.add(svcKeyOf(s)) });
  }

  protected allKeys(): string[] {
    return [...new Set([...this.endpoints.list().map(objectKey), ...this.services.list().map(objectKey)])];
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    if (key === 'default/kubernetes') return this.syncKubernetesSlice();
    const svc = this.services.get(key);
    const ep = this.endpoints.get(key);
    const existing = this.slices
      .byIndex('label', `${LABEL_SERVICE_NAME}=${name}`)
      .filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.[LABEL_MANAGED_BY] === MIRROR_CONTROLLER);
    const mirror =
      svc && ep && !managesEndpoints(svc) && svc.spec?.type !== 'ExternalName' &&
      ep.metadata.labels?.[LABEL_SKIP_MIRROR] !== 'true' && ep.metadata.labels?.[ENDPOINTS_MANAGED_BY] !== ENDPOINTS_CONTROLLER;
    if (!mirror) {
      const stale = existing.map((s) => s.metadata.name!);
      if (stale.length) await applySlicePlan(this.client, this.log, this.tracker, key, { update: [], create: [], delete: stale }, existing, { namespace: namespace!, labels: {} }, () => true);
      return;
    }
    const current = existing.filter((s) => (s.metadata.ownerReferences ?? []).some((r) => r.uid === ep.metadata.uid));
    const foreign = existing.filter((s) => !current.includes(s));
    if (this.tracker.stale(key, current)) return { requeueAfterMs: 20 };
    const plan = planSlices(current.map(sliceView), mirroredGroups(ep));
    plan.delete.push(...foreign.map((s) => s.metadata.name!));
    const labels: Record<string, string> = { ...(ep.metadata.labels ?? {}), [LABEL_SERVICE_NAME]: name, [LABEL_MANAGED_BY]: MIRROR_CONTROLLER };
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(ep.metadata.annotations ?? {})) if (!ANNOTATIONS_NOT_MIRRORED.has(k)) annotations[k] = v as string;
    await applySlicePlan(
      this.client,
      this.log,
      this.tracker,
      key,
      plan,
      existing,
      {
        namespace: namespace!,
        generateName: `${name}-`,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name, uid: ep.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      (s) => deepEqual(s.metadata.labels ?? {}, labels) && deepEqual(s.metadata.annotations ?? {}, annotations),
    );
  }

  /** The `kubernetes` slice, as kube-apiserver's endpoint reconciler writes it. */
  private async syncKubernetesSlice(): Promise<ReconcileResult> {
    const ep = this.endpoints.get('default/kubernetes');
    if (!ep) return;
    const groups = mirroredGroups(ep);
    const group = [...groups.values()][0] ?? { ports: [], endpoints: [] };
    const cur = this.slices.get('default/kubernetes');
    const labels = { [LABEL_SERVICE_NAME]: 'kubernetes' };
    const existing = cur ? [cur] : [];
    if (this.tracker.stale('default/kubernetes', existing)) return { requeueAfterMs: 20 };
    const same = cur && deepEqual(sliceView(cur).endpoints, group.endpoints) && deepEqual(sliceView(cur).ports, group.ports) && deepEqual(cur.metadata.labels ?? {}, labels);
    if (same) return;
    const plan = cur ? { update: [{ name: 'kubernetes', ports: group.ports, endpoints: group.endpoints }], create: [], delete: [] } : { update: [], create: [{ ports: group.ports, endpoints: group.endpoints }], delete: [] };
    await applySlicePlan(this.client, this.log, this.tracker, 'default/kubernetes', plan, existing, { namespace: 'default', name: 'kubernetes', labels }, () => true);
  }
}

function isApiserverSlice(s: KubeObject): boolean {
  return s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes';
}

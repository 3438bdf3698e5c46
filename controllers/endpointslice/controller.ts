// The EndpointSlice controller: for each Service with a selector, slices
// named <svc>-<5 chars> holding its pods (terminating ones included, with
// conditions ready/serving/terminating), labelled kubernetes.io/service-name
// and managed-by endpointslice-controller.k8s.io, owned by the Service (so
// the garbage collector removes them with it).
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { deepEqual } from '../../api/deep-equal.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, splitKey, type ControllerContext, type ReconcileResult } from '../controller.js';
import { kinds } from '../kinds.js';
import { podEndpointView, servicesForPod } from '../endpoints/controller.js';
import {
  isHeadless,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  lastChangeTriggerTime,
  managesEndpoints,
  planSlices,
  SLICE_CONTROLLER,
  sliceGroups,
  TRIGGER_TIME,
} from '../endpoints/desired.js';
import { applySlicePlan, SliceTracker, sliceView } from './apply.js';

/** Labels of a Service's slices: the Service's own, plus service-name, managed-by and headless. */
export function sliceLabels(svc: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = SLICE_CONTROLLER;
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  return labels;
}

export class EndpointSliceController extends QueueController {
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly slices: Informer;
  private readonly nodes: Informer;
  private readonly tracker = new SliceTracker();

  constructor(ctx: ControllerContext) {
    super('endpointslice', ctx, { workers: 4 });
    this.services = ctx.informers.for(kinds.services);
    this.pods = ctx.informers.for(kinds.pods);
    this.slices = ctx.informers.for(kinds.endpointslices);
    this.nodes = ctx.informers.for(kinds.nodes);
    this.services.on({ add: (s) => this.enqueue(s), update: (s) => this.enqueue(s), delete: (s) => this.enqueue(s) });
    this.pods.on({
      add: (p) => servicesForPod(this.services, p, undefined, (s) => this.enqueue(s)),
      update: (p, old) => podEndpointView(p) !== podEndpointView(old) && servicesForPod(this.services, p, old, (s) => this.enqueue(s)),
      delete: (p) => servicesForPod(this.services, p, undefined, (s) => this.enqueue(s)),
    });
    const ours = (s: KubeObject) => s.metadata.labels?.[LABEL_MANAGED_BY] === SLICE_CONTROLLER;
    const svcKeyOf = (s: KubeObject) => `${s.metadata.namespace}/${s.metadata.labels?.[LABEL_SERVICE_NAME]}`;
    this.slices.on({
      add: (s) => ours(s) && this.queue.add(svcKeyOf(s)),
      update: (s) => ours(s) && this.queue.add(svcKeyOf(s)),
      delete: (s) => ours(s) && this.queue.add(svcKeyOf(s)),
    });
  }

  protected allKeys(): string[] {
    return this.services.list().map(objectKey);
  }

  private ownedSlices(namespace: string, name: string, uid: string | undefined): KubeObject[] {
    return this.slices
      .byIndex('label', `${LABEL_SERVICE_NAME}=${name}`)
      .filter((s) => s.metadata.namespace === namespace && s.metadata.labels?.[LABEL_MANAGED_BY] === SLICE_CONTROLLER && (!uid || (s.metadata.ownerReferences ?? []).some((r) => r.uid === uid)));
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(key);
    // A deleted Service's slices go with it through the garbage collector (ownerReference).
    if (!svc || !managesEndpoints(svc)) {
      this.tracker.forget(key);
      if (svc && !managesEndpoints(svc)) {
        const leftovers = this.ownedSlices(namespace!, name, svc.metadata.uid);
        if (leftovers.length) await applySlicePlan(this.client, this.log, this.tracker, key, { update: [], create: [], delete: leftovers.map((s) => s.metadata.name!) }, leftovers, { namespace: namespace!, labels: {} }, () => true);
      }
      return;
    }
    const existing = this.ownedSlices(namespace!, name, svc.metadata.uid);
    if (this.tracker.stale(key, existing)) return { requeueAfterMs: 20 };
    const pods = this.pods.list(namespace);
    const zoneOf = (node: string) => this.nodes.get(node)?.metadata.labels?.['topology.kubernetes.io/zone'];
    const plan = planSlices(existing.map(sliceView), sliceGroups(svc, pods, zoneOf));
    const labels = sliceLabels(svc);
    const trigger = lastChangeTriggerTime(svc, pods);
    const changing = plan.update.length + plan.create.length + plan.delete.length > 0;
    const annotations = (s?: KubeObject) => {
      const a: Record<string, string> = { ...(s?.metadata.annotations ?? {}) };
      if (trigger && changing) a[TRIGGER_TIME] = trigger;
      return a;
    };
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
        annotations: annotations(existing[0]),
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      (s) => deepEqual(s.metadata.labels ?? {}, labels),
    );
  }
}

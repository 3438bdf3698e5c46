// The Endpoints controller: for each Service with a selector, an Endpoints
// object of the same name listing its pods (ready ones in `addresses`, the
// others in `notReadyAddresses`), rewritten whenever a member pod's IP,
// readiness or labels change. Endpoints of Services without a selector are
// the user's and are never touched; ours carry the managed-by label, and
// only those are deleted with their Service.
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { deepEqual } from '../../api/deep-equal.js';
import { isApiError } from '../../api/status.js';
import { selectorMapMatches } from '../../api/labels.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, splitKey, type ControllerContext, type ReconcileResult } from '../controller.js';
import { kinds } from '../kinds.js';
import { isPodReady } from '../pod-state.js';
import { ENDPOINTS_CONTROLLER, ENDPOINTS_MANAGED_BY, endpointSubsets, endpointsLabels, lastChangeTriggerTime, managesEndpoints, TRIGGER_TIME } from './desired.js';

/** What about a pod can change a Service's endpoints (podEndpointsChanged). */
export function podEndpointView(p: KubeObject): string {
  return JSON.stringify([p.status?.podIP, isPodReady(p), !!p.metadata.deletionTimestamp, p.status?.phase, p.spec?.nodeName, p.spec?.hostname, p.spec?.subdomain, p.metadata.labels]);
}

/** Queue the Services (in `enqueue`) whose selector matches the pod now or before. */
export function servicesForPod(services: Informer, pod: KubeObject, old: KubeObject | undefined, enqueue: (svc: KubeObject) => void): void {
  for (const svc of services.list(pod.metadata.namespace)) {
    const sel = svc.spec?.selector;
    if (selectorMapMatches(sel, pod.metadata.labels) || (old && selectorMapMatches(sel, old.metadata.labels))) enqueue(svc);
  }
}

export class EndpointsController extends QueueController {
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly endpoints: Informer;

  constructor(ctx: ControllerContext) {
    super('endpoints', ctx, { workers: 4 });
    this.services = ctx.informers.for(kinds.services);
    this.pods = ctx.informers.for(kinds.pods);
    this.endpoints = ctx.informers.for(kinds.endpoints);
    this.services.on({ add: (s) => this.enqueue(s), update: (s) => this.enqueue(s), delete: (s) => this.enqueue(s) });
    this.pods.on({
      add: (p) => servicesForPod(this.services, p, undefined, (s) => this.enqueue(s)),
      update: (p, old) => podEndpointView(p) !== podEndpointView(old) && servicesForPod(this.services, p, old, (s) => this.enqueue(s)),
      delete: (p) => servicesForPod(this.services, p, undefined, (s) => this.enqueue(s)),
    });
    // Someone edited or deleted an Endpoints we manage: put it back.
    const mine = (e: KubeObject) => e.metadata.labels?.[ENDPOINTS_MANAGED_BY] === ENDPOINTS_CONTROLLER;
    this.endpoints.on({ update: (e) => mine(e) && this.enqueue(e), delete: (e) => mine(e) && this.enqueue(e) });
  }

  protected allKeys(): string[] {
    // Leftover Endpoints of deleted Services are checked too (checkLeftoverEndpoints).
    return [...new Set([...this.services.list().map(objectKey), ...this.endpoints.list().map(objectKey)])];
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.get(key);
    const cur = this.endpoints.get(key);
    if (!svc) {
      if (cur && cur.metadata.labels?.[ENDPOINTS_MANAGED_BY] === ENDPOINTS_CONTROLLER) {
        try {
          await this.client.delete(kinds.endpoints, namespace, name, { preconditions: { uid: cur.metadata.uid } });
          this.log.info({ object: key }, 'deleted endpoints of deleted service');
        } catch (e) {
          if (!(isApiError(e) && e.code === 404)) throw e;
        }
      }
      return;
    }
    if (!managesEndpoints(svc)) return;
    const pods = this.pods.list(namespace);
    const subsets = endpointSubsets(svc, pods);
    const labels = endpointsLabels(svc);
    if (cur && deepEqual(cur.subsets ?? [], subsets) && deepEqual(cur.metadata.labels ?? {}, labels)) return;
    const annotations: Record<string, string> = { ...(cur?.metadata.annotations ?? {}) };
    const trigger = lastChangeTriggerTime(svc, pods);
    if (trigger) annotations[TRIGGER_TIME] = trigger;
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name, namespace, labels, annotations },
    };
    if (subsets.length) body.subsets = subsets;
    if (cur) {
      body.metadata.resourceVersion = cur.metadata.resourceVersion;
      body.metadata.uid = cur.metadata.uid;
      await this.client.update(kinds.endpoints, body);
    } else {
      await this.client.create(kinds.endpoints, namespace, body);
    }
    const count = (k: string) => subsets.reduce((n: number, s: any) => n + (s[k]?.length ?? 0), 0);
    this.log.info({ object: key, ready: count('addresses'), notReady: count('notReadyAddresses') }, 'endpoints updated');
  }
}

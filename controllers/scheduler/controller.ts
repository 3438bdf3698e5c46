// The scheduler: every pod without spec.nodeName (and for the default
// scheduler) gets a node through pods/binding. Like kube-scheduler, a
// decision is "assumed" in memory the moment it is taken, so the next pod
// counts it before the informer has seen the binding; pods that fit nowhere
// get a FailedScheduling event and the PodScheduled=False condition, and are
// retried when a node changes (or after a while).
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import type { Informer } from '../../client/informer.js';
import { resourcePath } from '../../client/http.js';
import { QueueController, splitKey, type ControllerContext, type ReconcileResult } from '../controller.js';
import type { Recorder } from '../../client/events.js';
import { timestamp } from '../../client/events.js';
import { kinds } from '../kinds.js';
import { isPodTerminal, podCondition } from '../pod-state.js';
import { schedule } from './desired.js';

const UNSCHEDULABLE_RETRY_MS = 30_000;

function needsScheduling(pod: KubeObject): boolean {
  const s = pod.spec ?? {};
  return !s.nodeName && (!s.schedulerName || s.schedulerName === 'default-scheduler') && !pod.metadata.deletionTimestamp && !isPodTerminal(pod);
}

/** What about a node matters to a pending pod. */
function schedulingView(n: KubeObject): string {
  const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
  return JSON.stringify([ready, n.spec?.unschedulable, n.spec?.taints, n.metadata.labels, n.status?.allocatable?.pods]);
}

export class Scheduler extends QueueController {
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly recorder: Recorder;
  /** Pods bound (or being bound) that the informer does not show bound yet: key → node. */
  private readonly assumed = new Map<string, { node: string; pod: KubeObject }>();

  constructor(ctx: ControllerContext) {
    super('scheduler', ctx, { workers: 16 });
    this.recorder = ctx.events.for('default-scheduler');
    this.pods = ctx.informers.for(kinds.pods);
    this.nodes = ctx.informers.for(kinds.nodes);
    this.pods.on({
      add: (p) => needsScheduling(p) && this.enqueue(p),
      update: (p) => {
        if (p.spec?.nodeName) this.assumed.delete(objectKey(p));
        else if (needsScheduling(p)) this.enqueue(p);
      },
      delete: (p) => this.assumed.delete(objectKey(p)),
    });
    this.nodes.on({
      add: () => this.requeuePending(),
      update: (n, old) => schedulingView(n) !== schedulingView(old) && this.requeuePending(),
    });
  }

  protected allKeys(): string[] {
    return this.pods.list().filter(needsScheduling).map(objectKey);
  }

  private requeuePending(): void {
    for (const k of this.allKeys()) this.queue.add(k);
  }

  /** The node's pods that count for placement: bound ones from the cache plus assumed ones. */
  private podsOn(node: string): KubeObject[] {
    const out = this.pods.byIndex('node', node).filter((p) => !isPodTerminal(p) && !p.metadata.deletionTimestamp);
    for (const a of this.assumed.values()) if (a.node === node) out.push(a.pod);
    return out;
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const pod = this.pods.get(key);
    if (!pod || !needsScheduling(pod) || this.assumed.has(key)) return;
    const nodes = this.nodes.list();
    const decision = schedule(pod, nodes, (n) => this.podsOn(n));
    if (!decision.node) {
      await this.markUnschedulable(pod, decision.message!);
      return { requeueAfterMs: UNSCHEDULABLE_RETRY_MS };
    }
    const node = decision.node;
    this.assumed.set(key, { node, pod });
    const { namespace, name } = splitKey(key);
    try {
      await this.client.request('POST', resourcePath(kinds.pods, namespace, name, 'binding'), {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
    } catch (e) {
      this.assumed.delete(key);
      // Already bound or being deleted (409), or gone (404): nothing left to do for this pod.
      if (isApiError(e) && (e.code === 409 || e.code === 404)) {
        this.log.debug({ pod: key, err: e.message }, 'binding refused');
        return;
      }
      throw e;
    }
    this.log.info({ pod: key, node }, 'pod bound');
    this.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`);
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    this.log.info({ pod: objectKey(pod), reason: message }, 'pod unschedulable');
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    const cond = podCondition(pod, 'PodScheduled');
    if (cond?.status === 'False' && cond.reason === 'Unschedulable' && cond.message === message) return;
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: cond?.status === 'False' ? cond.lastTransitionTime : timestamp() };
    try {
      await this.client.patch(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status: { conditions: [condition] } }, 'application/strategic-merge-patch+json', 'status');
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}

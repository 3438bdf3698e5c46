// The node lifecycle controller. Kubelets renew a Lease in kube-node-lease
// (name = node name); the controller notes, by its own clock, when it last
// saw each node's lease (or Ready heartbeat) change. Past the grace period it
// marks the node Unknown, taints it unreachable, marks its pods not Ready (so
// endpoints drop them) and, after the eviction timeout, force-deletes them so
// their owners recreate them elsewhere. A lease renewed again brings back the
// Ready condition it had taken away. Taints follow Ready in both directions.
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { clone, deepEqual } from '../../api/deep-equal.js';
import { isApiError } from '../../api/status.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext, type ReconcileResult } from '../controller.js';
import type { Recorder } from '../../client/events.js';
import { timestamp } from '../../client/events.js';
import { kinds } from '../kinds.js';
import { isPodReady } from '../pod-state.js';
import { desiredTaints, podsToEvict, readyCondition, recoveredConditions, staleConditions } from './desired.js';

const LEASE_NAMESPACE = 'kube-node-lease';
/** The work item for pods bound to nodes that no longer exist (node names cannot contain ':'). */
const PODGC = 'podgc:orphaned';

export class NodeLifecycleController extends QueueController {
  private readonly nodes: Informer;
  private readonly leases: Informer;
  private readonly pods: Informer;
  private readonly recorder: Recorder;
  /** node → when (our clock) its heartbeat last changed. */
  private readonly probes = new Map<string, { at: number; beat: string }>();
  private ticker: NodeJS.Timeout | undefined;
  /** Pod key → when we first saw it bound to a node that does not exist. */
  private readonly missingNodeSince = new Map<string, number>();
  /** node → when (exactly) we added its unreachable NoExecute taint. */
  private readonly taintedAt = new Map<string, number>();
  private readonly graceMs: number;
  private readonly evictionMs: number;

  constructor(ctx: ControllerContext) {
    super('nodelifecycle', ctx, { workers: 2 });
    this.recorder = ctx.events.for('node-controller');
    this.graceMs = ctx.options.nodeMonitorGracePeriodSeconds * 1000;
    this.evictionMs = ctx.options.podEvictionTimeoutSeconds * 1000;
    this.nodes = ctx.informers.for(kinds.nodes);
    this.leases = ctx.informers.for(kinds.leases);
    this.pods = ctx.informers.for(kinds.pods);
    this.nodes.on({ add: (n) => this.enqueue(n), update: (n) => this.enqueue(n), delete: (n) => {
        this.probes.delete(n.metadata.name!);
        this.taintedAt.delete(n.metadata.name!);
      } });
    const leaseNode = (l: KubeObject) => l.metadata.namespace === LEASE_NAMESPACE && this.queue.add(l.metadata.name!);
    this.leases.on({ add: leaseNode, update: leaseNode });
  }

  override start(): void {
    super.start();
    // nodeMonitorPeriod: look at every node regularly, whatever the watches say.
    const period = Math.max(200, Math.min(5000, this.graceMs / 4));
    this.ticker = setInterval(() => {
      for (const k of this.allKeys()) this.queue.add(k);
    }, period);
    this.ticker.unref?.();
  }

  override async stop(): Promise<void> {
    clearInterval(this.ticker);
    await super.stop();
  }

  protected allKeys(): string[] {
    return [...this.nodes.list().map((n) => n.metadata.name!), PODGC];
  }

  /** The node's heartbeat: its lease's renewTime, and the kubelet's Ready heartbeat. */
  private heartbeat(node: KubeObject): string {
    const lease = this.leases.get(`${LEASE_NAMESPACE}/${node.metadata.name}`);
    return `${lease?.spec?.renewTime ?? ''}|${readyCondition(node)?.lastHeartbeatTime ?? ''}`;
  }

  /** When we last saw the heartbeat move; first sight counts as a beat (the grace period starts with us). */
  private lastProbe(node: KubeObject, now: number): number {
    const beat = this.heartbeat(node);
    const p = this.probes.get(node.metadata.name!);
    if (!p || p.beat !== beat) {
      this.probes.set(node.metadata.name!, { at: now, beat });
      return now;
    }
    return p.at;
  }

  protected async reconcile(name: string): Promise<ReconcileResult> {
    if (name === PODGC) return this.gcOrphanedPods();
    let node = this.nodes.get(name);
    if (!node) return;
    const now = Date.now();
    const probe = this.lastProbe(node, now);
    const stale = now - probe > this.graceMs;
    const wasReady = readyCondition(node)?.status;

    const conditions = stale ? staleConditions(node, now) : recoveredConditions(node, now);
    if (conditions) {
      node = await this.client.update(kinds.nodes, { ...node, status: { ...node.status, conditions } }, 'status');
      const nowReady = readyCondition(node!)?.status;
      if (nowReady !== wasReady) {
        const status = nowReady === 'True' ? 'NodeReady' : 'NodeNotReady';
        this.log.info({ object: name, ready: nowReady, sinceHeartbeatMs: now - probe }, stale ? 'node stopped posting status' : 'node heartbeat back');
        this.recorder.event(node!, 'Normal', status, `Node ${name} status is now: ${status}`);
      }
    }
    // While the node is unreachable, its pods are not Ready (retried every pass until it holds).
    if (stale && readyCondition(node!)?.status === 'Unknown') await this.markPodsNotReady(name);

    const taints = desiredTaints(node!, now);
    if (taints) {
      const copy = clone(node!);
      copy.spec = { ...(copy.spec ?? {}), taints };
      if (taints.length === 0) delete copy.spec.taints;
      node = await this.client.update(kinds.nodes, copy);
      if (taints.some((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute')) {
        if (!this.taintedAt.has(name)) this.taintedAt.set(name, now);
      } else this.taintedAt.delete(name);
      this.log.info({ object: name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
    }

    let nextInMs: number | undefined;
    if (readyCondition(node!)?.status === 'Unknown') {
      const pods = this.pods.byIndex('node', name).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
      const plan = podsToEvict(node!, pods, now, this.evictionMs, this.taintedAt.get(name));
      for (const pod of plan.evict) await this.evict(pod);
      nextInMs = plan.nextInMs;
    } else if (!stale) {
      nextInMs = probe + this.graceMs - now + 10;
    }
    return nextInMs !== undefined ? { requeueAfterMs: Math.max(10, nextInMs) } : undefined;
  }

  /**
   * PodGC's gcOrphaned: a pod bound to a node that is gone (`kubectl delete
   * node`) has no kubelet to finish it; after a quarantine (the grace period)
   * it is force-deleted so its owner replaces it.
   */
  private async gcOrphanedPods(): Promise<ReconcileResult> {
    const now = Date.now();
    const seen = new Set<string>();
    for (const pod of this.pods.list()) {
      const node = pod.spec?.nodeName;
      if (!node || this.nodes.get(node)) continue;
      const key = objectKey(pod);
      seen.add(key);
      const since = this.missingNodeSince.get(key) ?? now;
      this.missingNodeSince.set(key, since);
      if (now - since < this.graceMs) continue;
      try {
        await this.client.delete(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
        this.log.info({ object: key, node }, 'deleted pod bound to a node that no longer exists');
      } catch (e) {
        if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
    for (const k of this.missingNodeSince.keys()) if (!seen.has(k)) this.missingNodeSince.delete(k);
  }

  /** MarkPodsNotReady: the kubelet cannot say any more, so its pods' Ready becomes False. */
  private async markPodsNotReady(node: string): Promise<void> {
    for (const pod of this.pods.byIndex('node', node)) {
      if (!isPodReady(pod)) continue;
      const conditions = (pod.status?.conditions ?? []).map((c: any) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: timestamp() } : c));
      if (deepEqual(conditions, pod.status?.conditions)) continue;
      try {
        await this.client.patch(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status: { conditions } }, 'application/strategic-merge-patch+json', 'status');
        this.log.info({ object: objectKey(pod), node }, 'pod marked not ready (node unreachable)');
        this.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }

  /** Taint-based eviction: the kubelet is gone, so the pod is deleted at once (grace 0). */
  private async evict(pod: KubeObject): Promise<void> {
    try {
      await this.client.delete(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      this.log.info({ object: objectKey(pod), node: pod.spec?.nodeName }, 'pod evicted');
      this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${objectKey(pod)}`);
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}

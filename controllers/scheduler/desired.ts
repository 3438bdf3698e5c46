// The scheduler's decisions, pure: which nodes a pod fits (the filters of
// kube-scheduler's default profile that matter here, in its order:
// NodeUnschedulable, TaintToleration, NodeAffinity, pod count), which one it
// goes to (fewest replicas of the same owner, then fewest pods — a simple
// PodTopologySpread), and the FailedScheduling message when none fits.
import type { KubeObject } from '../../api/types.js';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
    case '':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): Toleration | undefined {
  return (tolerations ?? []).find((t) => toleratesTaint(t, taint));
}

/** Status of the node's Ready condition; a node that never reported is not ready. */
export function nodeReadyStatus(node: KubeObject): 'True' | 'False' | 'Unknown' {
  const c = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
  return c?.status === 'True' ? 'True' : c?.status === 'Unknown' ? 'Unknown' : 'False';
}

/**
 * The node's taints, plus the NoSchedule taint the node lifecycle controller
 * puts on a node that is not Ready (TaintNodesByCondition), in case it is not
 * there yet: a pod never lands on a NotReady node unless it tolerates that.
 */
export function schedulingTaints(node: KubeObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = nodeReadyStatus(node);
  const implied = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
  if (implied && !taints.some((t) => t.key === implied && t.effect === 'NoSchedule')) taints.push({ key: implied, effect: 'NoSchedule' });
  return taints;
}

function requirementMatches(expr: { key: string; operator: string; values?: string[] }, get: (k: string) => string | undefined): boolean {
  const v = get(expr.key);
  const values = expr.values ?? [];
  switch (expr.operator) {
    case 'In':
      return v !== undefined && values.includes(v);
    case 'NotIn':
      return v === undefined || !values.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
    case 'Lt': {
      const n = Number(v);
      const bound = Number(values[0]);
      if (v === undefined || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return expr.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function matchesNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  const labels: Record<string, string> = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return true;
  const label = (k: string) => (Object.prototype.hasOwnProperty.call(labels, k) ? labels[k] : undefined);
  const field = (k: string) => (k === 'metadata.name' ? node.metadata.name : undefined);
  return terms.some((term: any) => {
    const exprs = term?.matchExpressions ?? [];
    const fields = term?.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((e: any) => requirementMatches(e, label)) && fields.every((e: any) => requirementMatches(e, field));
  });
}

/** Why the pod does not fit the node (the first failing filter's reason), or undefined when it fits. */
export function unfitReason(pod: KubeObject, node: KubeObject, podsOnNode: number): string | undefined {
  const tolerations: Toleration[] = pod.spec?.tolerations ?? [];
  if (node.spec?.unschedulable && !tolerates(tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) {
    return 'node(s) were unschedulable';
  }
  const taint = schedulingTaints(node).find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t),
  );
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (!matchesNodeAffinity(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  const maxPods = Number(node.status?.allocatable?.pods);
  if (Number.isFinite(maxPods) && maxPods > 0 && podsOnNode >= maxPods) return 'Too many pods';
  return undefined;
}

export interface NodeLoad {
  name: string;
  /** Pods on the node (bound or assumed), all owners. */
  pods: number;
  /** Pods on the node with the same controlling owner as the pod being placed. */
  ownerPods: number;
}

/** Spread: fewest pods of the same owner, then fewest pods, then name (stable). */
export function pickNode(loads: NodeLoad[]): string | undefined {
  const sorted = [...loads].sort((a, b) => a.ownerPods - b.ownerPods || a.pods - b.pods || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted[0]?.name;
}

/**
 * framework.FitError's message: `0/3 nodes are available: 1 node(s) were
 * unschedulable, 2 node(s) had untolerated taint {…}. preemption: …`, reasons
 * counted and sorted; with no nodes at all, ErrNoNodesAvailable's text.
 */
export function failedSchedulingMessage(totalNodes: number, reasons: string[]): string {
  if (totalNodes === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${totalNodes} nodes are available: ${parts.join(', ')}. preemption: 0/${totalNodes} nodes are available: ${totalNodes} Preemption is not helpful for scheduling.`;
}

export interface Decision {
  node?: string;
  /** Set when no node fits. */
  message?: string;
}

/** The whole choice for one pod. `podsOn` gives the node's pods (bound and assumed). */
export function schedule(pod: KubeObject, nodes: KubeObject[], podsOn: (node: string) => KubeObject[]): Decision {
  const owner = (pod.metadata.ownerReferences ?? []).find((r) => r.controller)?.uid;
  const reasons: string[] = [];
  const loads: NodeLoad[] = [];
  for (const node of nodes) {
    const pods = podsOn(node.metadata.name!);
    const why = unfitReason(pod, node, pods.length);
    if (why) {
      reasons.push(why);
      continue;
    }
    const ownerPods = owner ? pods.filter((p) => (p.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner)).length : 0;
    loads.push({ name: node.metadata.name!, pods: pods.length, ownerPods });
  }
  const node = pickNode(loads);
  return node ? { node } : { message: failedSchedulingMessage(nodes.length, reasons) };
}

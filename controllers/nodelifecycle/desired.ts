// Node lifecycle decisions, pure, after Kubernetes' node lifecycle
// controller: a node whose kubelet stopped renewing its Lease for the grace
// period is Ready=Unknown ("Kubelet stopped posting node status."), tainted
// unreachable (NoSchedule + NoExecute), and its pods are evicted once the
// NoExecute taint is older than the eviction timeout (or the pod's own
// tolerationSeconds). Taints follow the Ready condition both ways.
import type { KubeObject } from '../../api/types.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE, tolerates, type Taint } from '../scheduler/desired.js';

export const REASON_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_UNKNOWN = 'Kubelet stopped posting node status.';
export const REASON_NEVER = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER = 'Kubelet never posted node status.';

const ts = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function readyCondition(node: KubeObject): any | undefined {
  return (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
}

/**
 * The conditions after the kubelet went quiet: every condition Unknown with
 * NodeStatusUnknown (Ready added if the kubelet never posted one), or
 * undefined when that is already so.
 */
export function staleConditions(node: KubeObject, nowMs: number): any[] | undefined {
  const conds: any[] = (node.status?.conditions ?? []).map((c: any) => ({ ...c }));
  let changed = false;
  if (!conds.some((c) => c.type === 'Ready')) {
    conds.push({ type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: ts(nowMs), reason: REASON_NEVER, message: MESSAGE_NEVER });
    changed = true;
  }
  for (const c of conds) {
    if (c.status === 'Unknown') continue;
    c.status = 'Unknown';
    c.reason = REASON_UNKNOWN;
    c.message = MESSAGE_UNKNOWN;
    c.lastTransitionTime = ts(nowMs);
    changed = true;
  }
  return changed ? conds : undefined;
}

const kubeletReasons: Record<string, [string, string, string]> = {
  Ready: ['True', 'KubeletReady', 'kubelet is posting ready status'],
  MemoryPressure: ['False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  DiskPressure: ['False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  PIDPressure: ['False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
};

/**
 * The heartbeat is back but the conditions still say what we wrote when it
 * stopped: put back what the kubelet reports when healthy. Conditions the
 * kubelet itself wrote are left alone (undefined: nothing to do).
 */
export function recoveredConditions(node: KubeObject, nowMs: number): any[] | undefined {
  const conds: any[] = (node.status?.conditions ?? []).map((c: any) => ({ ...c }));
  let changed = false;
  for (const c of conds) {
    if (c.status !== 'Unknown' || (c.reason !== REASON_UNKNOWN && c.reason !== REASON_NEVER)) continue;
    const k = kubeletReasons[c.type];
    if (!k) continue;
    [c.status, c.reason, c.message] = k;
    c.lastTransitionTime = ts(nowMs);
    c.lastHeartbeatTime = ts(nowMs);
    changed = true;
  }
  return changed ? conds : undefined;
}

/**
 * The taints the Ready condition calls for (TaintNodesByCondition + taint
 * based evictions): not-ready when False, unreachable when Unknown, neither
 * when True; other taints kept; existing ones keep their timeAdded. Undefined
 * when nothing changes.
 */
export function desiredTaints(node: KubeObject, nowMs: number): Taint[] | undefined {
  // No Ready condition yet (a node registering) counts as not ready, as the kubelet's registration taint.
  const status = readyCondition(node)?.status ?? 'False';
  const current: Taint[] = node.spec?.taints ?? [];
  const want = status === 'True' ? undefined : status === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
  const ours = (t: Taint) => t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE;
  const next: Taint[] = current.filter((t) => !ours(t) || (t.key === want && (t.effect === 'NoSchedule' || t.effect === 'NoExecute')));
  if (want) {
    if (!next.some((t) => t.key === want && t.effect === 'NoSchedule')) next.push({ key: want, effect: 'NoSchedule' });
    if (!next.some((t) => t.key === want && t.effect === 'NoExecute')) next.push({ key: want, effect: 'NoExecute', timeAdded: ts(nowMs) });
  }
  const same = next.length === current.length && next.every((t, i) => t === current[i]);
  return same ? undefined : next;
}

/**
 * Pods to evict from a node with an unreachable NoExecute taint: those that
 * do not tolerate it once the taint is `evictionTimeoutMs` old, those that
 * tolerate it for tolerationSeconds once that has passed; pods tolerating it
 * forever stay. Also returns when the next pod is due (ms from now).
 */
export function podsToEvict(node: KubeObject, pods: KubeObject[], nowMs: number, evictionTimeoutMs: number, taintedAtMs?: number): { evict: KubeObject[]; nextInMs?: number } {
  const taint = (node.spec?.taints ?? []).find((t: Taint) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute');
  if (!taint) return { evict: [] };
  // timeAdded has second precision; when we know the exact moment (we added it), that counts.
  const since = Math.max(Date.parse(taint.timeAdded ?? '') || nowMs, taintedAtMs ?? 0);
  const evict: KubeObject[] = [];
  let nextInMs: number | undefined;
  for (const pod of pods) {
    const tol = tolerates(pod.spec?.tolerations, taint);
    if (tol && (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null)) continue;
    const due = since + (tol ? Math.max(0, tol.tolerationSeconds!) * 1000 : evictionTimeoutMs);
    if (due <= nowMs) evict.push(pod);
    else nextInMs = Math.min(nextInMs ?? Infinity, due - nowMs);
  }
  return { evict, nextInMs };
}

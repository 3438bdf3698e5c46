// What a ReplicaSet (or ReplicationController) controller decides, pure:
// which pods it owns, adopts or releases (ClaimPods), how many to create or
// which to delete (getPodsToDelete's ranking), and its status.
import type { KubeObject } from '../../api/types.js';
import { claimObjects, controllerRefFor, type Claim, type LabelMatcher } from '../ownership.js';
import { clone } from '../../api/deep-equal.js';
import { matchesMap, matchesSelector, selectorFromLabelSelector } from '../../api/labels.js';
import { isPodActive, isPodReady, podAvailability, podCondition } from '../pod-state.js';

export type { Claim, LabelMatcher };

/** The owner's selector as a matcher: a LabelSelector (apps/v1) or a map (ReplicationController). */
export function selectorOf(owner: KubeObject): LabelMatcher {
  if (owner.kind === 'ReplicationController') {
    const sel = owner.spec?.selector;
    // An RC's empty selector selects nothing (defaulting fills it from the template).
    if (!sel || Object.keys(sel).length === 0) return () => false;
    return (labels) => matchesMap(sel, labels);
  }
  let sel: ReturnType<typeof selectorFromLabelSelector>;
  try {
    sel = selectorFromLabelSelector(owner.spec?.selector);
  } catch {
    return () => false;
  }
  return (labels) => matchesSelector(sel, labels);
}

/** ClaimPods: ClaimObject over the active pods (FilterActivePods first, as the ReplicaSet controller). */
export function claimPods(owner: KubeObject, pods: KubeObject[], matches: LabelMatcher = selectorOf(owner)): Claim {
  return claimObjects(owner, pods.filter(isPodActive), matches);
}

/** How many pods to create (positive) or delete (negative), capped at burstReplicas (500). */
export function replicaDiff(replicas: number, active: number, burst = 500): number {
  const diff = replicas - active;
  return Math.max(-burst, Math.min(burst, diff));
}

/** slowStartBatch's batch sizes: 1, 2, 4, … summing to n. */
export function slowStartBatches(n: number, initial = 1): number[] {
  const out: number[] = [];
  for (let left = n, size = initial; left > 0; size *= 2) {
    const b = Math.min(size, left);
    out.push(b);
    left -= b;
  }
  return out;
}

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function restarts(pod: KubeObject): number {
  return (pod.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0);
}

/**
 * Which pods to delete first, as ActivePodsWithRanks: unassigned before
 * assigned, Pending before Unknown before Running, not ready before ready,
 * more replicas on the same node before fewer, ready more recently before
 * longer, more restarts before fewer, newer before older.
 */
export function podsToDelete(pods: KubeObject[], n: number): KubeObject[] {
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: KubeObject) => (p.spec?.nodeName ? perNode.get(p.spec.nodeName) ?? 0 : 0);
  const time = (s: string | undefined) => (s ? Date.parse(s) : 0);
  const sorted = [...pods].sort((a, b) => {
    const ua = a.spec?.nodeName ? 1 : 0;
    const ub = b.spec?.nodeName ? 1 : 0;
    if (ua !== ub) return ua - ub;
    const pa = phaseOrdinal[a.status?.phase] ?? 0;
    const pb = phaseOrdinal[b.status?.phase] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ra && rb) {
      const ta = time(podCondition(a, 'Ready')?.lastTransitionTime);
      const tb = time(podCondition(b, 'Ready')?.lastTransitionTime);
      if (ta !== tb) return tb - ta;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = time(a.metadata.creationTimestamp);
    const cb = time(b.metadata.creationTimestamp);
    if (ca !== cb) return cb - ca;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
  });
  return sorted.slice(0, Math.max(0, n));
}

/** GetPodFromTemplate: the pod a controller creates (the apiserver completes the name from generateName). */
export function podFromTemplate(owner: KubeObject): KubeObject {
  const t = owner.spec?.template ?? {};
  const meta: Record<string, unknown> = {
    generateName: `${owner.metadata.name}-`,
    namespace: owner.metadata.namespace,
    labels: { ...(t.metadata?.labels ?? {}) },
    ownerReferences: [controllerRefFor(owner)],
  };
  if (t.metadata?.annotations) meta.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers) meta.finalizers = [...t.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: clone(t.spec) };
}

export interface StatusResult {
  status: any;
  /** When some ready pod becomes available (minReadySeconds), ms from now. */
  recheckInMs?: number;
}

/**
 * calculateStatus: counts over the owned active pods; zero counts are left
 * out as the API's omitempty does; ReplicaFailure set/cleared from the last
 * create/delete error.
 */
export function replicaStatus(owner: KubeObject, owned: KubeObject[], manageError?: { reason: string; message: string }, now = Date.now()): StatusResult {
  const templateLabels: Record<string, string> = owner.spec?.template?.metadata?.labels ?? {};
  const minReady = owner.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  let recheckInMs: number | undefined;
  for (const p of owned) {
    if (matchesMap(templateLabels, p.metadata.labels)) fully++;
    if (isPodReady(p)) {
      ready++;
      const a = podAvailability(p, minReady, now);
      if (a.available) available++;
      else if (a.inMs !== undefined) recheckInMs = Math.min(recheckInMs ?? Infinity, a.inMs);
    }
  }
  const status: any = { replicas: owned.length };
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (owner.metadata.generation) status.observedGeneration = owner.metadata.generation;
  const conditions: any[] = (owner.status?.conditions ?? []).filter((c: any) => c.type !== 'ReplicaFailure');
  const failure = (owner.status?.conditions ?? []).find((c: any) => c.type === 'ReplicaFailure');
  if (manageError) conditions.push(failure ?? { type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'), reason: manageError.reason, message: manageError.message });
  if (conditions.length) status.conditions = conditions;
  return { status, recheckInMs };
}

// The Deployment controller's arithmetic, pure, after Kubernetes'
// pkg/controller/deployment/util: surge/unavailable fenceposts, how far the
// new ReplicaSet may grow and the old ones shrink in one rolling-update step,
// proportional scaling of a rollout in progress, revisions, history cleanup,
// and the status/conditions `kubectl rollout status` reads.
import type { KubeObject } from '../../api/types.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

/** Deployment annotations never copied onto its ReplicaSets (skipCopyAnnotation). */
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

// ---- intstr and fenceposts ----

/** intstr.GetScaledValueFromIntOrPercent: `25%` of total, rounded up or down; ints as they are. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v.trim());
  if (!m) {
    const n = Number(v);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid value "${v}"`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** ResolveFenceposts: surge rounds up, unavailable down; both 0 would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export const replicasOf = (o: KubeObject | undefined): number => o?.spec?.replicas ?? 0;
const isRolling = (d: KubeObject) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

export function maxSurge(d: KubeObject): number {
  if (!isRolling(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: KubeObject): number {
  if (!isRolling(d) || replicasOf(d) === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return Math.min(resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).unavailable, replicasOf(d));
}

// ---- replica set collections ----

const sum = (rss: KubeObject[], f: (rs: KubeObject) => number) => rss.reduce((n, rs) => n + f(rs), 0);
/** GetReplicaCountForReplicaSets: spec.replicas summed. */
export const specReplicas = (rss: KubeObject[]) => sum(rss, replicasOf);
export const actualReplicas = (rss: KubeObject[]) => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicas = (rss: KubeObject[]) => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicas = (rss: KubeObject[]) => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
export const activeReplicaSets = (rss: KubeObject[]) => rss.filter((rs) => replicasOf(rs) > 0);

const created = (rs: KubeObject) => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;
/** ReplicaSetsByCreationTimestamp: oldest first, name breaks ties. */
export function byCreation(rss: KubeObject[]): KubeObject[] {
  return [...rss].sort((a, b) => created(a) - created(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

export function revisionOf(rs: KubeObject): number {
  const n = Number(rs.metadata.annotations?.[REVISION]);
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(rss: KubeObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

// ---- one rolling-update step ----

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
  if (!isRolling(d)) return replicasOf(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** reconcileNewReplicaSet's target for the new ReplicaSet, or undefined when it stays. */
export function newRSTarget(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number | undefined {
  if (replicasOf(newRS) === replicasOf(d)) return undefined;
  if (replicasOf(newRS) > replicasOf(d)) return replicasOf(d);
  const n = newRSNewReplicas(d, allRSs, newRS);
  return n === replicasOf(newRS) ? undefined : n;
}

/**
 * reconcileOldReplicaSets: first scale down old ReplicaSets' unhealthy
 * replicas (cleanupUnhealthyReplicas), then healthy ones as far as
 * maxUnavailable allows (scaleDownOldReplicaSetsForRollingUpdate).
 * Returns the new sizes of the old ReplicaSets that change.
 */
export function oldRSTargets(d: KubeObject, allRSs: KubeObject[], oldRSs: KubeObject[], newRS: KubeObject): Map<string, number> {
  const targets = new Map<string, number>();
  const old = activeReplicaSets(oldRSs);
  if (specReplicas(old) === 0) return targets;
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newRSUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return targets;

  const size = (rs: KubeObject) => targets.get(rs.metadata.name!) ?? replicasOf(rs);
  let cleaned = 0;
  for (const rs of byCreation(old)) {
    if (cleaned >= maxScaledDown) break;
    if (size(rs) === 0) continue;
    const available = rs.status?.availableReplicas ?? 0;
    if (size(rs) === available) continue;
    const down = Math.min(maxScaledDown - cleaned, size(rs) - available);
    targets.set(rs.metadata.name!, size(rs) - down);
    cleaned += down;
  }

  const availableNow = availableReplicas([...old, newRS]);
  if (availableNow <= minAvailable) return targets;
  const toScaleDown = availableNow - minAvailable;
  let scaled = 0;
  for (const rs of byCreation(old)) {
    if (scaled >= toScaleDown) break;
    if (size(rs) === 0) continue;
    const down = Math.min(size(rs), toScaleDown - scaled);
    targets.set(rs.metadata.name!, size(rs) - down);
    scaled += down;
  }
  return targets;
}

// ---- scaling a deployment (`kubectl scale`) ----

function desiredAnnotation(rs: KubeObject): number | undefined {
  const n = Number(rs.metadata.annotations?.[DESIRED_REPLICAS]);
  return rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && Number.isInteger(n) ? n : undefined;
}

/** isScalingEvent: an active ReplicaSet was sized for a different spec.replicas. */
export function isScalingEvent(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
  if (!newRS) return false;
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const desired = desiredAnnotation(rs);
    return desired !== undefined && desired !== replicasOf(d);
  });
}

/** FindActiveOrLatest: the one active ReplicaSet, or the newest if none is active; undefined with several active. */
export function activeOrLatest(newRS: KubeObject | undefined, oldRSs: KubeObject[]): KubeObject | undefined {
  const all = [...oldRSs, ...(newRS ? [newRS] : [])];
  const active = activeReplicaSets(all);
  if (active.length === 1) return active[0];
  if (active.length === 0) return newRS ?? byCreation(oldRSs).at(-1);
  return undefined;
}

export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  return replicasOf(rs) === replicasOf(d) && desiredAnnotation(rs) === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/** getReplicaSetFraction + GetReplicaSetProportion. */
function proportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const deploymentReplicas = replicasOf(d) + maxSurge(d);
    const annotated = Number(rs.metadata.annotations?.[MAX_REPLICAS]);
    const base = Number.isInteger(annotated) && annotated > 0 ? annotated : (d.status?.replicas ?? 0);
    fraction = base > 0 ? Math.round((replicasOf(rs) * deploymentReplicas) / base) - replicasOf(rs) : 0;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * The deployment controller's scale(): new sizes for ReplicaSets after
 * spec.replicas changed; in the middle of a rollout, the change is shared
 * proportionally (bigger ReplicaSets first; leftovers to the biggest).
 * Returns the sizes that change and whether it was a scale `up` or `down`.
 */
export function scaleTargets(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): { targets: Map<string, number>; op: 'up' | 'down' | '' } {
  const targets = new Map<string, number>();
  const one = activeOrLatest(newRS, oldRSs);
  if (one) {
    if (replicasOf(one) !== replicasOf(d)) targets.set(one.metadata.name!, replicasOf(d));
    return { targets, op: replicasOf(d) > replicasOf(one) ? 'up' : 'down' };
  }
  if (isSaturated(d, newRS)) {
    for (const rs of activeReplicaSets(oldRSs)) targets.set(rs.metadata.name!, 0);
    return { targets, op: 'down' };
  }
  if (!isRolling(d)) return { targets, op: '' };
  const all = activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(all);
  if (toAdd === 0) return { targets, op: '' };
  // ReplicaSetsBySizeNewer when growing, BySizeOlder when shrinking.
  const sorted = [...all].sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? created(b) - created(a) : created(a) - created(b)));
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of sorted) {
    const p = proportion(rs, d, toAdd, added);
    sizes.set(rs.metadata.name!, replicasOf(rs) + p);
    added += p;
  }
  const first = sorted[0].metadata.name!;
  sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  for (const rs of sorted) if (sizes.get(rs.metadata.name!) !== replicasOf(rs)) targets.set(rs.metadata.name!, sizes.get(rs.metadata.name!)!);
  return { targets, op: toAdd > 0 ? 'up' : 'down' };
}

// ---- history ----

/** cleanupDeployment: the old ReplicaSets beyond revisionHistoryLimit that may go (scaled to 0, settled), oldest revision first. */
export function replicaSetsToCleanUp(d: KubeObject, oldRSs: KubeObject[]): KubeObject[] {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  const sorted = [...alive].sort((a, b) => revisionOf(a) - revisionOf(b) || created(a) - created(b));
  return sorted
    .slice(0, diff)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && replicasOf(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}

/**
 * SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the
 * revision to `newRevision` (remembering the old one in revision-history on a
 * rollback), and on create the replica annotations. Mutates; true if changed.
 */
export function setNewReplicaSetAnnotations(d: KubeObject, rs: KubeObject, newRevision: number, exists: boolean): boolean {
  const a: Record<string, string> = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const had = a[REVISION];
  const old = Number(had ?? 0) || 0;
  if (old < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (had !== undefined) {
      const history = a[REVISION_HISTORY];
      a[REVISION_HISTORY] = history ? `${history},${had}` : had;
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** SetReplicasAnnotations: desired-replicas and max-replicas; true if changed. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const a: Record<string, string> = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

// ---- status and conditions ----

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export const reasons = {
  NewRSAvailable: 'NewReplicaSetAvailable',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
};

export function getCondition(status: any, type: string): Condition | undefined {
  return (status?.conditions ?? []).find((c: Condition) => c.type === type);
}

export function newCondition(type: string, status: Condition['status'], reason: string, message: string, now: string): Condition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: same status and reason is no change; same status keeps lastTransitionTime. Mutates. */
export function setCondition(status: any, c: Condition): void {
  const cur = getCondition(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c = { ...c, lastTransitionTime: cur.lastTransitionTime };
  status.conditions = [...(status.conditions ?? []).filter((x: Condition) => x.type !== c.type), c];
}

export function removeCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c: Condition) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: KubeObject): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

/** calculateStatus; zero counts left out (omitempty). `prev` is the status so far (conditions kept). */
export function calculateStatus(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject | undefined, prev: any, now: string): any {
  const available = availableReplicas(allRSs);
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  const s: any = {};
  if (d.metadata.generation) s.observedGeneration = d.metadata.generation;
  const counts: [string, number][] = [
    ['replicas', actualReplicas(allRSs)],
    ['updatedReplicas', newRS ? newRS.status?.replicas ?? 0 : 0],
    ['readyReplicas', readyReplicas(allRSs)],
    ['availableReplicas', available],
    ['unavailableReplicas', unavailable],
  ];
  for (const [k, v] of counts) if (v) s[k] = v;
  if (prev?.collisionCount !== undefined) s.collisionCount = prev.collisionCount;
  if (prev?.conditions) s.conditions = prev.conditions.map((c: Condition) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(s, newCondition('Available', 'True', reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(s, newCondition('Available', 'False', reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return s;
}

/** DeploymentComplete: every replica updated and available, and this generation observed. */
export function deploymentComplete(d: KubeObject, s: any): boolean {
  const r = replicasOf(d);
  return (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, ready or available replicas, or fewer old ones, than before. */
export function deploymentProgressing(old: any, s: any): boolean {
  const oldOld = (old?.replicas ?? 0) - (old?.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old?.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old?.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old?.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
export function deploymentTimedOut(d: KubeObject, s: any, nowMs: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c || c.reason === reasons.NewRSAvailable) return false;
  if (c.reason === reasons.TimedOut) return true;
  return Date.parse(c.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 < nowMs;
}

/**
 * syncRolloutStatus: the status with the Progressing condition brought up to
 * date. `current` is the Deployment's status as stored (for "did anything
 * progress"), `working` the status with conditions this sync already set.
 * Also returns when to look again for a progress deadline.
 */
export function rolloutStatus(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject | undefined, current: any, working: any, nowMs: number): { status: any; recheckInMs?: number } {
  const now = new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const s = calculateStatus(d, allRSs, newRS, working, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(working, 'Progressing');
  const complete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && cur?.reason === reasons.NewRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const rsName = newRS?.metadata.name;
    if (deploymentComplete(d, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
      setCondition(s, newCondition('Progressing', 'True', reasons.NewRSAvailable, msg, now));
    } else if (deploymentProgressing(current, s)) {
      const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
      const c = newCondition('Progressing', 'True', reasons.ReplicaSetUpdated, msg, now);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(s, 'Progressing');
      setCondition(s, c);
    } else if (deploymentTimedOut(d, s, nowMs)) {
      const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(s, newCondition('Progressing', 'False', reasons.TimedOut, msg, now));
    }
  }
  // requeueStuckDeployment: look again when the deadline would pass.
  let recheckInMs: number | undefined;
  const p = getCondition(s, 'Progressing');
  if (hasProgressDeadline(d) && p && p.reason !== reasons.NewRSAvailable && p.reason !== reasons.TimedOut && !deploymentComplete(d, s)) {
    recheckInMs = Math.max(1000, Date.parse(p.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 - nowMs + 1000);
  }
  return { status: s, recheckInMs };
}

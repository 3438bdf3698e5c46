// The Deployment controller, after Kubernetes' pkg/controller/deployment:
// one ReplicaSet per pod template (named <deployment>-<pod-template-hash>),
// rolling updates within maxSurge/maxUnavailable one step per sync,
// Recreate, proportional scaling, revisions and history, and the status
// `kubectl rollout status` waits on. Each sync reads the caches, makes the
// writes one step needs, and ends with one status write; the ReplicaSet
// events that follow bring the next step.
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { clone, deepEqual } from '../../api/deep-equal.js';
import { isApiError } from '../../api/status.js';
import { matchesSelector, selectorFromLabelSelector } from '../../api/labels.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext, type ReconcileResult } from '../controller.js';
import type { Recorder } from '../../client/events.js';
import { timestamp } from '../../client/events.js';
import { controllerOf } from '../informers.js';
import { kinds } from '../kinds.js';
import { adopt, claimObjects, controllerRefFor, release } from '../ownership.js';
import { computeHash, equalIgnoreHash, POD_TEMPLATE_HASH } from './hash.js';
import {
  activeReplicaSets,
  byCreation,
  deploymentComplete,
  getCondition,
  hasProgressDeadline,
  isScalingEvent,
  calculateStatus,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  newRSTarget,
  oldRSTargets,
  reasons,
  replicaSetsToCleanUp,
  replicasOf,
  revisionOf,
  REVISION,
  rolloutStatus,
  scaleTargets,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './desired.js';

function selectorMatcher(d: KubeObject): (labels: Record<string, string> | undefined) => boolean {
  try {
    const sel = selectorFromLabelSelector(d.spec?.selector);
    // An empty selector would select every ReplicaSet in the namespace: select none (Kubernetes warns and skips).
    if (!sel || sel.length === 0) return () => false;
    return (labels) => matchesSelector(sel, labels);
  } catch {
    return () => false;
  }
}

/** One sync's working state: `d` is a copy whose status collects what this sync decides. */
interface Sync {
  d: KubeObject;
  /** The Deployment as cached at the start (its status is "before"). */
  stored: KubeObject;
  rsList: KubeObject[];
}

export class DeploymentController extends QueueController {
  private readonly deployments: Informer;
  private readonly replicaSets: Informer;
  private readonly pods: Informer;
  private readonly recorder: Recorder;

  constructor(ctx: ControllerContext) {
    super('deployment', ctx, { workers: 2 });
    this.recorder = ctx.events.for('deployment-controller');
    this.deployments = ctx.informers.for(kinds.deployments);
    this.replicaSets = ctx.informers.for(kinds.replicasets);
    this.pods = ctx.informers.for(kinds.pods);
    this.deployments.on({ add: (d) => this.enqueue(d), update: (d) => this.enqueue(d), delete: (d) => this.enqueue(d) });
    this.replicaSets.on({
      add: (rs) => this.enqueueFor(rs),
      update: (rs, old) => {
        this.enqueueFor(rs);
        if (controllerOf(old)?.uid !== controllerOf(rs)?.uid) this.enqueueFor(old);
      },
      delete: (rs) => this.enqueueFor(rs),
    });
    // Recreate waits for the old pods to be gone.
    this.pods.on({
      delete: (p) => this.enqueueRecreateFor(p),
      update: (p) => (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? this.enqueueRecreateFor(p) : undefined),
    });
  }

  protected allKeys(): string[] {
    return this.deployments.list().map(objectKey);
  }

  private deploymentOf(rs: KubeObject): KubeObject | undefined {
    const ref = controllerOf(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(`${rs.metadata.namespace}/${ref.name}`);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueFor(rs: KubeObject): void {
    const d = this.deploymentOf(rs);
    if (d) return this.enqueue(d);
    if (controllerOf(rs)) return;
    // An orphan: any Deployment that selects it may adopt it.
    for (const d of this.deployments.list(rs.metadata.namespace)) if (selectorMatcher(d)(rs.metadata.labels)) this.enqueue(d);
  }

  private enqueueRecreateFor(pod: KubeObject): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(`${pod.metadata.namespace}/${ref.name}`);
    const d = rs && this.deploymentOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const stored = this.deployments.get(key);
    if (!stored) return;
    const d = clone(stored);
    d.status ??= {};
    const s: Sync = { d, stored, rsList: await this.claimReplicaSets(d) };
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(s);
    this.checkPausedConditions(d);
    if (d.spec?.paused) return this.syncScale(s);
    const newRS = this.findNewReplicaSet(d, s.rsList);
    const oldRSs = s.rsList.filter((rs) => rs !== newRS);
    if (isScalingEvent(d, newRS, oldRSs)) return this.syncScale(s);
    return d.spec?.strategy?.type === 'Recreate' ? this.rolloutRecreate(s) : this.rolloutRolling(s);
  }

  // ---- ReplicaSets of a Deployment ----

  private async claimReplicaSets(d: KubeObject): Promise<KubeObject[]> {
    const claim = claimObjects(d, this.replicaSets.list(d.metadata.namespace), selectorMatcher(d));
    const adopted = await adopt(this.client, kinds.deployments, kinds.replicasets, d, claim.adopt, this.log);
    await release(this.client, kinds.replicasets, d, claim.release, this.log);
    return [...claim.owned, ...adopted];
  }

  /** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's (hash label aside). */
  private findNewReplicaSet(d: KubeObject, rsList: KubeObject[]): KubeObject | undefined {
    return byCreation(rsList).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  }

  /**
   * getAllReplicaSetsAndSyncRevision: the new ReplicaSet (revision and
   * annotations brought up to date; created if `create` and missing) and the old ones.
   */
  private async newAndOld(s: Sync, create: boolean): Promise<{ newRS: KubeObject | undefined; oldRSs: KubeObject[] }> {
    const existing = this.findNewReplicaSet(s.d, s.rsList);
    const oldRSs = s.rsList.filter((rs) => rs !== existing);
    const newRS = await this.getNewReplicaSet(s, existing, oldRSs, create);
    if (newRS && newRS !== existing) s.rsList = [...oldRSs, newRS];
    return { newRS, oldRSs };
  }

  private async getNewReplicaSet(s: Sync, existing: KubeObject | undefined, oldRSs: KubeObject[], create: boolean): Promise<KubeObject | undefined> {
    const d = s.d;
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let rs = existing;
      const copy = clone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== minReady;
      if (annotationsChanged || minReadyChanged) {
        copy.spec.minReadySeconds = minReady;
        rs = await this.client.update(kinds.replicasets, copy);
      }
      await this.setDeploymentRevision(d, String(revisionOf(rs)));
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(d.status, newCondition('Progressing', 'True', reasons.FoundNewReplicaSet, `Found new replica set "${rs.metadata.name}"`, timestamp()));
      }
      return rs;
    }
    if (!create) return undefined;

    const template = clone(d.spec.template);
    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const selector = clone(d.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [controllerRefFor(d)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: KubeObject;
    let alreadyExists = false;
    try {
      created = await this.client.create(kinds.replicasets, d.metadata.namespace, rs);
    } catch (e) {
      // A namespace being deleted refuses new objects: nothing to report (as Kubernetes).
      if (isApiError(e) && e.code === 403 && /being terminated/.test(e.message)) return undefined;
      if (!isApiError(e, 'AlreadyExists')) {
        const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
        this.recorder.event(d, 'Warning', 'FailedCreate', msg);
        if (hasProgressDeadline(d)) setCondition(d.status, newCondition('Progressing', 'False', 'ReplicaSetCreateError', msg, timestamp()));
        await this.writeStatus(s, d.status);
        throw e;
      }
      // Ours already (our cache was behind), or a hash collision: bump collisionCount and try another name.
      const other = await this.client.get(kinds.replicasets, d.metadata.namespace, rs.metadata.name!);
      if (controllerOf(other)?.uid === d.metadata.uid && equalIgnoreHash(other.spec?.template, d.spec?.template)) {
        created = other;
        alreadyExists = true;
      } else {
        d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
        this.log.warn({ object: objectKey(d), rs: rs.metadata.name, collisionCount: d.status.collisionCount }, 'pod-template-hash collision');
        await this.writeStatus(s, d.status);
        throw e;
      }
    }
    if (!alreadyExists) {
      this.log.info({ object: objectKey(d), rs: created.metadata.name, replicas }, 'created replica set');
      if (replicas > 0) this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
      if (hasProgressDeadline(d)) {
        setCondition(d.status, newCondition('Progressing', 'True', reasons.NewReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, timestamp()));
      }
    }
    await this.setDeploymentRevision(d, String(newRevision));
    return created;
  }

  /** SetDeploymentRevision: the Deployment's revision annotation follows its new ReplicaSet's. */
  private async setDeploymentRevision(d: KubeObject, revision: string): Promise<void> {
    if (d.metadata.annotations?.[REVISION] === revision) return;
    d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: revision };
    const patched = await this.client.patch(kinds.deployments, d.metadata.namespace, d.metadata.name!, {
      metadata: { uid: d.metadata.uid, annotations: { [REVISION]: revision } },
    });
    d.metadata.resourceVersion = patched.metadata.resourceVersion;
  }

  /** scaleReplicaSet: new size and replica annotations, with the ScalingReplicaSet event. */
  private async scaleReplicaSet(s: Sync, rs: KubeObject, size: number): Promise<KubeObject> {
    const d = s.d;
    const from = replicasOf(rs);
    const copy = clone(rs);
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (from === size && !annotationsChanged) return rs;
    copy.spec.replicas = size;
    const updated = await this.client.update(kinds.replicasets, copy);
    s.rsList = s.rsList.map((x) => (x.metadata.uid === updated.metadata.uid ? updated : x));
    if (from !== size) {
      const op = size > from ? 'up' : 'down';
      this.log.info({ object: objectKey(d), rs: rs.metadata.name, from, to: size }, `scaled ${op} replica set`);
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} to ${size} from ${from}`);
    }
    return updated;
  }

  private async scaleByName(s: Sync, targets: Map<string, number>): Promise<void> {
    for (const [name, size] of targets) {
      const rs = s.rsList.find((x) => x.metadata.name === name);
      if (rs) await this.scaleReplicaSet(s, rs, size);
    }
  }

  // ---- strategies ----

  private async rolloutRolling(s: Sync): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(s, true);
    const all = () => [...oldRSs, newRS!];
    const target = newRSTarget(s.d, all(), newRS!);
    if (target !== undefined) {
      newRS = await this.scaleReplicaSet(s, newRS!, target);
      return this.syncRolloutStatus(s, newRS);
    }
    const downs = oldRSTargets(s.d, all(), oldRSs, newRS!);
    if (downs.size > 0) {
      await this.scaleByName(s, downs);
      return this.syncRolloutStatus(s, newRS);
    }
    if (deploymentComplete(s.d, s.stored.status ?? {})) await this.cleanup(s, oldRSs);
    return this.syncRolloutStatus(s, newRS);
  }

  private async rolloutRecreate(s: Sync): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.newAndOld(s, false);
    const active = activeReplicaSets(oldRSs);
    if (active.length > 0) {
      for (const rs of active) await this.scaleReplicaSet(s, rs, 0);
      return this.syncRolloutStatus(s, newRS);
    }
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(s, newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(s, true));
    if (replicasOf(newRS) !== replicasOf(s.d)) newRS = await this.scaleReplicaSet(s, newRS!, replicasOf(s.d));
    if (deploymentComplete(s.d, s.stored.status ?? {})) await this.cleanup(s, oldRSs);
    return this.syncRolloutStatus(s, newRS);
  }

  /** oldPodsRunning: Recreate starts new pods only once no old pod runs (terminating ones count). */
  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    for (const rs of oldRSs) {
      if (rs.metadata.uid === newRS?.metadata.uid) continue;
      const pods = this.pods.byIndex('controller', rs.metadata.uid!);
      if (pods.some((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')) return true;
    }
    return false;
  }

  /** sync(): a scaling event or a paused Deployment: resize, no rollout. */
  private async syncScale(s: Sync): Promise<ReconcileResult> {
    const { newRS, oldRSs } = await this.newAndOld(s, false);
    const { targets } = scaleTargets(s.d, newRS, oldRSs);
    await this.scaleByName(s, targets);
    if (s.d.spec?.paused) await this.cleanup(s, oldRSs);
    const fresh = this.findNewReplicaSet(s.d, s.rsList);
    await this.writeStatus(s, calculateStatus(s.d, s.rsList, fresh, s.d.status, timestamp()));
  }

  private async syncStatusOnly(s: Sync): Promise<ReconcileResult> {
    const { newRS } = await this.newAndOld(s, false);
    await this.writeStatus(s, calculateStatus(s.d, s.rsList, newRS, s.d.status, timestamp()));
  }

  /** checkPausedConditions: Progressing=Unknown DeploymentPaused / DeploymentResumed. */
  private checkPausedConditions(d: KubeObject): void {
    if (!hasProgressDeadline(d)) return;
    const c = getCondition(d.status, 'Progressing');
    if (c?.reason === reasons.TimedOut) return;
    const pausedCond = c?.reason === reasons.Paused;
    if (d.spec?.paused && !pausedCond) setCondition(d.status, newCondition('Progressing', 'Unknown', reasons.Paused, 'Deployment is paused', timestamp()));
    else if (!d.spec?.paused && pausedCond) setCondition(d.status, newCondition('Progressing', 'Unknown', reasons.Resumed, 'Deployment is resumed', timestamp()));
  }

  /** cleanupDeployment: delete old ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(s: Sync, oldRSs: KubeObject[]): Promise<void> {
    const current = oldRSs.map((rs) => s.rsList.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs);
    for (const rs of replicaSetsToCleanUp(s.d, current)) {
      try {
        await this.client.delete(kinds.replicasets, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
        this.log.info({ object: objectKey(s.d), rs: rs.metadata.name, revision: revisionOf(rs) }, 'deleted old replica set (revisionHistoryLimit)');
      } catch (e) {
        if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }

  private async syncRolloutStatus(s: Sync, newRS: KubeObject | undefined): Promise<ReconcileResult> {
    const fresh = newRS && (s.rsList.find((x) => x.metadata.uid === newRS.metadata.uid) ?? newRS);
    const { status, recheckInMs } = rolloutStatus(s.d, s.rsList, fresh, s.stored.status ?? {}, s.d.status, Date.now());
    await this.writeStatus(s, status);
    return recheckInMs !== undefined ? { requeueAfterMs: recheckInMs } : undefined;
  }

  private async writeStatus(s: Sync, status: any): Promise<void> {
    if (deepEqual(status, s.stored.status ?? {})) return;
    const body = { ...s.stored, metadata: { ...s.stored.metadata, resourceVersion: s.d.metadata.resourceVersion }, status };
    await this.client.update(kinds.deployments, body, 'status');
  }
}

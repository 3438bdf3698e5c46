// The garbage collector. It watches every resource type the API serves and
// keeps a graph of owner → dependents by uid (GraphBuilder). Work items are
// `attempt:<uid>` (should this object go now its owners are gone?),
// `orphan:<uid>` and `foreground:<uid>` (an owner deleted with those
// propagation policies, recorded by the apiserver as finalizers). Owners are
// always checked against the live API before anything is deleted, so a
// cache that is behind never costs an object.
import type { KubeObject, OwnerReference } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import { findByKind, resourceTypes, type ResourceType } from '../../api/resources.js';
import { QueueController, type ControllerContext, type ReconcileResult } from '../controller.js';
import {
  attemptToDelete,
  classifyOwners,
  FINALIZER_FOREGROUND,
  FINALIZER_ORPHAN,
  foregroundStep,
  hasFinalizer,
  isDeletingDependents,
  type OwnerState,
} from './desired.js';

interface GraphNode {
  r: ResourceType;
  obj: KubeObject;
}

const ABSENT_CACHE_MAX = 1024;

export class GarbageCollector extends QueueController {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();
  /** Owner uids confirmed gone (absentOwnerCache). */
  private readonly absent = new Set<string>();

  constructor(ctx: ControllerContext) {
    super('garbagecollector', ctx, { workers: 4 });
    for (const r of resourceTypes) {
      ctx.informers.for(r).on({
        add: (o) => this.upsert(r, o, undefined),
        update: (o, old) => this.upsert(r, o, old),
        delete: (o) => this.remove(o),
      });
    }
  }

  protected allKeys(): string[] {
    const keys: string[] = [];
    for (const [uid, n] of this.nodes) {
      const m = n.obj.metadata;
      if (m.deletionTimestamp && hasFinalizer(n.obj, FINALIZER_ORPHAN)) keys.push(`orphan:${uid}`);
      if (m.deletionTimestamp && hasFinalizer(n.obj, FINALIZER_FOREGROUND)) keys.push(`foreground:${uid}`);
      if ((m.ownerReferences ?? []).some((ref) => this.ownerNeedsLook(ref))) keys.push(`attempt:${uid}`);
    }
    return keys;
  }

  /** An owner not in the graph, or waiting for its dependents: the dependent needs a look. */
  private ownerNeedsLook(ref: OwnerReference): boolean {
    const owner = this.nodes.get(ref.uid);
    return !owner || isDeletingDependents(owner.obj);
  }

  // ---- the graph ----

  private upsert(r: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
    const uid = obj.metadata.uid!;
    this.nodes.set(uid, { r, obj });
    const refs = obj.metadata.ownerReferences ?? [];
    const oldRefs = old?.metadata.ownerReferences ?? [];
    for (const ref of oldRefs) {
      if (refs.some((x) => x.uid === ref.uid)) continue;
      this.dependents.get(ref.uid)?.delete(uid);
      // A reference went away: an owner waiting on it may be done.
      if (this.isWaiting(ref.uid)) this.queue.add(`foreground:${ref.uid}`);
    }
    for (const ref of refs) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(uid);
      if (this.ownerNeedsLook(ref)) this.queue.add(`attempt:${uid}`);
    }
    const m = obj.metadata;
    if (m.deletionTimestamp && hasFinalizer(obj, FINALIZER_ORPHAN)) this.queue.add(`orphan:${uid}`);
    if (m.deletionTimestamp && hasFinalizer(obj, FINALIZER_FOREGROUND)) {
      this.queue.add(`foreground:${uid}`);
      for (const d of this.dependents.get(uid) ?? []) this.queue.add(`attempt:${d}`);
    }
    // Once an object is in foreground deletion, its dependents that still have it as owner may need to go.
    if (old && isDeletingDependents(obj) && !isDeletingDependents(old)) for (const d of this.dependents.get(uid) ?? []) this.queue.add(`attempt:${d}`);
    // The object is itself blocking an owner's foreground deletion and just started going: nothing to do until it is gone.
  }

  private remove(obj: KubeObject): void {
    const uid = obj.metadata.uid!;
    this.nodes.delete(uid);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      this.dependents.get(ref.uid)?.delete(uid);
      if (this.isWaiting(ref.uid)) this.queue.add(`foreground:${ref.uid}`);
    }
    // Its dependents are now orphans with a dangling reference: each gets a look.
    for (const d of this.dependents.get(uid) ?? []) this.queue.add(`attempt:${d}`);
  }

  private isWaiting(uid: string): boolean {
    const n = this.nodes.get(uid);
    return !!n && isDeletingDependents(n.obj);
  }

  private dependentObjects(uid: string): KubeObject[] {
    return [...(this.dependents.get(uid) ?? [])].map((d) => this.nodes.get(d)?.obj).filter((o): o is KubeObject => !!o);
  }

  // ---- the work ----

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf(':');
    const kind = key.slice(0, i);
    const uid = key.slice(i + 1);
    const node = this.nodes.get(uid);
    if (!node) return;
    const latest = await this.getLive(node.r, node.obj.metadata.namespace, node.obj.metadata.name!);
    if (!latest || latest.metadata.uid !== uid) return;
    if (kind === 'orphan') return this.orphanDependents(node.r, latest);
    if (kind === 'foreground' || isDeletingDependents(latest)) return this.processDeletingDependents(node.r, latest);
    return this.attemptToDeleteItem(node.r, latest);
  }

  private async getLive(r: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(r, r.namespaced ? namespace : undefined, name);
    } catch (e) {
      if (isApiError(e) && e.code === 404) return undefined;
      throw e;
    }
  }

  private async ownerState(item: KubeObject, ref: OwnerReference): Promise<OwnerState> {
    if (this.absent.has(ref.uid)) return 'absent';
    const r = findByKind(ref.apiVersion, ref.kind);
    if (!r) return 'unknown';
    if (r.namespaced && !item.metadata.namespace) return 'unknown';
    const owner = await this.getLive(r, item.metadata.namespace, ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) {
      if (this.absent.size >= ABSENT_CACHE_MAX) this.absent.clear();
      this.absent.add(ref.uid);
      return 'absent';
    }
    return isDeletingDependents(owner) ? 'deletingDependents' : 'present';
  }

  private async attemptToDeleteItem(r: ResourceType, item: KubeObject): Promise<ReconcileResult> {
    const refs = item.metadata.ownerReferences ?? [];
    const states = new Map<string, OwnerState>();
    for (const ref of refs) states.set(ref.uid, await this.ownerState(item, ref));
    const decision = attemptToDelete(item, classifyOwners(refs, (ref) => states.get(ref.uid)!), this.dependentObjects(item.metadata.uid!));
    const ns = item.metadata.namespace;
    const name = item.metadata.name!;
    const what = { object: objectKey(item), kind: item.kind };
    switch (decision.action) {
      case 'none':
        return;
      case 'removeOwnerReferences': {
        const patch = { metadata: { uid: item.metadata.uid, ownerReferences: decision.uids.map((uid) => ({ $patch: 'delete', uid })) } };
        await this.ignoreGone(this.client.patch(r, ns, name, patch, 'application/strategic-merge-patch+json'));
        this.log.info({ ...what, owners: decision.uids }, 'removed references to gone owners');
        return;
      }
      case 'delete': {
        if (decision.unblockOwnerUids?.length) {
          const patch = { metadata: { uid: item.metadata.uid, ownerReferences: decision.unblockOwnerUids.map((uid) => ({ uid, blockOwnerDeletion: false })) } };
          await this.ignoreGone(this.client.patch(r, ns, name, patch, 'application/strategic-merge-patch+json'));
        }
        await this.ignoreGone(this.client.delete(r, ns, name, { propagationPolicy: decision.policy, preconditions: { uid: item.metadata.uid } }));
        this.log.info({ ...what, propagationPolicy: decision.policy }, 'deleted object whose owners are gone');
        return;
      }
    }
  }

  /** orphanDependents, then the orphan finalizer goes. */
  private async orphanDependents(r: ResourceType, owner: KubeObject): Promise<ReconcileResult> {
    if (!owner.metadata.deletionTimestamp || !hasFinalizer(owner, FINALIZER_ORPHAN)) return;
    const uid = owner.metadata.uid!;
    for (const dep of this.dependentObjects(uid)) {
      const dr = this.nodes.get(dep.metadata.uid!)?.r;
      if (!dr) continue;
      const patch = { metadata: { uid: dep.metadata.uid, ownerReferences: [{ $patch: 'delete', uid }] } };
      await this.ignoreGone(this.client.patch(dr, dep.metadata.namespace, dep.metadata.name!, patch, 'application/strategic-merge-patch+json'));
      this.log.info({ object: objectKey(dep), kind: dep.kind, owner: objectKey(owner) }, 'orphaned dependent');
    }
    await this.removeFinalizer(r, owner, FINALIZER_ORPHAN);
  }

  private async processDeletingDependents(r: ResourceType, owner: KubeObject): Promise<ReconcileResult> {
    if (!isDeletingDependents(owner)) return;
    const step = foregroundStep(owner, this.dependentObjects(owner.metadata.uid!));
    if (step.removeFinalizer) return this.removeFinalizer(r, owner, FINALIZER_FOREGROUND);
    for (const d of step.toDelete) this.queue.add(`attempt:${d.metadata.uid}`);
  }

  private async removeFinalizer(r: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
    const patch = { metadata: { uid: obj.metadata.uid, [`$deleteFromPrimitiveList/finalizers`]: [finalizer] } };
    await this.ignoreGone(this.client.patch(r, obj.metadata.namespace, obj.metadata.name!, patch, 'application/strategic-merge-patch+json'));
    this.log.info({ object: objectKey(obj), kind: obj.kind, finalizer }, 'removed finalizer');
  }

  private async ignoreGone<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (e) {
      if (isApiError(e) && e.code === 404) return undefined;
      throw e;
    }
  }
}

// The ReplicaSet controller, and the ReplicationController controller (the
// same loop with a map selector, as in Kubernetes): claim pods, create or
// delete to reach spec.replicas, write status. Expectations keep a sync from
// acting twice on the same shortfall before the informer has caught up.
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { deepEqual } from '../../api/deep-equal.js';
import { isApiError } from '../../api/status.js';
import type { ResourceType } from '../../api/resources.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext, type ReconcileResult } from '../controller.js';
import type { Recorder } from '../../client/events.js';
import { Expectations } from '../expectations.js';
import { controllerOf } from '../informers.js';
import { kinds } from '../kinds.js';
import { adopt, release } from '../ownership.js';
import { claimPods, podFromTemplate, podsToDelete, replicaDiff, replicaStatus, selectorOf, slowStartBatches } from './desired.js';

interface KindConfig {
  resource: ResourceType;
  apiVersion: string;
  kind: string;
  /** Controller name (logs, `only`) and event source component, as Kubernetes names them. */
  name: string;
  component: string;
}

export const replicaSetKind: KindConfig = {
  resource: kinds.replicasets,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'replicaset',
  component: 'replicaset-controller',
};

export const replicationControllerKind: KindConfig = {
  resource: kinds.replicationcontrollers,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  name: 'replicationcontroller',
  component: 'replication-controller',
};

/** A namespace being deleted refuses new objects; its controller stops trying, as Kubernetes does. */
function namespaceTerminating(e: unknown): boolean {
  return isApiError(e) && e.code === 403 && /being terminated/.test(e.message);
}

export class ReplicaSetController extends QueueController {
  private readonly owners: Informer;
  private readonly pods: Informer;
  private readonly recorder: Recorder;
  readonly expectations = new Expectations();

  constructor(
    ctx: ControllerContext,
    private readonly k: KindConfig = replicaSetKind,
  ) {
    super(k.name, ctx, { workers: 4 });
    this.recorder = ctx.events.for(k.component);
    this.owners = ctx.informers.for(k.resource);
    this.pods = ctx.informers.for(kinds.pods);
    this.owners.on({
      add: (o) => this.enqueue(o),
      update: (o) => this.enqueue(o),
      delete: (o) => {
        this.expectations.delete(objectKey(o));
        this.enqueue(o);
      },
    });
    this.pods.on({
      add: (p) => {
        if (p.metadata.deletionTimestamp) return this.podGone(p);
        const owner = this.ownerOf(p);
        if (owner) {
          this.expectations.creationObserved(objectKey(owner));
          this.enqueue(owner);
        } else if (!controllerOf(p)) this.enqueueMatching(p);
      },
      update: (p, old) => {
        if (p.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.podGone(p);
        const owner = this.ownerOf(p);
        const oldOwner = this.ownerOf(old);
        if (owner) this.enqueue(owner);
        if (oldOwner && oldOwner !== owner) this.enqueue(oldOwner);
        if (!controllerOf(p) && (!deepEqual(p.metadata.labels, old.metadata.labels) || controllerOf(old))) this.enqueueMatching(p);
      },
      delete: (p) => this.podGone(p),
    });
  }

  protected allKeys(): string[] {
    return this.owners.list().map(objectKey);
  }

  /** The owner of this kind that controls the pod (uid checked), if cached. */
  private ownerOf(pod: KubeObject): KubeObject | undefined {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== this.k.kind || ref.apiVersion !== this.k.apiVersion) return undefined;
    const owner = this.owners.get(`${pod.metadata.namespace}/${ref.name}`);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  }

  private podGone(pod: KubeObject): void {
    const owner = this.ownerOf(pod);
    if (!owner) return;
    this.expectations.deletionObserved(objectKey(owner), objectKey(pod));
    this.enqueue(owner);
  }

  /** An orphan changed: every owner whose selector matches it may adopt it. */
  private enqueueMatching(pod: KubeObject): void {
    for (const o of this.owners.list(pod.metadata.namespace)) if (selectorOf(o)(pod.metadata.labels)) this.enqueue(o);
  }

  protected async reconcile(key: string): Promise<ReconcileResult> {
    const owner = this.owners.get(key);
    if (!owner) {
      this.expectations.delete(key);
      return;
    }
    const ns = owner.metadata.namespace!;
    const claim = claimPods(owner, this.pods.list(ns));
    const owned = [...claim.owned, ...(await adopt(this.client, this.k.resource, kinds.pods, owner, claim.adopt, this.log))];
    await release(this.client, kinds.pods, owner, claim.release, this.log);

    let manageError: { reason: string; message: string; err: unknown } | undefined;
    if (this.expectations.satisfied(key) && !owner.metadata.deletionTimestamp) {
      manageError = await this.manageReplicas(owner, owned);
    }
    const { status, recheckInMs } = replicaStatus(owner, owned, manageError);
    if (!deepEqual(status, owner.status)) {
      await this.client.update(this.k.resource, { ...owner, status }, 'status');
    }
    if (manageError) throw manageError.err;
    return recheckInMs !== undefined ? { requeueAfterMs: recheckInMs + 50 } : undefined;
  }

  private async manageReplicas(owner: KubeObject, owned: KubeObject[]): Promise<{ reason: string; message: string; err: unknown } | undefined> {
    const key = objectKey(owner);
    const diff = replicaDiff(owner.spec?.replicas ?? 1, owned.length);
    if (diff > 0) {
      this.expectations.expectCreations(key, diff);
      const template = podFromTemplate(owner);
      let attempted = 0;
      let failure: { reason: string; message: string; err: unknown } | undefined;
      for (const size of slowStartBatches(diff)) {
        attempted += size;
        const results = await Promise.allSettled(Array.from({ length: size }, () => this.client.create(kinds.pods, owner.metadata.namespace, template)));
        for (const r of results) {
          if (r.status === 'fulfilled') {
            const name = r.value.metadata.name;
            this.log.info({ object: key, pod: `${owner.metadata.namespace}/${name}` }, 'created pod');
            this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
            continue;
          }
          this.expectations.creationObserved(key);
          if (namespaceTerminating(r.reason)) continue;
          const message = (r.reason as Error).message;
          this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${message}`);
          failure ??= { reason: 'FailedCreate', message, err: r.reason };
        }
        if (failure) break;
      }
      for (let i = attempted; i < diff; i++) this.expectations.creationObserved(key);
      return failure;
    }
    if (diff < 0) {
      const victims = podsToDelete(owned, -diff);
      this.expectations.expectDeletions(key, victims.map(objectKey));
      let failure: { reason: string; message: string; err: unknown } | undefined;
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.client.delete(kinds.pods, pod.metadata.namespace, pod.metadata.name!);
            this.log.info({ object: key, pod: objectKey(pod) }, 'deleted pod');
            this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (e) {
            this.expectations.deletionObserved(key, objectKey(pod));
            if (isApiError(e) && e.code === 404) return;
            const message = (e as Error).message;
            this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${message}`);
            failure ??= { reason: 'FailedDelete', message, err: e };
          }
        }),
      );
      return failure;
    }
    return undefined;
  }
}

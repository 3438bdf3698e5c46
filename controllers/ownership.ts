// Controller references, as Kubernetes' ControllerRefManager: an owner
// claims the objects its selector matches and that no other controller owns
// (adoption), and lets go of the ones whose labels stopped matching
// (release). Both are strategic-merge patches of ownerReferences carrying the
// object's uid as a precondition, so a recreated namesake is never touched.
import type { Logger } from 'pino';
import type { KubeObject, OwnerReference } from '../api/types.js';
import { objectKey } from '../api/types.js';
import { isApiError } from '../api/status.js';
import type { ResourceType } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { controllerOf } from './informers.js';

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

export function controllerRefFor(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface Claim {
  /** Objects the owner controls and that still match (being deleted or not). */
  owned: KubeObject[];
  /** Orphans that match the selector: to adopt. */
  adopt: KubeObject[];
  /** Controlled objects whose labels no longer match: to release. */
  release: KubeObject[];
}

/**
 * ClaimObject: controlled + matching → owned; controlled + not matching →
 * release; orphan + matching → adopt. An owner being deleted neither adopts
 * nor releases, and an object being deleted is never adopted.
 */
export function claimObjects(owner: KubeObject, objects: KubeObject[], matches: LabelMatcher): Claim {
  const uid = owner.metadata.uid;
  const ownerGoing = !!owner.metadata.deletionTimestamp;
  const out: Claim = { owned: [], adopt: [], release: [] };
  for (const obj of objects) {
    const ref = controllerOf(obj);
    const match = matches(obj.metadata.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (match) out.owned.push(obj);
      else if (!ownerGoing && !obj.metadata.deletionTimestamp) out.release.push(obj);
    } else if (match && !ownerGoing && !obj.metadata.deletionTimestamp) out.adopt.push(obj);
  }
  return out;
}

/** Adopt `objs` for `owner` after re-reading the owner (canAdoptFunc); returns the adopted objects as written. */
export async function adopt(client: Client, ownerType: ResourceType, r: ResourceType, owner: KubeObject, objs: KubeObject[], log: Logger): Promise<KubeObject[]> {
  if (objs.length === 0) return [];
  const fresh = await client.get(ownerType, owner.metadata.namespace, owner.metadata.name!);
  if (fresh.metadata.uid !== owner.metadata.uid || fresh.metadata.deletionTimestamp) return [];
  const adopted: KubeObject[] = [];
  for (const obj of objs) {
    try {
      const patch = { metadata: { ownerReferences: [controllerRefFor(owner)], uid: obj.metadata.uid } };
      adopted.push(await client.patch(r, obj.metadata.namespace, obj.metadata.name!, patch, 'application/strategic-merge-patch+json'));
      log.info({ object: objectKey(owner), adopted: objectKey(obj), kind: r.kind }, 'adopted');
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
  return adopted;
}

/** Remove the owner's reference from `objs`. */
export async function release(client: Client, r: ResourceType, owner: KubeObject, objs: KubeObject[], log: Logger): Promise<void> {
  for (const obj of objs) {
    try {
      const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: owner.metadata.uid }], uid: obj.metadata.uid } };
      await client.patch(r, obj.metadata.namespace, obj.metadata.name!, patch, 'application/strategic-merge-patch+json');
      log.info({ object: objectKey(owner), released: objectKey(obj), kind: r.kind }, 'released');
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}

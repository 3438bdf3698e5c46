// The garbage collector's decisions, pure, after Kubernetes'
// garbagecollector.go: an object whose owners are all gone is deleted;
// one with a live owner loses only its references to the gone ones; an owner
// in foreground deletion waits for its blocking dependents; an orphaning
// owner's dependents lose their references to it.
import type { KubeObject, OwnerReference } from '../../api/types.js';

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export const hasFinalizer = (o: KubeObject, f: string) => (o.metadata.finalizers ?? []).includes(f);

/** Being deleted in the foreground: waiting for its dependents (isDeletingDependents). */
export const isDeletingDependents = (o: KubeObject) => !!o.metadata.deletionTimestamp && hasFinalizer(o, FINALIZER_FOREGROUND);

/** What the collector found when it looked an owner up (by name, then uid). */
export type OwnerState = 'absent' | 'present' | 'deletingDependents' | 'unknown';

export interface ClassifiedOwners {
  /** Owners that exist and are not waiting on their dependents. */
  solid: OwnerReference[];
  /** Owners that no longer exist (or exist under another uid). */
  dangling: OwnerReference[];
  /** Owners in foreground deletion. */
  waiting: OwnerReference[];
}

/** classifyReferences. An owner of a kind we cannot look up counts as solid: never delete on a guess. */
export function classifyOwners(refs: OwnerReference[], state: (ref: OwnerReference) => OwnerState): ClassifiedOwners {
  const out: ClassifiedOwners = { solid: [], dangling: [], waiting: [] };
  for (const ref of refs) {
    const s = state(ref);
    if (s === 'absent') out.dangling.push(ref);
    else if (s === 'deletingDependents') out.waiting.push(ref);
    else out.solid.push(ref);
  }
  return out;
}

export type Decision =
  | { action: 'none'; why: string }
  | { action: 'removeOwnerReferences'; uids: string[] }
  | { action: 'delete'; policy: 'Background' | 'Foreground' | 'Orphan'; unblockOwnerUids?: string[] };

/**
 * attemptToDeleteItem. `item` is the live object; `dependents` its own
 * dependents (from the graph).
 */
export function attemptToDelete(item: KubeObject, owners: ClassifiedOwners, dependents: KubeObject[]): Decision {
  if (item.metadata.deletionTimestamp && !hasFinalizer(item, FINALIZER_FOREGROUND)) return { action: 'none', why: 'being deleted' };
  if ((item.metadata.ownerReferences ?? []).length === 0) return { action: 'none', why: 'no owners' };
  const { solid, dangling, waiting } = owners;
  if (solid.length > 0) {
    if (dangling.length === 0 && waiting.length === 0) return { action: 'none', why: 'has a live owner' };
    // A live owner keeps it; only the references to gone or going owners are dropped.
    return { action: 'removeOwnerReferences', uids: [...dangling, ...waiting].map((r) => r.uid) };
  }
  if (waiting.length > 0 && dependents.length > 0) {
    // Its owner waits for it, and it has dependents of its own: delete it in the foreground too,
    // unblocking its owners first if one of its dependents is itself waiting (cycle guard).
    const cycle = dependents.some(isDeletingDependents);
    return { action: 'delete', policy: 'Foreground', unblockOwnerUids: cycle ? waiting.filter((r) => r.blockOwnerDeletion).map((r) => r.uid) : undefined };
  }
  if (hasFinalizer(item, FINALIZER_ORPHAN)) return { action: 'delete', policy: 'Orphan' };
  if (hasFinalizer(item, FINALIZER_FOREGROUND)) return { action: 'delete', policy: 'Foreground' };
  return { action: 'delete', policy: 'Background' };
}

/** The dependents whose reference to `ownerUid` blocks the owner's deletion. */
export function blockingDependents(ownerUid: string, dependents: KubeObject[]): KubeObject[] {
  return dependents.filter((d) => (d.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true));
}

/**
 * processDeletingDependentsItem: with no blocking dependents left the
 * foregroundDeletion finalizer goes; otherwise the blocking dependents not
 * already deleting in the foreground are to be deleted.
 */
export function foregroundStep(owner: KubeObject, dependents: KubeObject[]): { removeFinalizer: boolean; toDelete: KubeObject[] } {
  const blocking = blockingDependents(owner.metadata.uid!, dependents);
  if (blocking.length === 0) return { removeFinalizer: true, toDelete: [] };
  return { removeFinalizer: false, toDelete: blocking.filter((d) => !isDeletingDependents(d)) };
}

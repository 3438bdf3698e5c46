// ControllerExpectations, as Kubernetes' replica controllers keep them: after
// asking for N pods to be created (or some deleted), a controller does not
// act on its owner again until its informer has seen those changes, or the
// expectations expire. Without this, a resync that runs before the watch
// delivers the new pods would count too few and create too many.

const TTL_MS = 5 * 60_000;

interface Record_ {
  adds: number;
  /** Keys (`ns/name`) of pods asked to be deleted and not yet seen going. */
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private records = new Map<string, Record_>();

  /** True when the owner may be synced: nothing pending, or the wait expired. */
  satisfied(owner: string): boolean {
    const r = this.records.get(owner);
    if (!r) return true;
    if (r.adds <= 0 && r.deletes.size === 0) return true;
    return Date.now() - r.at > TTL_MS;
  }

  expectCreations(owner: string, n: number): void {
    this.records.set(owner, { adds: n, deletes: new Set(), at: Date.now() });
  }

  expectDeletions(owner: string, podKeys: string[]): void {
    this.records.set(owner, { adds: 0, deletes: new Set(podKeys), at: Date.now() });
  }

  /** A create was seen by the informer, or failed (it will never be seen). */
  creationObserved(owner: string): void {
    const r = this.records.get(owner);
    if (r) r.adds--;
  }

  /** A pod going (deletionTimestamp set or gone) was seen, or its delete failed. */
  deletionObserved(owner: string, podKey: string): void {
    this.records.get(owner)?.deletes.delete(podKey);
  }

  delete(owner: string): void {
    this.records.delete(owner);
  }

  pending(owner: string): { adds: number; deletes: number } | undefined {
    const r = this.records.get(owner);
    return r && { adds: r.adds, deletes: r.deletes.size };
  }
}

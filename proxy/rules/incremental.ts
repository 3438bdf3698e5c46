// The iptables ruleset kept between syncs and updated for the services that
// changed, as kube-proxy's change trackers intend: a sync after one change
// recomputes that service's chains (and the shared chains only when its
// lines there changed), not ten thousand, and names the chains it touched so
// the applier diffs and writes only those. desiredRules (desired.ts) stays
// the reference: from any sequence of changes this yields the same chains
// (test/unit/proxy-incremental.test.ts). Pure.
import type { KubeObject } from '../../api/types.js';
import {
  NODEPORTS_JUMP,
  hookJumps,
  portRules,
  portsOf,
  sharedChainsWithPlumbing,
  topLevelChains,
  type Fragment,
  type ProxyConfig,
  type ProxyNode,
  type Ruleset,
} from './desired.js';

/** Chains a sync touched (written or gone), per table. */
export interface DirtyChains {
  filter: Set<string>;
  nat: Set<string>;
}

const topLevel = { filter: new Set(topLevelChains.filter), nat: new Set(topLevelChains.nat) };
export const svcKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
const sliceSvcKey = (s: KubeObject) => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}`;

/** The changed services (by `ns/name`) and their EndpointSlices, picked out of the informers' lists. */
export function changedObjects(services: KubeObject[], slices: KubeObject[], want: Set<string>): { svcs: Map<string, KubeObject>; own: Map<string, KubeObject[]> } {
  const svcs = new Map<string, KubeObject>();
  for (const s of services) if (want.has(svcKey(s))) svcs.set(svcKey(s), s);
  const own = new Map<string, KubeObject[]>();
  for (const s of slices) {
    const k = sliceSvcKey(s);
    if (!want.has(k)) continue;
    const l = own.get(k);
    if (l) l.push(s);
    else own.set(k, [s]);
  }
  return { svcs, own };
}

/** One service port's place in the shared chains' order (servicePorts' order: spn, then protocol) and its rules. */
interface PortEntry {
  order: string;
  fragment: Fragment;
  owner: string;
}

/** Binary search: the index of `key` in sorted `a`, or where it would go. */
function search(a: string[], key: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A fragment's lines in one shared chain (empty when it has none). */
const topLines = (f: Fragment, table: 'filter' | 'nat', chain: string) => f[table].get(chain) ?? [];

export class IncrementalRules {
  private readonly ruleset: Ruleset;
  /** Service `ns/name` → its ports' entries. */
  private readonly bySvc = new Map<string, PortEntry[]>();
  /** Every port entry by its order key, and the keys sorted. */
  private readonly entries = new Map<string, PortEntry>();
  private sorted: string[] = [];

  constructor(
    private readonly node: ProxyNode,
    private readonly cfg: ProxyConfig,
  ) {
    this.ruleset = { jumps: hookJumps, filter: new Map(), nat: new Map(), owners: new Map() };
  }

  /** The current ruleset (its maps are updated in place by the next update(); the rule arrays never are). */
  get rules(): Ruleset {
    return this.ruleset;
  }

  /** Recompute the services named in `changed` (`ns/name`) from the current objects; returns the chains touched. */
  update(services: KubeObject[], slices: KubeObject[], changed: Iterable<string>): DirtyChains {
    return this.recompute(services, slices, new Set(changed));
  }

  /** Every service recomputed (on a new instance: everything from scratch, for a full sync). */
  rebuild(services: KubeObject[], slices: KubeObject[]): DirtyChains {
    const dirty: DirtyChains = { filter: new Set(), nat: new Set() };
    for (const _ of this.rebuildLazily(services, slices, dirty));
    return dirty;
  }

  /**
   * rebuild() one service at a time: each service port's chains are computed
   * when asked for and yielded (they jump only among themselves and to the
   * plumbing), so a full sync can write the first ones while it computes the
   * rest; the shared chains are rebuilt once the last is taken. Until the
   * generator is done the instance holds only what it yielded.
   */
  *rebuildLazily(services: KubeObject[], slices: KubeObject[], dirty: DirtyChains = { filter: new Set(), nat: new Set() }): Generator<Fragment, void> {
    const want = new Set([...services.map(svcKey), ...this.bySvc.keys()]);
    const { svcs, own } = changedObjects(services, slices, want);
    for (const key of want) {
      const after = this.replace(key, svcs.get(key), own, dirty, true);
      for (const e of after) yield e.fragment;
    }
    // The order keys sorted once (inserting each into the sorted array would be quadratic), then the shared
    // chains always (also with no service port at all: the plumbing).
    this.sorted = [...this.entries.keys()].sort();
    this.rebuildShared(dirty);
  }

  private recompute(services: KubeObject[], slices: KubeObject[], want: Set<string>): DirtyChains {
    const dirty: DirtyChains = { filter: new Set(), nat: new Set() };
    if (!want.size) return dirty;
    const { svcs, own } = changedObjects(services, slices, want);
    let shared = false;
    for (const key of want) {
      const before = this.bySvc.get(key) ?? [];
      const after = this.replace(key, svcs.get(key), own, dirty, false);
      // Shared chains change when this service's lines in them do (or its ports come or go).
      if (!shared) shared = !sameShared(before, after);
    }
    if (shared) this.rebuildShared(dirty);
    return dirty;
  }

  /** Service `key`'s port entries recomputed from its objects (none when it is gone); returns them. */
  private replace(key: string, svc: KubeObject | undefined, own: Map<string, KubeObject[]>, dirty: DirtyChains, bulk: boolean): PortEntry[] {
    const before = this.bySvc.get(key) ?? [];
    const after: PortEntry[] = svc
      ? portsOf(svc, own.get(key) ?? []).map((sp) => ({ order: `${sp.spn}\0${sp.protocol}`, fragment: portRules(sp, this.node, this.cfg), owner: `${sp.spn}/${sp.protocol}` }))
      : [];
    for (const e of before) this.remove(e, dirty, bulk);
    for (const e of after) this.add(e, dirty, bulk);
    if (after.length) this.bySvc.set(key, after);
    else this.bySvc.delete(key);
    return after;
  }

  private remove(e: PortEntry, dirty: DirtyChains, bulk: boolean): void {
    for (const table of ['filter', 'nat'] as const) {
      for (const chain of e.fragment[table].keys()) {
        if (topLevel[table].has(chain)) continue;
        this.ruleset[table].delete(chain);
        dirty[table].add(chain);
      }
    }
    this.ruleset.owners.delete(e.owner);
    this.entries.delete(e.order);
    if (bulk) return;
    const i = search(this.sorted, e.order);
    if (this.sorted[i] === e.order) this.sorted.splice(i, 1);
  }

  private add(e: PortEntry, dirty: DirtyChains, bulk: boolean): void {
    for (const table of ['filter', 'nat'] as const) {
      for (const [chain, rules] of e.fragment[table]) {
        if (topLevel[table].has(chain)) continue;
        this.ruleset[table].set(chain, rules);
        dirty[table].add(chain);
      }
    }
    this.ruleset.owners.set(e.owner, e.fragment.owned);
    this.entries.set(e.order, e);
    if (bulk) return;
    const i = search(this.sorted, e.order);
    if (this.sorted[i] !== e.order) this.sorted.splice(i, 0, e.order);
  }

  /** The shared chains, as desiredRules builds them: the fixed plumbing, every port's lines in order, the nodeports rule last. */
  private rebuildShared(dirty: DirtyChains): void {
    const { filter, nat } = sharedChainsWithPlumbing();
    for (const k of this.sorted) {
      const f = this.entries.get(k)!.fragment;
      for (const [table, into] of [['filter', filter], ['nat', nat]] as const) {
        for (const [chain, rules] of f[table]) if (topLevel[table].has(chain)) into.get(chain)!.push(...rules);
      }
    }
    nat.get('KUBE-SERVICES')!.push(NODEPORTS_JUMP);
    for (const [table, chains] of [['filter', filter], ['nat', nat]] as const) {
      for (const [chain, rules] of chains) {
        const had = this.ruleset[table].get(chain);
        if (had && had.length === rules.length && had.every((r, i) => r === rules[i])) continue;
        this.ruleset[table].set(chain, rules);
        dirty[table].add(chain);
      }
    }
  }
}

/** Whether two versions of a service put the same lines, in the same order, into the shared chains. */
function sameShared(a: PortEntry[], b: PortEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].order !== b[i].order) return false;
    for (const table of ['filter', 'nat'] as const) {
      for (const chain of topLevel[table]) {
        const x = topLines(a[i].fragment, table, chain);
        const y = topLines(b[i].fragment, table, chain);
        if (x.length !== y.length || x.some((r, j) => r !== y[j])) return false;
      }
    }
  }
  return true;
}

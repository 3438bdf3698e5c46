// The nftables ruleset kept between syncs and updated for the services the
// change trackers name (as rules/incremental.ts for the iptables mode): a
// sync after one change computes that service's fragments, and hands the
// applier the fragments before and after so it diffs only those (the
// chains, set and map elements of unchanged services are not looked at).
// desiredNft stays the reference (test/unit/proxy-nft-incremental.test.ts). Pure.
import type { KubeObject } from '../../api/types.js';
import { portsOf } from '../rules/desired.js';
import { changedObjects, svcKey } from '../rules/incremental.js';
import { fixedPart, mapNames, nftPortRules, portKey, type NftConfig, type NftFragment, type NftRuleset } from './ruleset.js';
import type { ProxyNode, ServicePortInfo } from '../rules/desired.js';

/** What a sync changed: the changed services' fragments as they were and as they are. */
export interface NftDelta {
  before: NftFragment[];
  after: NftFragment[];
}


/** The set/map elements a fragment puts in the shared sets and maps, as `name\0key`. */
function elementKeys(f: NftFragment): string[] {
  const out = f.clusterIPs.map((ip) => `cluster-ips\0${ip}`);
  for (const m of mapNames) for (const k of f.maps[m]?.keys() ?? []) out.push(`${m}\0${k}`);
  return out;
}

export class IncrementalNft {
  private readonly ruleset: NftRuleset;
  /** Service `ns/name` → its ports' keys in `ruleset.services`. */
  private readonly bySvc = new Map<string, string[]>();
  /** Port key → its place in servicePorts' order (spn, then protocol): where two ports claim one element, the last wins. */
  private readonly order = new Map<string, string>();
  /**
   * Element → the port keys whose fragments put it there. Elements can be shared (two Services given the same
   * externalIP and port): a changed service must not take away, or overwrite, what an unchanged one still holds.
   */
  private readonly providers = new Map<string, string[]>();

  constructor(
    private readonly node: ProxyNode,
    private readonly cfg: NftConfig,
  ) {
    this.ruleset = { fixed: fixedPart(node, cfg), services: new Map() };
  }

  /** The current ruleset (its services map is updated in place by the next update(); fragments never are). */
  get rules(): NftRuleset {
    return this.ruleset;
  }

  /** Recompute the services named in `changed` (`ns/name`) from the current objects. */
  update(services: KubeObject[], slices: KubeObject[], changed: Iterable<string>): NftDelta {
    return this.recompute(services, slices, new Set(changed));
  }

  /** Every service computed, on a new instance, for a full sync (which renders everything: no delta). */
  rebuild(services: KubeObject[], slices: KubeObject[]): void {
    for (const _ of this.rebuildLazily(services, slices));
  }

  /**
   * rebuild() one service port at a time: each fragment is computed when it is
   * asked for and yielded (in the order of `rules.services`), so a full sync
   * can hand the first ones to `nft` while it computes the rest. Until the
   * generator is done the instance holds only what it yielded.
   */
  *rebuildLazily(services: KubeObject[], slices: KubeObject[]): Generator<NftFragment, void> {
    if (this.bySvc.size) throw new Error('IncrementalNft.rebuild: only on a new instance');
    const want = new Set(services.map(svcKey));
    const { svcs, own } = changedObjects(services, slices, want);
    for (const key of want) {
      const svc = svcs.get(key);
      if (!svc) continue;
      const keys: string[] = [];
      for (const sp of portsOf(svc, own.get(key) ?? [])) {
        const { pk, f } = this.add(sp);
        keys.push(pk);
        this.bySvc.set(key, keys);
        yield f;
      }
    }
  }

  /** Compute one service port's fragment and enter it: in the ruleset, in servicePorts' order, as a provider of its elements. */
  private add(sp: ServicePortInfo): { pk: string; f: NftFragment } {
    const pk = portKey(sp);
    const f = nftPortRules(sp, this.node, this.cfg);
    this.ruleset.services.set(pk, f);
    this.order.set(pk, `${sp.spn}\0${sp.protocol}`);
    for (const e of elementKeys(f)) {
      const list = this.providers.get(e);
      if (list) list.push(pk);
      else this.providers.set(e, [pk]);
    }
    return { pk, f };
  }

  private recompute(services: KubeObject[], slices: KubeObject[], want: Set<string>): NftDelta {
    const delta: NftDelta = { before: [], after: [] };
    if (!want.size) return delta;
    const { svcs, own } = changedObjects(services, slices, want);
    const touched = new Set<string>();
    const changedPorts = new Set<string>();
    const after: string[] = [];
    for (const key of want) {
      for (const pk of this.bySvc.get(key) ?? []) {
        const f = this.ruleset.services.get(pk)!;
        delta.before.push(f);
        for (const e of elementKeys(f)) {
          touched.add(e);
          const list = this.providers.get(e);
          if (!list) continue;
          const i = list.indexOf(pk);
          if (i >= 0) list.splice(i, 1);
          if (!list.length) this.providers.delete(e);
        }
        this.ruleset.services.delete(pk);
        this.order.delete(pk);
        changedPorts.add(pk);
      }
      this.bySvc.delete(key);
      const svc = svcs.get(key);
      if (!svc) continue;
      const keys: string[] = [];
      for (const sp of portsOf(svc, own.get(key) ?? [])) {
        const { pk, f } = this.add(sp);
        for (const e of elementKeys(f)) touched.add(e);
        keys.push(pk);
        after.push(pk);
        changedPorts.add(pk);
      }
      if (keys.length) this.bySvc.set(key, keys);
    }
    // Unchanged ports that share an element with a changed one come along, so the element stays theirs
    // (rendering them changes nothing else: their chains and other elements are as applied).
    const sharing = new Set<string>();
    for (const e of touched) for (const pk of this.providers.get(e) ?? []) if (!changedPorts.has(pk)) sharing.add(pk);
    // In servicePorts' order, so where ports share an element the one desiredNft keeps is the last written.
    delta.after = [...after, ...sharing]
      .sort((a, b) => (this.order.get(a)! < this.order.get(b)! ? -1 : 1))
      .map((pk) => this.ruleset.services.get(pk)!);
    return delta;
  }
}

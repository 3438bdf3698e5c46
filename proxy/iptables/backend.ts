// The iptables mode as a ProxyBackend: IncrementalRules (pure: the ruleset
// desiredRules computes, kept between syncs and recomputed for the services
// the change trackers name) → IptablesApplier (one iptables-restore, only
// the chains those services touched, and only where they differ).
import type { Logger } from 'pino';
import { IptablesApplier, type Exec } from '../apply.js';
import type { BackendSyncResult, LiveRules, ProxyBackend, SyncInput, SyncOptions } from '../backend.js';
import { IncrementalRules } from '../rules/incremental.js';
import { liveRulesFor } from '../rules/live.js';
import { groupsOf, type ChainGroup } from '../rules/render.js';

export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables' as const;
  readonly applier: IptablesApplier;
  private rules: IncrementalRules | undefined;
  private rulesKey = '';
  private jumpsChecked = false;
  /** Per service port (`spn/proto`), the chains it owns, from the last sync (explain-route --live). */
  private owners = new Map<string, string[]>();

  constructor(
    private readonly exec: Exec,
    private readonly log?: Logger,
  ) {
    this.applier = new IptablesApplier(exec);
  }

  async start(): Promise<void> {
    const took = await this.applier.takeOver();
    this.log?.info({ chains: took }, 'took over existing iptables chains');
  }

  async sync(input: SyncInput, o: SyncOptions): Promise<BackendSyncResult> {
    // A full sync (or a new node/config) starts from scratch; a partial one recomputes the changed services.
    const key = `${input.node.name}\0${input.node.ips.join(',')}\0${input.cfg.clusterCIDR}`;
    const fresh = o.full || !this.rules || this.rulesKey !== key;
    let res;
    if (o.full || !this.applier.state) {
      // Full: the kernel is read (in iptables-save's own processes) while the rules are computed, and each batch
      // of chains is written while the next is computed.
      const read = this.applier.readKernel();
      let groups: Iterable<ChainGroup>;
      if (fresh) {
        this.rules = new IncrementalRules(input.node, input.cfg);
        this.rulesKey = key;
        groups = this.rules.rebuildLazily(input.services, input.slices);
      } else {
        this.rules!.update(input.services, input.slices, o.changed.services);
        groups = groupsOf(this.rules!.rules);
      }
      const rules = this.rules!;
      try {
        res = await this.applier.syncFull(read, groups, () => rules.rules);
      } catch (e) {
        this.rules = undefined; // a lazy rebuild may have stopped half-way: the next sync starts again
        throw e;
      }
    } else {
      if (fresh) {
        this.rules = new IncrementalRules(input.node, input.cfg);
        this.rulesKey = key;
      }
      const dirty = fresh ? this.rules!.rebuild(input.services, input.slices) : this.rules!.update(input.services, input.slices, o.changed.services);
      res = await this.applier.sync(this.rules!.rules, false, fresh ? undefined : dirty);
    }
    const rules = this.rules!.rules;
    this.owners = rules.owners;
    // Chains first, then the jumps into them from the built-in chains.
    if (o.full || !this.jumpsChecked) {
      await this.applier.ensureJumps(rules.jumps);
      this.jumpsChecked = true;
    }
    return { changed: res.changed, rules: res.rules, written: res.chainsWritten, ms: res.ms };
  }

  async intact(): Promise<boolean> {
    return this.applier.intact();
  }

  async liveRules(service: string): Promise<LiveRules> {
    const owned = new Set([...this.owners].filter(([k]) => k === service || k.startsWith(`${service}:`) || k.startsWith(`${service}/`)).flatMap(([, c]) => c));
    const save = await this.exec('iptables-save', ['-c']);
    if (save.code !== 0) return { rules: [], error: save.stderr.trim() };
    return { rules: liveRulesFor(save.stdout, service, owned) };
  }

  async cleanup(): Promise<void> {
    await this.applier.cleanup();
    this.rules = undefined;
    this.owners = new Map();
  }
}

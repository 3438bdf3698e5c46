// The iptables mode as a ProxyBackend: desiredRules (pure, cached per
// service, the cache invalidated by the change trackers) → IptablesApplier
// (one iptables-restore, only the chains that differ).
import type { Logger } from 'pino';
import { IptablesApplier, type Exec } from '../apply.js';
import type { BackendSyncResult, LiveRules, ProxyBackend, SyncInput, SyncOptions } from '../backend.js';
import { RulesCache, desiredRules } from '../rules/desired.js';
import { liveRulesFor } from '../rules/live.js';

export class IptablesBackend implements ProxyBackend {
  readonly mode = 'iptables' as const;
  readonly applier: IptablesApplier;
  private cache = new RulesCache();
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
    if (o.full) this.cache = new RulesCache();
    else this.cache.invalidate(o.changed.services);
    const rules = desiredRules(input.services, input.slices, input.node, input.cfg, this.cache);
    this.owners = rules.owners;
    // Chains first, then the jumps into them from the built-in chains.
    const res = await this.applier.sync(rules, o.full);
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
    this.cache = new RulesCache();
    this.owners = new Map();
  }
}

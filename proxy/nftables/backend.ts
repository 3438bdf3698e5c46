// The nftables mode as a ProxyBackend: IncrementalNft (pure: the ruleset
// desiredNft computes, kept between syncs and recomputed for the services
// the change trackers name) → NftApplier (one `nft -f -` transaction, only
// the chains and map elements of those services that differ).
import type { Logger } from 'pino';
import type { Exec } from '../apply.js';
import type { BackendSyncResult, LiveRules, ProxyBackend, SyncInput, SyncOptions } from '../backend.js';
import { NftApplier } from './apply.js';
import type { NftTransactions } from './session.js';
import { IncrementalNft } from './incremental.js';
import { ownedBy, type NftConfig, type NftFragment } from './ruleset.js';

export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly applier: NftApplier;
  private rules: IncrementalNft | undefined;
  private rulesKey = '';

  constructor(
    exec: Exec,
    private readonly log?: Logger,
    nft = '/usr/sbin/nft',
    private readonly extra: Partial<NftConfig> = {},
    session?: NftTransactions,
  ) {
    this.applier = new NftApplier(exec, nft, session);
  }

  async start(): Promise<void> {
    // Nothing to take over in memory: the first sync is full, rewrites every chain in one transaction
    // (no gap for traffic) and deletes the per-service chains a previous proxy left that are not wanted.
    const { chains } = await this.applier.existing();
    this.log?.info({ chains: chains.length }, 'found existing nftables service chains');
  }

  async sync(input: SyncInput, o: SyncOptions): Promise<BackendSyncResult> {
    // A full sync (or a new node/config) starts from scratch; a partial one recomputes the changed services.
    const cfg = { ...input.cfg, ...this.extra };
    const key = JSON.stringify([input.node, cfg]);
    const fresh = o.full || !this.rules || this.rulesKey !== key;
    if (o.full || !this.applier.state) {
      // Full: list the kernel's chains (in nft's own process) while the ruleset is computed, and stream the
      // transaction into nft as each service is computed.
      const existing = this.applier.existing();
      existing.catch(() => undefined); // awaited by the applier
      let fragments: Iterable<NftFragment>;
      if (fresh) {
        this.rules = new IncrementalNft(input.node, cfg);
        this.rulesKey = key;
        fragments = this.rules.rebuildLazily(input.services, input.slices);
      } else {
        this.rules!.update(input.services, input.slices, o.changed.services);
        fragments = this.rules!.rules.services.values();
      }
      try {
        const res = await this.applier.syncFull(this.rules!.rules.fixed, fragments, existing);
        return { changed: res.changed, rules: res.rules, written: res.chainsWritten, ms: res.ms };
      } catch (e) {
        this.rules = undefined; // a lazy rebuild may have stopped half-way: the next sync starts again
        throw e;
      }
    }
    if (fresh) {
      this.rules = new IncrementalNft(input.node, cfg);
      this.rulesKey = key;
      this.rules.rebuild(input.services, input.slices);
    }
    const delta = fresh ? undefined : this.rules!.update(input.services, input.slices, o.changed.services);
    const res = await this.applier.sync(this.rules!.rules, false, delta);
    return { changed: res.changed, rules: res.rules, written: res.chainsWritten, ms: res.ms };
  }

  async intact(): Promise<boolean> {
    return this.applier.intact();
  }

  async liveRules(service: string): Promise<LiveRules> {
    // Per service port (`spn/proto`), the chains it owns, from the ruleset as last synced.
    const chains = [...(this.rules?.rules.services ?? [])]
      .filter(([k]) => k.startsWith(`${service}/`) || k.startsWith(`${service}:`))
      .flatMap(([, f]) => ownedBy(f).filter((c) => !c.startsWith('affinity-')));
    try {
      return { rules: await this.applier.liveRules(chains) };
    } catch (e) {
      return { rules: [], error: (e as Error).message };
    }
  }

  async cleanup(): Promise<void> {
    await this.applier.cleanup();
    this.rules = undefined;
  }
}



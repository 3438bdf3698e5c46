// The nftables mode as a ProxyBackend: desiredNft (pure, cached per service,
// the cache invalidated by the change trackers) → NftApplier (one
// `nft -f -` transaction, only the chains and map elements that differ).
import type { Logger } from 'pino';
import type { Exec } from '../apply.js';
import type { BackendSyncResult, LiveRules, ProxyBackend, SyncInput, SyncOptions } from '../backend.js';
import { RulesCache } from '../rules/desired.js';
import { NftApplier } from './apply.js';
import { NftCache, desiredNft, ownedBy, type NftConfig } from './ruleset.js';

export class NftablesBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  readonly applier: NftApplier;
  private cache = { rules: new RulesCache(), nft: new NftCache() };
  /** Per service port (`spn/proto`), the chains and sets it owns, from the last sync (explain-route --live). */
  private owners = new Map<string, string[]>();

  constructor(
    exec: Exec,
    private readonly log?: Logger,
    nft = '/usr/sbin/nft',
    private readonly extra: Partial<NftConfig> = {},
  ) {
    this.applier = new NftApplier(exec, nft);
  }

  async start(): Promise<void> {
    // Nothing to take over in memory: the first sync is full, rewrites every chain in one transaction
    // (no gap for traffic) and deletes the per-service chains a previous proxy left that are not wanted.
    const { chains } = await this.applier.existing();
    this.log?.info({ chains: chains.length }, 'found existing nftables service chains');
  }

  async sync(input: SyncInput, o: SyncOptions): Promise<BackendSyncResult> {
    if (o.full) this.cache = { rules: new RulesCache(), nft: new NftCache() };
    else this.cache.rules.invalidate(o.changed.services);
    const want = desiredNft(input.services, input.slices, input.node, { ...input.cfg, ...this.extra }, this.cache);
    const owners = new Map<string, string[]>();
    for (const [k, f] of want.services) owners.set(k, ownedBy(f));
    const res = await this.applier.sync(want, o.full);
    this.owners = owners;
    return { changed: res.changed, rules: res.rules, written: res.chainsWritten, ms: res.ms };
  }

  async intact(): Promise<boolean> {
    return this.applier.intact();
  }

  async liveRules(service: string): Promise<LiveRules> {
    const chains = [...this.owners]
      .filter(([k]) => k.startsWith(`${service}/`) || k.startsWith(`${service}:`))
      .flatMap(([, owned]) => owned.filter((c) => !c.startsWith('affinity-')));
    try {
      return { rules: await this.applier.liveRules(chains) };
    } catch (e) {
      return { rules: [], error: (e as Error).message };
    }
  }

  async cleanup(): Promise<void> {
    await this.applier.cleanup();
    this.cache = { rules: new RulesCache(), nft: new NftCache() };
    this.owners = new Map();
  }
}



// The nftables applier: the one effectful edge of the nftables data path.
// One `nft -f -` transaction per sync (atomic: the table is never seen half
// written), only the difference when it knows what the kernel holds, nothing
// when nothing changed; deletes the chains and affinity sets that are gone;
// checks cheaply that the table is still ours; reads the counters back for
// `explain-route --live`; removes the table on cleanup.
import type { Exec, ExecInput, ExecResult } from '../apply.js';
import { isAffinitySetName, isServiceChainName } from './names.js';
import { FAMILY, TABLE, type FixedPart, type NftFragment, type NftRuleset } from './ruleset.js';
import { fixedKey, renderCleanup, renderDelta, renderFull, renderNft, staleText, warmLine, type AppliedNft, type Existing } from './render.js';
import type { NftTransactions } from './session.js';
import type { NftDelta } from './incremental.js';
import type { LiveRule } from '../rules/live.js';

export interface NftSyncResult {
  changed: boolean;
  chainsWritten: number;
  elementsWritten: number;
  /** Rules in the per-service chains plus map elements after the sync. */
  rules: number;
  ms: number;
}

/** Rules in the per-service chains plus map and set elements of an applied state. */
function countApplied(a: AppliedNft): number {
  let n = a.clusterIPs.size;
  for (const rs of a.chains.values()) n += rs.length;
  for (const m of Object.values(a.maps)) n += m.size;
  return n;
}

const noTable = (r: ExecResult) => r.code !== 0 && /No such file or directory|does not exist/i.test(r.stderr);

export class NftApplier {
  private applied: AppliedNft | undefined;

  /**
   * `session`: a long-lived `nft -i` for the partial syncs (session.ts);
   * without one (or for text it cannot take) every sync is an `nft -f -`.
   */
  constructor(
    private readonly exec: Exec,
    readonly nft = '/usr/sbin/nft',
    private readonly session?: NftTransactions,
  ) {}

  /** What the last sync applied (undefined: unknown, the next sync is full). */
  get state(): AppliedNft | undefined {
    return this.applied;
  }

  private async run(args: string[], input?: ExecInput): Promise<ExecResult> {
    return this.exec(this.nft, args, input);
  }

  /** One partial sync's transaction: through the session when it takes it, else `nft -f -`. */
  private async write(text: string): Promise<ExecResult> {
    return (await this.session?.apply(text)) ?? this.run(['-f', '-'], text);
  }

  /** After a sync went in: let the session load nft's cache before the next one needs it. */
  private warm(): void {
    const line = this.session && this.applied && warmLine(this.applied);
    if (line) void this.session!.warm(line);
  }

  /**
   * The per-service chains and affinity sets the kernel has in our table now
   * (names only: `nft list chains` / `list sets` print no rules or elements).
   */
  async existing(): Promise<{ chains: string[]; affinity: string[] }> {
    const chains: string[] = [];
    const affinity: string[] = [];
    const [c, s] = await Promise.all([this.run(['-j', 'list', 'chains', FAMILY]), this.run(['-j', '-t', 'list', 'sets', FAMILY])]);
    if (c.code !== 0) throw new Error(`nft list chains: ${c.stderr.trim()}`);
    for (const o of JSON.parse(c.stdout).nftables ?? []) if (o.chain?.table === TABLE && isServiceChainName(o.chain.name)) chains.push(o.chain.name);
    if (s.code !== 0) throw new Error(`nft list sets: ${s.stderr.trim()}`);
    for (const o of JSON.parse(s.stdout).nftables ?? []) if (o.set?.table === TABLE && isAffinitySetName(o.set.name)) affinity.push(o.set.name);
    return { chains, affinity };
  }

  /**
   * Apply `want`. Partial (only what differs from the last sync) unless
   * `full` or the last state is unknown; a full sync rewrites every chain and
   * map and deletes whatever per-service chain or set the kernel has that is
   * not wanted (a previous proxy's, or one somebody added).
   */
  async sync(want: NftRuleset, full = false, delta?: NftDelta): Promise<NftSyncResult> {
    const t0 = performance.now();
    if (full || !this.applied) return this.syncFull(want.fixed, want.services.values());
    // A partial sync that knows the changed services' fragments diffs only those (IncrementalNft).
    if (delta && this.applied.fixedKey === fixedKey(want.fixed)) {
      const d = renderDelta(this.applied, delta.before, delta.after);
      const rules = () => countApplied(this.applied!);
      if (d.empty) return { changed: false, chainsWritten: 0, elementsWritten: 0, rules: rules(), ms: performance.now() - t0 };
      const res = await this.write(d.text);
      if (res.code !== 0) {
        this.applied = undefined;
        throw new Error(`nft -f failed: ${res.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
      }
      d.commit();
      this.warm();
      return { changed: true, chainsWritten: d.chainsWritten, elementsWritten: d.elementsWritten, rules: rules(), ms: performance.now() - t0 };
    }
    const r = renderNft(want, this.applied);
    const count = () => countApplied(r.applied);
    if (r.empty) return { changed: false, chainsWritten: 0, elementsWritten: 0, rules: count(), ms: performance.now() - t0 };
    const res = await this.write(r.text);
    if (res.code !== 0) {
      this.applied = undefined; // unknown state: the next sync is full
      throw new Error(`nft -f failed: ${res.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
    }
    this.applied = r.applied;
    this.warm();
    return { changed: true, chainsWritten: r.chainsWritten, elementsWritten: r.elementsWritten, rules: count(), ms: performance.now() - t0 };
  }

  /**
   * A full sync: rewrite every chain and map and delete whatever per-service
   * chain or set the kernel has that is not wanted (a previous proxy's, or
   * one somebody added), in one transaction. The text goes to `nft -f -` as
   * it is produced from `fragments` (which may be computed lazily, see
   * IncrementalNft.rebuildLazily), so our work overlaps nft's parsing; the
   * list of what the kernel has (`existing`, started by the caller before it
   * computed anything, or now) is needed only for the transaction's end. If
   * anything fails before the text is complete, nft is killed and commits
   * nothing.
   */
  async syncFull(fixed: FixedPart, fragments: Iterable<NftFragment>, existing?: Promise<Existing>): Promise<NftSyncResult> {
    const t0 = performance.now();
    this.applied = undefined; // unknown until this transaction is in
    const kernel = existing ?? this.existing();
    kernel.catch(() => undefined); // awaited below, after the body; a failure before then must not go unhandled
    const full = renderFull(fixed, fragments);
    async function* input(): AsyncGenerator<string> {
      yield* full.pieces;
      yield staleText(full.applied, await kernel);
    }
    const res = await this.run(['-f', '-'], input());
    if (res.code !== 0) throw new Error(`nft -f failed: ${res.stderr.trim().split('\n').slice(0, 4).join(' | ')}`);
    this.applied = full.applied;
    this.warm();
    return { changed: true, chainsWritten: full.stats.chainsWritten, elementsWritten: full.stats.elementsWritten, rules: countApplied(full.applied), ms: performance.now() - t0 };
  }

  /**
   * Whether the kernel still holds the table as we left it, judged from the
   * dispatch (the `services` chain and the `service-ips` map's element count):
   * false after the table was deleted or flushed, or the map emptied.
   */
  async intact(): Promise<boolean> {
    if (!this.applied) return false;
    const c = await this.run(['-j', 'list', 'chain', FAMILY, TABLE, 'services']);
    if (c.code !== 0) return false;
    if ((JSON.parse(c.stdout).nftables ?? []).filter((o: any) => o.rule).length !== 2) return false;
    const m = await this.run(['-j', 'list', 'map', FAMILY, TABLE, 'service-ips']);
    if (m.code !== 0) return false;
    const map = (JSON.parse(m.stdout).nftables ?? []).find((o: any) => o.map)?.map;
    return (map?.elem?.length ?? 0) === this.applied.maps['service-ips'].size;
  }

  /** The rules of these chains with their counters (`nft list chain`, one per chain: cheap at any table size). */
  async liveRules(chains: string[]): Promise<LiveRule[]> {
    const out: LiveRule[] = [];
    for (const chain of chains) {
      const r = await this.run(['list', 'chain', FAMILY, TABLE, chain]);
      if (r.code === 0) out.push(...parseChainListing(r.stdout));
    }
    return out;
  }

  /** Delete table ip kube-proxy (mk8s proxy --cleanup, switching to the iptables mode). */
  async cleanup(): Promise<void> {
    const r = await this.run(['-f', '-'], renderCleanup());
    if (r.code !== 0 && !noTable(r)) throw new Error(`nft delete table: ${r.stderr.trim()}`);
    this.applied = undefined;
  }
}

/** `nft list chain` text → its rules with their counters (a rule without a counter reads 0). Pure. */
export function parseChainListing(text: string): LiveRule[] {
  const out: LiveRule[] = [];
  let chain = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^chain (\S+) \{$/.exec(line);
    if (head) {
      chain = head[1];
      continue;
    }
    if (!chain || !line || line === '}' || line.startsWith('table ') || /^type \S+ hook /.test(line)) continue;
    const m = / ?counter packets (\d+) bytes (\d+)/.exec(line);
    out.push({ table: `${FAMILY} ${TABLE}`, chain, rule: m ? line.replace(m[0], '').trim() : line, packets: m ? Number(m[1]) : 0, bytes: m ? Number(m[2]) : 0 });
  }
  return out;
}

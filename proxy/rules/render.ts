// Ruleset → iptables-restore input. With `--noflush`, declaring a chain
// (`:CHAIN - [0:0]`) flushes it and leaves every other chain alone, so a
// partial sync writes only the chains whose rules changed and deletes the
// ones that are gone. Unlike kube-proxy (which rewrites KUBE-SERVICES and the
// other shared chains on every sync), the long shared chains get rule-level
// edits: on the nf_tables backend a rewrite costs time in proportion to the
// chain. Pure.
import { sharedChainsWithPlumbing, topLevelChains, type Chains, type Ruleset } from './desired.js';

const topLevel = { filter: new Set(topLevelChains.filter), nat: new Set(topLevelChains.nat) };

export interface AppliedState {
  filter: Chains;
  nat: Chains;
}

/** Chains mk8s owns (kube-proxy's names), so a cleanup or takeover never touches anyone else's. */
export function isOurChain(name: string): boolean {
  return /^KUBE-(SERVICES|EXTERNAL-SERVICES|FORWARD|NODEPORTS|PROXY-FIREWALL|POSTROUTING|MARK-MASQ|SVC-|SEP-|EXT-|SVL-|FW-)/.test(name);
}

export function sameRules(a: string[] | undefined, b: string[] | undefined): boolean {
  return !!a && !!b && (a === b || (a.length === b.length && a.every((r, i) => r === b[i])));
}

/**
 * Rule-level edits that turn chain `had` into `want`: `-D` of each rule that
 * goes, then `-I` of each new rule at its final position. For the long shared
 * chains (KUBE-SERVICES holds a rule per service port): iptables-nft takes
 * ~1.7 s to rewrite a 10,000-rule chain and ~0.3 s for a few edits. Undefined
 * when a rewrite is the simpler answer: a short chain, many edits, duplicate
 * rules, or kept rules whose order changed.
 */
export function chainEdits(chain: string, had: string[], want: string[]): string[] | undefined {
  const limit = Math.min(500, want.length / 4);
  if (limit < 1) return undefined;
  const hadSet = new Set(had);
  const wantSet = new Set(want);
  if (hadSet.size !== had.length || wantSet.size !== want.length) return undefined;
  const ops: string[] = [];
  for (const r of had) if (!wantSet.has(r)) ops.push(`-D ${chain} ${r}`);
  // After the deletions the chain holds the kept rules in `had`'s order; they must be in `want`'s order too.
  let k = 0;
  for (const r of had) {
    if (!wantSet.has(r)) continue;
    while (k < want.length && !hadSet.has(want[k])) k++;
    if (want[k++] !== r) return undefined;
  }
  // Inserting in ascending final position: every rule before position i+1 is already in place.
  want.forEach((r, i) => {
    if (!hadSet.has(r)) ops.push(`-I ${chain} ${i + 1} ${r}`);
  });
  return ops.length <= limit ? ops : undefined;
}

/**
 * Append what turns chain `prev` (undefined: not there) into `rs` to the restore text's parts: rule-level
 * edits for a long shared chain, else a declaration (flushing it) and every rule. False when nothing differs.
 */
function writeChain(chain: string, prev: string[] | undefined, rs: string[], top: Set<string>, declare: string[], rules: string[]): boolean {
  if (prev && sameRules(prev, rs)) return false;
  const edits = prev && top.has(chain) ? chainEdits(chain, prev, rs) : undefined;
  if (edits) rules.push(...edits);
  else {
    declare.push(`:${chain} - [0:0]`);
    for (const r of rs) rules.push(`-A ${chain} ${r}`);
  }
  return true;
}

function renderTable(table: 'filter' | 'nat', want: Chains, had: Chains | undefined, o: { only?: Set<string>; deletes?: boolean } = {}): { text: string; written: number } {
  const top = new Set(topLevelChains[table]);
  const declare: string[] = [];
  const rules: string[] = [];
  const deletes: string[] = [];
  let written = 0;
  // With `only` (one batch of a split full sync), only those chains: not a walk over every chain per batch.
  for (const chain of o.only ?? want.keys()) {
    const rs = want.get(chain);
    if (rs && writeChain(chain, had?.get(chain), rs, top, declare, rules)) written++;
  }
  for (const chain of o.deletes === false ? [] : (had?.keys() ?? [])) {
    if (want.has(chain) || !isOurChain(chain)) continue;
    declare.push(`:${chain} - [0:0]`);
    deletes.push(`-X ${chain}`);
  }
  return { text: [`*${table}`, ...declare, ...rules, ...deletes, 'COMMIT'].join('\n') + '\n', written };
}

/**
 * The restore text that turns `had` (what the kernel has, as far as we know;
 * undefined = write everything) into `want`.
 */
export function renderRestore(want: Ruleset, had?: AppliedState): { text: string; chainsWritten: number } {
  const f = renderTable('filter', want.filter, had?.filter);
  const n = renderTable('nat', want.nat, had?.nat);
  return { text: f.text + n.text, chainsWritten: f.written + n.written };
}

/**
 * The restore text for only the chains a sync touched (`dirty`, from
 * IncrementalRules): each written if it differs from `had`, deleted if it is
 * gone from `want`. The same changes renderRestore finds by comparing every
 * chain, without looking at the others.
 */
export function renderRestoreDirty(want: Ruleset, had: AppliedState, dirty: { filter: Set<string>; nat: Set<string> }): { text: string; chainsWritten: number; deleted: number } {
  let text = '';
  let chainsWritten = 0;
  let deleted = 0;
  for (const table of ['filter', 'nat'] as const) {
    const top = new Set(topLevelChains[table]);
    const declare: string[] = [];
    const rules: string[] = [];
    const deletes: string[] = [];
    for (const chain of dirty[table]) {
      const rs = want[table].get(chain);
      const prev = had[table].get(chain);
      if (!rs) {
        if (prev && isOurChain(chain)) {
          declare.push(`:${chain} - [0:0]`);
          deletes.push(`-X ${chain}`);
          deleted++;
        }
        continue;
      }
      if (writeChain(chain, prev, rs, top, declare, rules)) chainsWritten++;
    }
    text += [`*${table}`, ...declare, ...rules, ...deletes, 'COMMIT'].join('\n') + '\n';
  }
  return { text, chainsWritten, deleted };
}

/** Fixed plumbing every endpoint chain jumps to: written before them when a sync is split. */
const plumbing = new Set(['KUBE-MARK-MASQ', 'KUBE-POSTROUTING']);

/** Write order when a sync is split: a chain's jump targets exist before it (plumbing, SEP, SVC/SVL, EXT/FW, then the shared chains). */
function chainRank(chain: string): number {
  if (plumbing.has(chain)) return 0;
  if (chain.startsWith('KUBE-SEP-')) return 1;
  if (chain.startsWith('KUBE-SVC-') || chain.startsWith('KUBE-SVL-')) return 2;
  if (chain.startsWith('KUBE-EXT-') || chain.startsWith('KUBE-FW-')) return 3;
  return 4;
}

/** Chains to write in one go: per table, chain → rules. */
export interface ChainGroup {
  filter: Chains;
  nat: Chains;
}

/**
 * A full sync's `--noflush` restore texts, built while the ruleset is still
 * being computed, touching only our chains: foreign chains and the built-in
 * ones never appear, so rules another program adds meanwhile stay.
 * iptables-nft's `--noflush` slows down far faster than linearly with the
 * chains declared in one run (1.8.9, 3,000 services: 107 s in one run
 * against 11 s in runs of 500 chains), so a large rewrite is split. add()
 * takes groups of per-service chains that jump only within the group, to the
 * plumbing, or to earlier groups (a service port's chains, as
 * IncrementalRules.rebuildLazily yields them; or single chains in jump
 * order, groupsOf) and hands back a text whenever `maxChains` differ from
 * what the kernel had — the first one also writes the plumbing (KUBE-MARK-MASQ,
 * KUBE-POSTROUTING) they jump to; nothing jumps to the new chains yet, or the
 * old version keeps serving. finish() is the last text: what is left, the
 * shared chains (KUBE-SERVICES and the others) and the deletions of stale
 * chains. When no more than `maxChains` differ, finish() alone is the whole
 * sync: one atomic transaction. Pure, but for `had`, which it brings up to
 * date with the plumbing it hands out.
 */
export class FullSyncBatches {
  private pending: ChainGroup = { filter: new Map(), nat: new Map() };
  private size = 0;
  private plumbed = false;
  /** Chains the last text writes. */
  private lastWritten = 0;
  /** Chains written (or to be written by finish()) that differ from what the kernel had. */
  chainsWritten = 0;

  constructor(
    private readonly had: AppliedState,
    private readonly maxChains = 500,
  ) {}

  add(group: ChainGroup): string | undefined {
    for (const table of ['filter', 'nat'] as const) {
      for (const [chain, rules] of group[table]) {
        if (topLevel[table].has(chain) || sameRules(this.had[table].get(chain), rules)) continue;
        this.pending[table].set(chain, rules);
        this.size++;
      }
    }
    if (this.size < this.maxChains) return undefined;
    const plumbed: Chains = new Map();
    if (!this.plumbed) {
      // The plumbing first (the first batch's chains jump to KUBE-MARK-MASQ); finish() then finds it in place.
      this.plumbed = true;
      for (const [chain, rules] of sharedChainsWithPlumbing().nat) {
        if (plumbing.has(chain) && !sameRules(this.had.nat.get(chain), rules)) plumbed.set(chain, rules);
      }
      for (const [chain, rules] of plumbed) this.pending.nat.set(chain, rules);
    }
    const text = this.take(this.pending, false);
    for (const [chain, rules] of plumbed) this.had.nat.set(chain, rules);
    return text;
  }

  /** The last text (undefined: nothing left to write or delete), against the complete ruleset. */
  finish(want: Ruleset): string | undefined {
    for (const table of ['filter', 'nat'] as const) for (const chain of topLevel[table]) if (want[table].has(chain)) this.pending[table].set(chain, want[table].get(chain)!);
    const stale = hasStale(want, this.had);
    const text = this.take({ filter: want.filter, nat: want.nat }, true, this.pending);
    return this.lastWritten || stale ? text : undefined;
  }

  /** Render the pending chains (looked up in `from`) and start a new batch. */
  private take(from: ChainGroup, deletes: boolean, only: ChainGroup = from): string {
    const f = renderTable('filter', from.filter, this.had.filter, { only: new Set(only.filter.keys()), deletes });
    const n = renderTable('nat', from.nat, this.had.nat, { only: new Set(only.nat.keys()), deletes });
    this.lastWritten = f.written + n.written;
    this.chainsWritten += this.lastWritten;
    this.pending = { filter: new Map(), nat: new Map() };
    this.size = 0;
    return f.text + n.text;
  }
}

/** A whole ruleset's per-service chains as single-chain groups in jump order (SEP, SVC/SVL, EXT/FW), for FullSyncBatches. */
export function* groupsOf(want: Ruleset): Generator<ChainGroup, void> {
  const chains: { table: 'filter' | 'nat'; chain: string }[] = [];
  for (const table of ['filter', 'nat'] as const) for (const chain of want[table].keys()) if (chainRank(chain) < 4 && !plumbing.has(chain)) chains.push({ table, chain });
  chains.sort((a, b) => chainRank(a.chain) - chainRank(b.chain));
  for (const { table, chain } of chains) {
    const g: ChainGroup = { filter: new Map(), nat: new Map() };
    g[table].set(chain, want[table].get(chain)!);
    yield g;
  }
}

const hasStale = (want: Ruleset, had: AppliedState) => (['filter', 'nat'] as const).some((t) => [...had[t].keys()].some((c) => isOurChain(c) && !want[t].has(c)));

/** Restore text that removes every chain we own (for `mk8s proxy --cleanup`). */
export function renderCleanup(existing: AppliedState): string {
  const table = (name: string, chains: Chains) => {
    const ours = [...chains.keys()].filter(isOurChain);
    return [`*${name}`, ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT'].join('\n') + '\n';
  };
  return table('filter', existing.filter) + table('nat', existing.nat);
}

/** Parse iptables-save output into chains (rules without the `-A CHAIN ` prefix) per table. */
export function parseSave(text: string): AppliedState {
  const out: AppliedState = { filter: new Map(), nat: new Map() };
  let cur: Chains | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) cur = line === '*filter' ? out.filter : line === '*nat' ? out.nat : undefined;
    else if (!cur) continue;
    else if (line.startsWith(':')) cur.set(line.slice(1).split(' ')[0], cur.get(line.slice(1).split(' ')[0]) ?? []);
    else if (line.startsWith('-A ')) {
      const sp = line.indexOf(' ', 3);
      const chain = line.slice(3, sp);
      if (!cur.has(chain)) cur.set(chain, []);
      cur.get(chain)!.push(line.slice(sp + 1));
    }
  }
  return out;
}

export function ruleCount(r: { filter: Chains; nat: Chains }): number {
  let n = 0;
  for (const t of [r.filter, r.nat]) for (const rs of t.values()) n += rs.length;
  return n;
}

const builtinChains: Record<'filter' | 'nat', string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/** The chain a rule jumps to (`-j X`), or ''. */
export const jumpTarget = (rule: string) => / -j (\S+)/.exec(` ${rule}`)?.[1] ?? '';

/**
 * (No longer used by the applier: it would restore foreign rules from a copy
 * read before, losing any added meanwhile; see FullSyncBatches.)
 * Whole-table restore text (for `iptables-restore` without `--noflush`): our
 * chains and hook jumps, plus everything else the tables hold (read from
 * `iptables-save` just before), kept verbatim. iptables-nft's `--noflush`
 * mode slows down sharply with the number of chains declared (3,000
 * services: 39 s against 2 s), so full syncs replace the whole tables in one
 * atomic step and only partial syncs use `--noflush`.
 */
export function renderWholeTables(want: Ruleset, saved: string): string {
  let out = '';
  for (const table of ['filter', 'nat'] as const) {
    const policies = new Map<string, string>(builtinChains[table].map((c) => [c, 'ACCEPT']));
    const foreignChains: string[] = [];
    const foreignRules: string[] = [];
    let inTable = false;
    for (const line of saved.split('\n')) {
      if (line.startsWith('*')) inTable = line === `*${table}`;
      if (!inTable) continue;
      const decl = /^:(\S+) (\S+)/.exec(line);
      if (decl) {
        if (decl[2] !== '-') policies.set(decl[1], decl[2]);
        else if (!isOurChain(decl[1])) foreignChains.push(decl[1]);
      } else if (line.startsWith('-A ')) {
        const chain = line.slice(3, line.indexOf(' ', 3));
        if (!isOurChain(chain) && !isOurChain(jumpTarget(line))) foreignRules.push(line);
      }
    }
    const jumps = want.jumps.filter((j) => j.table === table);
    const lines = [`*${table}`];
    for (const [c, p] of policies) lines.push(`:${c} ${p} [0:0]`);
    for (const c of foreignChains) lines.push(`:${c} - [0:0]`);
    for (const c of want[table].keys()) lines.push(`:${c} - [0:0]`);
    // As kube-proxy: our jumps first in the built-in chains, POSTROUTING's last.
    for (const j of jumps) if (j.chain !== 'POSTROUTING') lines.push(`-A ${j.chain} ${j.rule}`);
    lines.push(...foreignRules);
    for (const j of jumps) if (j.chain === 'POSTROUTING') lines.push(`-A ${j.chain} ${j.rule}`);
    for (const [c, rs] of want[table]) for (const r of rs) lines.push(`-A ${c} ${r}`);
    lines.push('COMMIT');
    out += lines.join('\n') + '\n';
  }
  return out;
}

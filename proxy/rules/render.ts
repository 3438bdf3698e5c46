// Ruleset → iptables-restore input. With `--noflush`, declaring a chain
// (`:CHAIN - [0:0]`) flushes it and leaves every other chain alone, so a
// partial sync (as kube-proxy ≥1.28) writes the shared top-level chains plus
// only the service chains whose rules changed, and deletes the ones that are
// gone. Pure.
import { topLevelChains, type Chains, type Ruleset } from './desired.js';

export interface AppliedState {
  filter: Chains;
  nat: Chains;
}

/** Chains mk8s owns (kube-proxy's names), so a cleanup or takeover never touches anyone else's. */
export function isOurChain(name: string): boolean {
  return /^KUBE-(SERVICES|EXTERNAL-SERVICES|FORWARD|NODEPORTS|PROXY-FIREWALL|POSTROUTING|MARK-MASQ|SVC-|SEP-|EXT-|SVL-|FW-)/.test(name);
}

function sameRules(a: string[] | undefined, b: string[] | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((r, i) => r === b[i]);
}

function renderTable(table: 'filter' | 'nat', want: Chains, had: Chains | undefined): { text: string; written: number } {
  const top = new Set(topLevelChains[table]);
  const declare: string[] = [];
  const rules: string[] = [];
  const deletes: string[] = [];
  let written = 0;
  for (const [chain, rs] of want) {
    if (had && !top.has(chain) && sameRules(had.get(chain), rs)) continue;
    declare.push(`:${chain} - [0:0]`);
    for (const r of rs) rules.push(`-A ${chain} ${r}`);
    written++;
  }
  for (const chain of had?.keys() ?? []) {
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

const jumpTarget = (rule: string) => / -j (\S+)/.exec(` ${rule}`)?.[1] ?? '';

/**
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

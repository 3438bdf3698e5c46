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

// NftRuleset → the text of one `nft -f -` transaction. A full sync declares
// the table, (re)writes every chain and refills every map; a partial sync,
// given what was applied last, writes only the chains whose rules changed
// and the map elements that differ, and deletes the chains and affinity
// sets that are gone. Either way one atomic transaction. Pure.
import { FAMILY, TABLE, mapNames, type FixedPart, type MapName, type MapValue, type NftFragment, type NftRuleset, type SetName } from './ruleset.js';

/** What the kernel holds, as far as we know: the flattened ruleset we last applied. */
export interface AppliedNft {
  fixedKey: string;
  chains: Map<string, string[]>;
  affinity: Map<string, number>;
  maps: Record<MapName, Map<string, MapValue>>;
  clusterIPs: Set<string>;
}

const T = `${FAMILY} ${TABLE}`;

/** Flatten a ruleset into what the kernel will hold once it is applied. */
export function flatten(r: NftRuleset): AppliedNft {
  const out: AppliedNft = {
    fixedKey: fixedKey(r.fixed),
    chains: new Map(),
    affinity: new Map(),
    maps: Object.fromEntries(mapNames.map((m) => [m, new Map()])) as Record<MapName, Map<string, MapValue>>,
    clusterIPs: new Set(),
  };
  for (const f of r.services.values()) addFragment(out, f);
  return out;
}

function addFragment(out: AppliedNft, f: NftFragment): void {
  for (const [c, rules] of f.chains) out.chains.set(c, rules);
  for (const [s, t] of f.affinity) out.affinity.set(s, t);
  for (const m of mapNames) for (const [k, v] of f.maps[m] ?? []) out.maps[m].set(k, v);
  for (const ip of f.clusterIPs) out.clusterIPs.add(ip);
}

export const fixedKey = (f: FixedPart) => JSON.stringify(f);

const sameRules = (a: string[] | undefined, b: string[]) => !!a && (a === b || (a.length === b.length && a.every((r, i) => r === b[i])));
const sameValue = (a: MapValue | undefined, b: MapValue) => !!a && a.verdict === b.verdict && a.comment === b.comment;

const quote = (s: string) => `"${s.replace(/"/g, '')}"`;
const elemText = (key: string, v?: MapValue) => (v ? `${key}${v.comment ? ` comment ${quote(v.comment)}` : ''} : ${v.verdict}` : key);

/** `add element` / `delete element` commands, many elements per command (one command per element costs ~10× more). */
function elementCommands(verb: 'add' | 'delete', name: string, items: string[], out: string[], chunk = 2000): void {
  for (let i = 0; i < items.length; i += chunk) out.push(`${verb} element ${T} ${name} { ${items.slice(i, i + chunk).join(', ')} }`);
}

const affinitySetDecl = (name: string, timeout: number) => `add set ${T} ${name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${timeout}s ; }`;

function fixedCommands(f: FixedPart, out: string[]): void {
  out.push(`add table ${T} { comment "rules for kube-proxy" ; }`);
  for (const c of f.chains) {
    const props = c.base ? `{ type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority} ; }` : c.comment ? `{ comment ${quote(c.comment)} ; }` : '';
    out.push(`add chain ${T} ${c.name}${props ? ` ${props}` : ''}`, `flush chain ${T} ${c.name}`);
  }
  for (const s of f.sets) {
    out.push(`add ${s.kind} ${T} ${s.name} { type ${s.type} ; comment ${quote(s.comment)} ; }`, `flush ${s.kind} ${T} ${s.name}`);
  }
  if (f.nodePortIPs.length) elementCommands('add', 'nodeport-ips', f.nodePortIPs, out);
}

function fixedRules(f: FixedPart, out: string[]): void {
  for (const c of f.chains) for (const r of c.rules) out.push(`add rule ${T} ${c.name} ${r}`);
}

export interface Existing {
  /** Names of the per-service chains and affinity sets the kernel has now (for a full sync: what to delete). */
  chains: Iterable<string>;
  affinity: Iterable<string>;
}

export interface Rendered {
  text: string;
  chainsWritten: number;
  elementsWritten: number;
  applied: AppliedNft;
  /** Nothing to do (a partial sync with no difference). */
  empty: boolean;
}

/**
 * The transaction that makes the table equal to `want`. With `had` (what
 * the last sync applied) only the difference; without it everything, and
 * `existing` names the per-service chains and sets the kernel has that must
 * go when they are not wanted.
 */
export function renderNft(want: NftRuleset, had?: AppliedNft, existing?: Existing): Rendered {
  if (!had || had.fixedKey !== fixedKey(want.fixed)) {
    const full = renderFull(want.fixed, want.services.values());
    const gone = existing ?? (had ? { chains: had.chains.keys(), affinity: had.affinity.keys() } : undefined);
    const text = [...full.pieces, staleText(full.applied, gone)].join('');
    return { text, chainsWritten: full.stats.chainsWritten, elementsWritten: full.stats.elementsWritten, applied: full.applied, empty: false };
  }
  return renderPartial(flatten(want), had);
}

/** Fragments per piece of a full sync's text (a piece is what is handed to `nft` at once). */
const PIECE_FRAGMENTS = 200;

/** A full sync's transaction in pieces, produced as they are asked for (renderFull). */
export interface FullPieces {
  /** The text, in pieces; `applied` and `stats` are complete once every piece was taken. */
  pieces: Generator<string, void>;
  applied: AppliedNft;
  stats: { chainsWritten: number; elementsWritten: number };
}

const emptyApplied = (key: string): AppliedNft => ({
  fixedKey: key,
  chains: new Map(),
  affinity: new Map(),
  maps: Object.fromEntries(mapNames.map((m) => [m, new Map()])) as AppliedNft['maps'],
  clusterIPs: new Set(),
});

/**
 * The full sync's transaction, but for the chains and sets the kernel had
 * that are not wanted (staleText, once they are known): the table, every
 * chain declared and flushed, every rule, every map refilled. It takes the
 * fragments lazily, so a full sync that streams into `nft -f -` computes
 * each service while `nft` parses the ones before. Every chain is declared
 * before any rule is added (a rule jumps only to chains of its own service
 * or to the fixed ones, but the fixed rules come after the declarations too).
 */
export function renderFull(fixed: FixedPart, fragments: Iterable<NftFragment>): FullPieces {
  const applied = emptyApplied(fixedKey(fixed));
  const stats = { chainsWritten: 0, elementsWritten: 0 };
  function* pieces(): Generator<string, void> {
    let out: string[] = [];
    const piece = () => {
      const text = out.length ? out.join('\n') + '\n' : '';
      out = [];
      return text;
    };
    fixedCommands(fixed, out);
    yield piece();
    let n = 0;
    for (const f of fragments) {
      addFragment(applied, f);
      for (const [set, timeout] of f.affinity) out.push(affinitySetDecl(set, timeout));
      for (const c of f.chains.keys()) out.push(`add chain ${T} ${c}`, `flush chain ${T} ${c}`);
      if (++n % PIECE_FRAGMENTS === 0) yield piece();
    }
    fixedRules(fixed, out);
    n = 0;
    for (const [c, rules] of applied.chains) {
      for (const r of rules) out.push(`add rule ${T} ${c} ${r}`);
      if (++n % PIECE_FRAGMENTS === 0) yield piece();
    }
    yield piece();
    elementCommands('add', 'cluster-ips', [...applied.clusterIPs], out);
    let elements = applied.clusterIPs.size;
    for (const m of mapNames) {
      const items = [...applied.maps[m]].map(([k, v]) => elemText(k, v));
      elements += items.length;
      elementCommands('add', m, items, out);
    }
    stats.chainsWritten = applied.chains.size;
    stats.elementsWritten = elements;
    yield piece();
  }
  return { pieces: pieces(), applied, stats };
}

/**
 * A transaction that changes nothing in a table we applied and needs the
 * same nft cache as a sync's commands (the table with its chains, sets and
 * objects, and set elements): the table re-declared (a no-op on an existing
 * table) and a ClusterIP re-added to `cluster-ips` (a no-op: it is there).
 * If the table is gone the line fails whole and creates nothing; an element
 * somebody deleted is put back as we applied it. NftSession runs it after a sync so the next one finds nft's cache
 * loaded (session.ts). Undefined without a ClusterIP. Pure.
 */
export function warmLine(applied: AppliedNft): string | undefined {
  const first = applied.clusterIPs.values().next();
  if (first.done) return undefined;
  return `add table ${T} { } ; add element ${T} cluster-ips { ${first.value} }`;
}

/**
 * The end of a full sync's transaction: the per-service chains and affinity
 * sets the kernel has (`existing`) that are not wanted, flushed and then
 * deleted (nothing wanted refers to them: the maps were refilled, and a
 * stale chain is referred to only by stale chains, flushed first).
 */
export function staleText(applied: AppliedNft, existing?: Existing): string {
  const stale = [...(existing?.chains ?? [])].filter((c) => !applied.chains.has(c));
  const out = [...stale.map((c) => `flush chain ${T} ${c}`), ...stale.map((c) => `delete chain ${T} ${c}`)];
  for (const s of existing?.affinity ?? []) if (!applied.affinity.has(s)) out.push(`delete set ${T} ${s}`);
  return out.length ? out.join('\n') + '\n' : '';
}

function renderPartial(next: AppliedNft, had: AppliedNft): Rendered {
  const decl: string[] = [];
  const rules: string[] = [];
  const dels: string[] = [];
  const adds: string[] = [];
  const gone: string[] = [];
  let chainsWritten = 0;
  for (const [s, t] of next.affinity) if (had.affinity.get(s) !== t) decl.push(...(had.affinity.has(s) ? [`delete set ${T} ${s}`] : []), affinitySetDecl(s, t));
  for (const [c, rs] of next.chains) {
    const prev = had.chains.get(c);
    if (sameRules(prev, rs)) continue;
    decl.push(prev ? `flush chain ${T} ${c}` : `add chain ${T} ${c}`);
    for (const r of rs) rules.push(`add rule ${T} ${c} ${r}`);
    chainsWritten++;
  }
  for (const c of had.chains.keys()) {
    if (next.chains.has(c)) continue;
    decl.push(`flush chain ${T} ${c}`);
    gone.push(`delete chain ${T} ${c}`);
  }
  for (const s of had.affinity.keys()) if (!next.affinity.has(s)) gone.push(`delete set ${T} ${s}`);
  let elementsWritten = 0;
  const diff = (name: MapName | SetName, before: Map<string, MapValue | undefined>, after: Map<string, MapValue | undefined>) => {
    const del: string[] = [];
    const add: string[] = [];
    for (const [k, v] of before) {
      const now = after.get(k);
      if (!after.has(k) || (v && now && !sameValue(v, now))) del.push(k);
    }
    for (const [k, v] of after) {
      const was = before.get(k);
      if (!before.has(k) || (v && was && !sameValue(was, v))) add.push(elemText(k, v));
    }
    elementsWritten += del.length + add.length;
    elementCommands('delete', name, del, dels);
    elementCommands('add', name, add, adds);
  };
  const asMap = (s: Set<string>) => new Map([...s].map((k) => [k, undefined]));
  diff('cluster-ips', asMap(had.clusterIPs), asMap(next.clusterIPs));
  for (const m of mapNames) diff(m, had.maps[m], next.maps[m]);
  const lines = [...decl, ...rules, ...dels, ...adds, ...gone];
  return { text: lines.length ? lines.join('\n') + '\n' : '', chainsWritten, elementsWritten, applied: next, empty: lines.length === 0 };
}

/**
 * The transaction for a partial sync that knows what changed: the changed
 * services' fragments before and after. It is renderPartial restricted to
 * the chains, sets and elements those fragments name — everything else is
 * the same on both sides, so it would find no difference there anyway.
 * `commit()` brings `had` up to date in place (call it once the transaction
 * succeeded; without it `had` is untouched).
 */
export function renderDelta(had: AppliedNft, before: NftFragment[], after: NftFragment[]): Omit<Rendered, 'applied'> & { commit(): void } {
  const empty = (): AppliedNft => ({ fixedKey: had.fixedKey, chains: new Map(), affinity: new Map(), maps: Object.fromEntries(mapNames.map((m) => [m, new Map()])) as AppliedNft['maps'], clusterIPs: new Set() });
  const next = empty();
  for (const f of after) addFragment(next, f);
  const sub = empty();
  for (const f of [...before, ...after]) {
    for (const c of f.chains.keys()) if (had.chains.has(c)) sub.chains.set(c, had.chains.get(c)!);
    for (const s of f.affinity.keys()) if (had.affinity.has(s)) sub.affinity.set(s, had.affinity.get(s)!);
    for (const m of mapNames) for (const k of f.maps[m]?.keys() ?? []) if (had.maps[m].has(k)) sub.maps[m].set(k, had.maps[m].get(k)!);
    for (const ip of f.clusterIPs) if (had.clusterIPs.has(ip)) sub.clusterIPs.add(ip);
  }
  const { applied: _, ...r } = renderPartial(next, sub);
  return {
    ...r,
    commit() {
      for (const c of sub.chains.keys()) had.chains.delete(c);
      for (const s of sub.affinity.keys()) had.affinity.delete(s);
      for (const m of mapNames) for (const k of sub.maps[m].keys()) had.maps[m].delete(k);
      for (const ip of sub.clusterIPs) had.clusterIPs.delete(ip);
      for (const f of after) addFragment(had, f);
    },
  };
}

/** The transaction that removes everything (kube-proxy's CleanupLeftovers): `add` first so a missing table is no error. */
export function renderCleanup(): string {
  return `add table ${T}\ndelete table ${T}\n`;
}

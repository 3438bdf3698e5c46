// The live rules of one service on this node, with the kernel's packet and
// byte counters, from `iptables-save -c`: what `mk8s explain-route --live`
// shows per node. Pure.

export interface LiveRule {
  table: string;
  chain: string;
  rule: string;
  packets: number;
  bytes: number;
}

/**
 * Rules that belong to service `ns/name`: every rule in a chain it owns, and
 * every rule elsewhere whose comment names it (KUBE-SERVICES, KUBE-NODEPORTS,
 * the filter REJECTs).
 */
export function liveRulesFor(saveWithCounters: string, service: string, ownedChains: Set<string>): LiveRule[] {
  const out: LiveRule[] = [];
  let table = '';
  const named = new RegExp(`--comment "${service.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[: "]`);
  for (const line of saveWithCounters.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const m = /^\[(\d+):(\d+)\] -A (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const [, packets, bytes, chain, rule] = m;
    if (ownedChains.has(chain) || named.test(rule)) out.push({ table, chain, rule, packets: Number(packets), bytes: Number(bytes) });
  }
  return out;
}

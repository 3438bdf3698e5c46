// The Service data path in nftables mode as a pure function: the same
// service ports the iptables mode reads (rules/desired.ts) → the state of
// table `ip kube-proxy` as kube-proxy's nftables mode lays it out: verdict
// maps from (ip . proto . port) and (proto . nodePort) to per-service
// chains, a set of ClusterIPs, maps of verdicts for services without
// endpoints, and per-service `service-`/`local-`/`external-`/`endpoint-`
// chains with kube-proxy's names. Rendering (render.ts) and applying
// (apply.ts) elsewhere.
//
// One deliberate difference from kube-proxy, measured (docs/proxy.md): a
// service chain picks its endpoint with a cascade of
// `numgen random mod k 0 goto endpoint-…` rules (the iptables mode's
// statistic cascade) instead of one `numgen random mod n vmap { … }`. Every
// anonymous map is a set of its own in the table, and the kernel names each
// new one by scanning all the table's sets, so 10,000 services cost
// quadratic time to load; the cascade picks each endpoint with the same
// probability 1/n and needs no set at all. Every rule in a per-service chain
// has a `counter` so `mk8s explain-route --live` can show packets per rule.
import type { KubeObject } from '../../api/types.js';
import { servicePorts, usableEndpoints, type Endpoint, type ProxyConfig, type ProxyNode, type RulesCache, type ServicePortInfo } from '../rules/desired.js';
import { endpointChainBase, nftAffinitySet, nftEndpointChain, nftExternalChain, nftLocalChain, nftServiceChain, portChainBase } from './names.js';

export const TABLE = 'kube-proxy';
export const FAMILY = 'ip';
export const MASQ_MARK = '0x00004000';

/** ProxyConfig.serviceCIDRs: traffic to an unallocated ClusterIP is dropped (kube-proxy's cluster-ips-check). */
export type NftConfig = ProxyConfig;

/** Map names → (key → verdict); kube-proxy's five maps. */
export type MapName = 'service-ips' | 'service-nodeports' | 'no-endpoint-services' | 'no-endpoint-nodeports' | 'firewall-ips';
export const mapNames: MapName[] = ['service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports', 'firewall-ips'];
export type SetName = 'cluster-ips' | 'nodeport-ips';
export const setNames: SetName[] = ['cluster-ips', 'nodeport-ips'];

/** One map element: its verdict and (for the no-endpoint maps) a comment naming the service port, as kube-proxy. */
export interface MapValue {
  verdict: string;
  comment?: string;
}

/** What one service port contributes. Shared (never mutated) between syncs while the service is unchanged. */
export interface NftFragment {
  /** Chain → rules (nft syntax, without `add rule ip kube-proxy CHAIN`), in kube-proxy's order. */
  chains: Map<string, string[]>;
  /** Affinity set name → timeout in seconds. */
  affinity: Map<string, number>;
  maps: Partial<Record<MapName, Map<string, MapValue>>>;
  clusterIPs: string[];
}

export interface NftRuleset {
  /** The fixed part (base chains, dispatch, masquerading): depends only on the config and node. */
  fixed: FixedPart;
  /** Service port (`ns/name:port/proto`) → its fragment. */
  services: Map<string, NftFragment>;
}

export interface FixedChain {
  name: string;
  /** `type filter hook input priority -110 ;` for base chains. */
  base?: { type: 'filter' | 'nat'; hook: string; priority: number };
  comment?: string;
  rules: string[];
}

export interface FixedPart {
  chains: FixedChain[];
  /** Declarations of the named sets and maps: name → `{ type …; comment … }` body. */
  sets: { name: SetName | MapName; kind: 'set' | 'map'; type: string; comment: string }[];
  nodePortIPs: string[];
}

/** kube-proxy's priorities: filter chains at dstnat-10 (before DNAT) and dstnat+10, nat at dstnat/srcnat. */
const DSTNAT = -100;
const SRCNAT = 100;

export function fixedPart(node: ProxyNode, cfg: NftConfig): FixedPart {
  const base = (name: string, type: 'filter' | 'nat', hook: string, priority: number, rules: string[]): FixedChain => ({ name, base: { type, hook, priority }, rules });
  const chain = (name: string, rules: string[], comment?: string): FixedChain => ({ name, rules, comment });
  const cidrs = cfg.serviceCIDRs ?? [];
  return {
    chains: [
      base('filter-prerouting', 'filter', 'prerouting', DSTNAT - 10, ['ct state new jump firewall-check']),
      base('filter-input', 'filter', 'input', DSTNAT - 10, ['ct state new jump nodeport-endpoints-check', 'ct state new jump service-endpoints-check']),
      base('filter-forward', 'filter', 'forward', DSTNAT - 10, ['ct state new jump service-endpoints-check', 'ct state new jump cluster-ips-check']),
      base('filter-output', 'filter', 'output', DSTNAT - 10, ['ct state new jump service-endpoints-check', 'ct state new jump firewall-check']),
      base('filter-output-post-dnat', 'filter', 'output', DSTNAT + 10, ['ct state new jump cluster-ips-check']),
      base('nat-prerouting', 'nat', 'prerouting', DSTNAT, ['jump services']),
      base('nat-output', 'nat', 'output', DSTNAT, ['jump services']),
      base('nat-postrouting', 'nat', 'postrouting', SRCNAT, ['jump masquerading']),
      chain('nodeport-endpoints-check', ['ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports']),
      chain('service-endpoints-check', ['ip daddr . meta l4proto . th dport vmap @no-endpoint-services']),
      chain('firewall-check', ['ip daddr . meta l4proto . th dport vmap @firewall-ips']),
      chain('services', ['ip daddr . meta l4proto . th dport vmap @service-ips', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports']),
      chain('masquerading', [`meta mark & ${MASQ_MARK} == 0x00000000 return`, `meta mark set meta mark ^ ${MASQ_MARK}`, 'masquerade fully-random']),
      chain('mark-for-masquerade', [`meta mark set meta mark | ${MASQ_MARK}`]),
      chain('cluster-ips-check', [
        'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
        ...(cidrs.length ? [`ip daddr { ${cidrs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`] : []),
      ]),
      chain('reject-chain', ['reject'], 'helper for @no-endpoint-services / @no-endpoint-nodeports'),
    ],
    sets: [
      { name: 'cluster-ips', kind: 'set', type: 'ipv4_addr', comment: 'Active ClusterIPs' },
      { name: 'nodeport-ips', kind: 'set', type: 'ipv4_addr', comment: 'IPs that accept NodePort traffic' },
      { name: 'no-endpoint-services', kind: 'map', type: 'ipv4_addr . inet_proto . inet_service : verdict', comment: 'vmap to drop or reject packets to services with no endpoints' },
      { name: 'no-endpoint-nodeports', kind: 'map', type: 'inet_proto . inet_service : verdict', comment: 'vmap to drop or reject packets to service nodeports with no endpoints' },
      { name: 'firewall-ips', kind: 'map', type: 'ipv4_addr . inet_proto . inet_service : verdict', comment: 'destinations that are subject to LoadBalancerSourceRanges' },
      { name: 'service-ips', kind: 'map', type: 'ipv4_addr . inet_proto . inet_service : verdict', comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' },
      { name: 'service-nodeports', kind: 'map', type: 'inet_proto . inet_service : verdict', comment: 'NodePort traffic' },
    ],
    nodePortIPs: node.ips.filter((ip) => !ip.startsWith('127.')),
  };
}

/** The key of a service port in NftRuleset.services. */
export const portKey = (sp: ServicePortInfo) => `${sp.spn}/${sp.protocol}`;

/** The chains and map elements of one service port (pure). */
export function nftPortRules(sp: ServicePortInfo, node: ProxyNode, cfg: ProxyConfig): NftFragment {
  const chains = new Map<string, string[]>();
  const affinity = new Map<string, number>();
  const maps: NftFragment['maps'] = {};
  const add = (chain: string, rule: string) => {
    const rules = chains.get(chain);
    if (rules) rules.push(rule);
    else chains.set(chain, [rule]);
  };
  const elem = (map: MapName, key: string, verdict: string, comment?: string) => {
    (maps[map] ??= new Map()).set(key, comment ? { verdict, comment } : { verdict });
  };
  const { spn, protocol: proto } = sp;
  const base = portChainBase(sp.namespace, sp.name, proto, sp.portName);
  const clusterChain = nftServiceChain(base);
  const localChain = nftLocalChain(base);
  const extChain = nftExternalChain(base);

  const all = usableEndpoints(sp.endpoints);
  const local = usableEndpoints(sp.endpoints.filter((e) => e.nodeName === node.name));
  const hasEndpoints = all.length > 0;
  const externallyAccessible = sp.nodePort !== undefined || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const usesClusterChain = all.length > 0 && (!sp.internalLocal || externallyAccessible);
  const usesLocalChain = local.length > 0 && (sp.internalLocal || (sp.externalLocal && externallyAccessible));
  const internalChain = sp.internalLocal ? localChain : clusterChain;
  const hasInternal = hasEndpoints && (!sp.internalLocal || local.length > 0);
  const externalPolicyChain = sp.externalLocal ? localChain : clusterChain;
  const hasExternal = hasEndpoints && (!sp.externalLocal || local.length > 0);
  const usesExtChain = hasEndpoints && externallyAccessible;
  // As kube-proxy: no endpoints anywhere → reject ("connection refused"); endpoints elsewhere only (Local policy) → drop.
  const internalVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';
  const externalVerdict = internalVerdict;

  // Dispatch: map elements.
  const port = `${proto} . ${sp.port}`;
  if (hasInternal) elem('service-ips', `${sp.clusterIP} . ${port}`, `goto ${internalChain}`);
  else elem('no-endpoint-services', `${sp.clusterIP} . ${port}`, internalVerdict, spn);
  for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
    if (hasEndpoints) elem('service-ips', `${ip} . ${port}`, `goto ${extChain}`);
    if (!hasExternal) elem('no-endpoint-services', `${ip} . ${port}`, externalVerdict, spn);
  }
  if (sp.nodePort) {
    if (hasEndpoints) elem('service-nodeports', `${proto} . ${sp.nodePort}`, `goto ${extChain}`);
    if (!hasExternal) elem('no-endpoint-nodeports', `${proto} . ${sp.nodePort}`, externalVerdict, spn);
  }

  // Internal traffic from outside the pod network is masqueraded (kube-proxy with a cluster CIDR as local detector).
  if (hasInternal) add(internalChain, `ip daddr ${sp.clusterIP} ${proto} dport ${sp.port} ip saddr != ${cfg.clusterCIDR} counter jump mark-for-masquerade`);

  if (usesExtChain) {
    if (!sp.externalLocal) {
      add(extChain, 'counter jump mark-for-masquerade');
    } else {
      // Local policy keeps the client's source IP; pods and the node itself still go cluster-wide.
      add(extChain, `ip saddr ${cfg.clusterCIDR} counter goto ${clusterChain} comment "short-circuit pod traffic"`);
      add(extChain, `fib saddr type local counter jump mark-for-masquerade comment "masquerade local traffic"`);
      add(extChain, `fib saddr type local counter goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    if (hasExternal) add(extChain, `counter goto ${externalPolicyChain}`);
  }

  const eps = (list: Endpoint[]) => list.map((e) => ({ e, base: endpointChainBase(sp.namespace, sp.name, proto, sp.portName, e.ip, e.port) }));
  const balance = (chain: string, list: ReturnType<typeof eps>) => {
    if (sp.affinitySeconds !== undefined) {
      for (const { base: b } of list) add(chain, `ip saddr @${nftAffinitySet(b)} counter goto ${nftEndpointChain(b)}`);
    }
    list.forEach(({ base: b }, i) => {
      const left = list.length - i;
      add(chain, left > 1 ? `numgen random mod ${left} 0 counter goto ${nftEndpointChain(b)}` : `counter goto ${nftEndpointChain(b)}`);
    });
  };
  const reachable = new Map<string, Endpoint>();
  if (usesClusterChain) {
    const list = eps(all);
    balance(clusterChain, list);
    for (const x of list) reachable.set(x.base, x.e);
  }
  if (usesLocalChain) {
    const list = eps(local);
    balance(localChain, list);
    for (const x of list) reachable.set(x.base, x.e);
  }
  for (const [b, e] of [...reachable].sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0))) {
    const chain = nftEndpointChain(b);
    // Hairpin: a pod reaching itself through its service is masqueraded.
    add(chain, `ip saddr ${e.ip} counter jump mark-for-masquerade`);
    if (sp.affinitySeconds !== undefined) {
      affinity.set(nftAffinitySet(b), sp.affinitySeconds);
      add(chain, `update @${nftAffinitySet(b)} { ip saddr }`);
    }
    add(chain, `meta l4proto ${proto} counter dnat to ${e.ip}:${e.port}`);
  }
  return { chains, affinity, maps, clusterIPs: [sp.clusterIP] };
}

/** Per service port, what nftPortRules computed last time (reused while the port's facts are the same object). */
export class NftCache {
  readonly fragments = new WeakMap<ServicePortInfo, { key: string; fragment: NftFragment }>();
}

/** The desired table from service ports (as servicePorts() gives them). */
export function nftRulesetFromPorts(ports: ServicePortInfo[], node: ProxyNode, cfg: NftConfig, cache?: NftCache): NftRuleset {
  const services = new Map<string, NftFragment>();
  const key = `${node.name}\0${cfg.clusterCIDR}`;
  for (const sp of ports) {
    let hit = cache?.fragments.get(sp);
    if (!hit || hit.key !== key) {
      hit = { key, fragment: nftPortRules(sp, node, cfg) };
      cache?.fragments.set(sp, hit);
    }
    services.set(portKey(sp), hit.fragment);
  }
  return { fixed: fixedPart(node, cfg), services };
}

/** The desired table from Services and EndpointSlices. */
export function desiredNft(services: KubeObject[], slices: KubeObject[], node: ProxyNode, cfg: NftConfig, cache?: { rules?: RulesCache; nft?: NftCache }): NftRuleset {
  return nftRulesetFromPorts(servicePorts(services, slices, cache?.rules), node, cfg, cache?.nft);
}

/** Every chain of the ruleset's services, with its rules. */
export function serviceChains(r: NftRuleset): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of r.services.values()) for (const [c, rules] of f.chains) out.set(c, rules);
  return out;
}

/** The chains and sets a service port owns (explain-route). */
export function ownedBy(f: NftFragment): string[] {
  return [...f.chains.keys(), ...f.affinity.keys()];
}

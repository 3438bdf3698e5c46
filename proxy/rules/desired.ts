// The Service data path as a pure function: (Services, EndpointSlices, this
// node) → the iptables chains kube-proxy's iptables mode would write, chain by
// chain, in kube-proxy's layout and words. Rendering to iptables-restore
// text and applying it live elsewhere (render.ts, apply.ts).
import type { KubeObject } from '../../api/types.js';
import {
  endpointChain,
  externalChain,
  localChain,
  serviceChain,
  servicePortName,
} from '../../api/kube-proxy-names.js';

export interface ProxyNode {
  name: string;
  /** The node's own addresses (NodePorts answer on these, like kube-proxy's --nodeport-addresses default). */
  ips: string[];
}

export interface ProxyConfig {
  /** Pod CIDR of the whole cluster: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCIDR: string;
  /**
   * The ClusterIP ranges. The nftables mode drops new connections to an address in them that no Service
   * holds (kube-proxy's cluster-ips-check); the iptables mode does not use them (as kube-proxy's).
   */
  serviceCIDRs?: string[];
}

/** A rule in a built-in chain that jumps to ours (ensured with -C/-I, never restored wholesale). */
export interface Jump {
  table: 'filter' | 'nat';
  chain: string;
  rule: string;
}

/** Chain name → its rules (each an iptables-save line without the `-A CHAIN ` prefix). */
export type Chains = Map<string, string[]>;

export interface Ruleset {
  jumps: Jump[];
  filter: Chains;
  nat: Chains;
  /** Per service port, the chains it owns (for partial syncs and explain-route). */
  owners: Map<string, string[]>;
}

export const MASQ_MARK = '0x4000';

/** Chains rewritten on every sync (they hold rules for all services). */
export const topLevelChains = {
  filter: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL'],
  nat: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'],
};

export const hookJumps: Jump[] = [
  { table: 'filter', chain: 'INPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES' },
  { table: 'filter', chain: 'INPUT', rule: '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS' },
  { table: 'filter', chain: 'FORWARD', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'filter', chain: 'FORWARD', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES' },
  { table: 'filter', chain: 'FORWARD', rule: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD' },
  { table: 'filter', chain: 'OUTPUT', rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'PREROUTING', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'OUTPUT', rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'POSTROUTING', rule: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' },
];

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** One service port with everything the rules need. */
export interface ServicePortInfo {
  spn: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: string;
  port: number;
  nodePort?: number;
  clusterIP: string;
  externalIPs: string[];
  loadBalancerIPs: string[];
  affinitySeconds?: number;
  externalLocal: boolean;
  internalLocal: boolean;
  healthCheckNodePort?: number;
  endpoints: Endpoint[];
}

const sliceServiceName = (s: KubeObject) => s.metadata.labels?.['kubernetes.io/service-name'];

/** Endpoints of one service port, from its EndpointSlices (deduplicated by ip:port). */
export function endpointsFor(svc: KubeObject, port: any, slices: KubeObject[]): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.metadata.namespace !== svc.metadata.namespace || sliceServiceName(slice) !== svc.metadata.name) continue;
    if (slice.addressType && slice.addressType !== 'IPv4') continue;
    const sp = (slice.ports ?? []).find((p: any) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === port.protocol);
    if (!sp || !sp.port) continue;
    for (const e of slice.endpoints ?? []) {
      const c = e.conditions ?? {};
      const ready = c.ready !== false;
      const ep: Endpoint = {
        ip: e.addresses[0],
        port: sp.port,
        nodeName: e.nodeName,
        ready,
        serving: c.serving ?? ready,
        terminating: c.terminating ?? false,
      };
      out.set(`${ep.ip}:${ep.port}`, ep);
    }
  }
  const keyed = [...out.values()].map((e) => ({ e, k: endpointKey(e) }));
  return keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.e);
}

/** Sorts endpoints by address as numbers (10.244.1.9 before 10.244.1.10), then port. */
function endpointKey(e: Endpoint): string {
  return e.ip.split('.').map((n) => n.padStart(3, '0')).join('.') + `:${String(e.port).padStart(5, '0')}`;
}

/**
 * Which endpoints serve: ready ones; when none are ready, the serving
 * terminating ones (as kube-proxy since 1.26, so connections drain).
 */
export function usableEndpoints(eps: Endpoint[]): Endpoint[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length ? ready : eps.filter((e) => e.serving && e.terminating);
}

/** EndpointSlices grouped by `ns/service`, so each service reads only its own. */
export function slicesByService(slices: KubeObject[]): Map<string, KubeObject[]> {
  const out = new Map<string, KubeObject[]>();
  for (const s of slices) {
    const key = `${s.metadata.namespace}/${sliceServiceName(s)}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/**
 * What the proxy computed for each Service last time, so a sync after one
 * change recomputes one service, not ten thousand. Keyed by object identity:
 * an informer replaces an object when it changes and keeps it otherwise.
 * The cached arrays are shared with the returned rulesets and never mutated.
 */
export class RulesCache {
  readonly ports = new WeakMap<KubeObject, { slices: KubeObject[]; ports: ServicePortInfo[] }>();
  readonly fragments = new WeakMap<ServicePortInfo, { key: string; fragment: Fragment }>();
  /** `ns/name` of services the change trackers reported changed: recomputed on the next call whatever the identities say. */
  readonly stale = new Set<string>();

  /** Forget what was computed for these services (`ns/name`). */
  invalidate(services: Iterable<string>): void {
    for (const k of services) this.stale.add(k);
  }
}

const sameItems = <T>(a: T[], b: T[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The rule-relevant facts of one service's ports (none for ExternalName and headless services). */
export function portsOf(svc: KubeObject, own: KubeObject[]): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  const s = svc.spec ?? {};
  if (s.type === 'ExternalName' || !s.clusterIP || s.clusterIP === 'None') return out;
  for (const p of s.ports ?? []) {
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    out.push({
      spn: servicePortName(ns, name, p.name),
      namespace: ns,
      name,
      portName: p.name ?? '',
      protocol: (p.protocol ?? 'TCP').toLowerCase(),
      port: p.port,
      nodePort: s.type === 'NodePort' || s.type === 'LoadBalancer' ? p.nodePort : undefined,
      clusterIP: s.clusterIP,
      externalIPs: s.externalIPs ?? [],
      loadBalancerIPs: s.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).filter(Boolean) : [],
      affinitySeconds: s.sessionAffinity === 'ClientIP' ? (s.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined,
      externalLocal: s.externalTrafficPolicy === 'Local' && (s.type === 'NodePort' || s.type === 'LoadBalancer'),
      internalLocal: s.internalTrafficPolicy === 'Local',
      healthCheckNodePort: s.healthCheckNodePort,
      endpoints: endpointsFor(svc, p, own),
    });
  }
  return out;
}

/** Service ports that get rules: not ExternalName, not headless. */
export function servicePorts(services: KubeObject[], slices: KubeObject[], cache?: RulesCache): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  const bySvc = slicesByService(slices);
  for (const svc of services) {
    const svcKey = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const own = bySvc.get(svcKey) ?? [];
    const hit = cache?.stale.delete(svcKey) ? undefined : cache?.ports.get(svc);
    if (hit && sameItems(hit.slices, own)) {
      out.push(...hit.ports);
      continue;
    }
    const ports = portsOf(svc, own);
    cache?.ports.set(svc, { slices: own, ports });
    out.push(...ports);
  }
  cache?.stale.clear(); // (deleted services' keys too)
  return out.sort((a, b) => (a.spn < b.spn ? -1 : a.spn > b.spn ? 1 : a.protocol < b.protocol ? -1 : 1));
}

/** iptables' probability argument, as kube-proxy formats it. */
export function probability(p: number): string {
  return p.toFixed(10);
}

/** The rules one service port contributes: its own chains and its lines in the shared top-level chains. */
export interface Fragment {
  filter: Chains;
  nat: Chains;
  owned: string[];
}

/** The shared top-level chains, empty but for the fixed plumbing kube-proxy writes in them (fresh arrays). */
export function sharedChainsWithPlumbing(): { filter: Chains; nat: Chains } {
  const filter: Chains = new Map(topLevelChains.filter.map((c) => [c, [] as string[]]));
  const nat: Chains = new Map(topLevelChains.nat.map((c) => [c, [] as string[]]));
  nat.get('KUBE-MARK-MASQ')!.push(`-j MARK --set-xmark ${MASQ_MARK}/${MASQ_MARK}`);
  nat.get('KUBE-POSTROUTING')!.push(
    `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-j MARK --set-xmark ${MASQ_MARK}/0x0`,
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );
  filter.get('KUBE-FORWARD')!.push(
    '-m conntrack --ctstate INVALID -j DROP',
    `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`,
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  return { filter, nat };
}

/** The last rule of KUBE-SERVICES: every local address leads to the nodePorts. */
export const NODEPORTS_JUMP = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';

/** The full desired ruleset for this node. Pass a cache to reuse what earlier calls computed for unchanged services. */
export function desiredRules(services: KubeObject[], slices: KubeObject[], node: ProxyNode, cfg: ProxyConfig, cache?: RulesCache): Ruleset {
  const { filter, nat } = sharedChainsWithPlumbing();
  const owners = new Map<string, string[]>();

  const key = `${node.name}\0${cfg.clusterCIDR}`;
  for (const sp of servicePorts(services, slices, cache)) {
    let fragment = cache?.fragments.get(sp);
    if (!fragment || fragment.key !== key) {
      fragment = { key, fragment: portRules(sp, node, cfg) };
      cache?.fragments.set(sp, fragment);
    }
    const f = fragment.fragment;
    for (const [table, into] of [[f.filter, filter], [f.nat, nat]] as const) {
      for (const [chain, rules] of table) {
        const top = into.get(chain);
        if (top && isTopLevel(chain)) top.push(...rules);
        else into.set(chain, rules);
      }
    }
    owners.set(`${sp.spn}/${sp.protocol}`, f.owned);
  }

  // Last in KUBE-SERVICES: every local address leads to the nodePorts.
  nat.get('KUBE-SERVICES')!.push(NODEPORTS_JUMP);
  return { jumps: hookJumps, filter, nat, owners };
}

const topLevel = new Set([...topLevelChains.filter, ...topLevelChains.nat]);
const isTopLevel = (chain: string) => topLevel.has(chain);

/** The rules of one service port (pure). */
export function portRules(sp: ServicePortInfo, node: ProxyNode, cfg: ProxyConfig): Fragment {
  const filter: Chains = new Map();
  const nat: Chains = new Map();
  const add = (chains: Chains, chain: string, rule: string) => {
    const rules = chains.get(chain);
    if (rules) rules.push(rule);
    else chains.set(chain, [rule]);
  };
  const { spn, protocol: proto } = sp;
  const svcChain = serviceChain(spn, proto);
  const extChain = externalChain(spn, proto);
  const svlChain = localChain(spn, proto);
  const owned: string[] = [];
  const all = usableEndpoints(sp.endpoints);
  const local = usableEndpoints(sp.endpoints.filter((e) => e.nodeName === node.name));
  const hasExternal = sp.nodePort !== undefined || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
  const internalEps = sp.internalLocal ? local : all;
  const externalEps = sp.externalLocal ? local : all;
  // KUBE-SVC serves cluster-wide traffic: internal traffic under Cluster policy, and every external path
  // (EXT jumps there directly, or for pod/node traffic under Local policy).
  const usesCluster = all.length > 0 && (!sp.internalLocal || hasExternal);
  const usesLocal = local.length > 0 && (sp.internalLocal || sp.externalLocal);
  const internalChain = sp.internalLocal ? svlChain : svcChain;

  // ClusterIP: jump, or REJECT at once when nothing serves (as kube-proxy: a client gets "connection refused", not a hang).
  const cipMatch = `-d ${sp.clusterIP}/32 -p ${proto} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${sp.port}`;
  if (internalEps.length) add(nat, 'KUBE-SERVICES', `${cipMatch} -j ${internalChain}`);
  else add(filter, 'KUBE-SERVICES', `-d ${sp.clusterIP}/32 -p ${proto} -m comment --comment "${spn} has no endpoints" -m ${proto} --dport ${sp.port} -j REJECT --reject-with icmp-port-unreachable`);

  // External destinations: externalIPs, load-balancer IPs, nodePorts.
  const extTargets: string[] = [
    ...sp.externalIPs.map((ip) => `-d ${ip}/32 -p ${proto} -m comment --comment "${spn} external IP" -m ${proto} --dport ${sp.port}`),
    ...sp.loadBalancerIPs.map((ip) => `-d ${ip}/32 -p ${proto} -m comment --comment "${spn} loadbalancer IP" -m ${proto} --dport ${sp.port}`),
  ];
  if (externalEps.length) {
    for (const m of extTargets) add(nat, 'KUBE-SERVICES', `${m} -j ${extChain}`);
    if (sp.nodePort) add(nat, 'KUBE-NODEPORTS', `-p ${proto} -m comment --comment "${spn}" -m ${proto} --dport ${sp.nodePort} -j ${extChain}`);
  } else if (hasExternal) {
    const why = all.length ? 'has no local endpoints' : 'has no endpoints';
    // As kube-proxy: no endpoints at all → REJECT; endpoints elsewhere only (Local policy) → DROP.
    const verdict = all.length ? '-j DROP' : '-j REJECT --reject-with icmp-port-unreachable';
    for (const ip of [...sp.externalIPs, ...sp.loadBalancerIPs]) {
      add(filter, 'KUBE-EXTERNAL-SERVICES', `-d ${ip}/32 -p ${proto} -m comment --comment "${spn} ${why}" -m ${proto} --dport ${sp.port} ${verdict}`);
    }
    if (sp.nodePort) {
      add(filter, 'KUBE-EXTERNAL-SERVICES', `-p ${proto} -m comment --comment "${spn} ${why}" -m addrtype --dst-type LOCAL -m ${proto} --dport ${sp.nodePort} ${verdict}`);
    }
  }
  if (sp.externalLocal && sp.healthCheckNodePort) {
    add(filter, 'KUBE-NODEPORTS', `-p tcp -m comment --comment "${spn} health check node port" -m tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
  }

  if (externalEps.length && hasExternal) {
    owned.push(extChain);
    if (!sp.externalLocal) {
      add(nat, extChain, `-m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`);
      add(nat, extChain, `-j ${svcChain}`);
    } else {
      // Local policy keeps the client's source IP; pods and the node itself still go cluster-wide.
      add(nat, extChain, `-s ${cfg.clusterCIDR} -m comment --comment "pod traffic for ${spn} external destinations" -j ${svcChain}`);
      add(nat, extChain, `-m comment --comment "masquerade LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      add(nat, extChain, `-m comment --comment "route LOCAL traffic for ${spn} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
      add(nat, extChain, `-j ${svlChain}`);
    }
  }

  const balance = (chain: string, eps: Endpoint[]) => {
    const seps = eps.map((e) => ({ e, chain: endpointChain(spn, proto, `${e.ip}:${e.port}`) }));
    if (sp.affinitySeconds !== undefined) {
      for (const { e, chain: sep } of seps) {
        add(nat, chain, `-m comment --comment "${spn} -> ${e.ip}:${e.port}" -m recent --rcheck --seconds ${sp.affinitySeconds} --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
      }
    }
    seps.forEach(({ e, chain: sep }, i) => {
      const left = seps.length - i;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${probability(1 / left)}` : '';
      add(nat, chain, `-m comment --comment "${spn} -> ${e.ip}:${e.port}"${stat} -j ${sep}`);
    });
    return seps;
  };

  const sepsNeeded = new Map<string, Endpoint>();
  if (usesCluster) {
    owned.push(svcChain);
    // As kube-proxy with a known cluster CIDR: masquerade ClusterIP traffic that comes from outside the pod network.
    add(nat, svcChain, `! -s ${cfg.clusterCIDR} ${cipMatch} -j KUBE-MARK-MASQ`);
    for (const s of balance(svcChain, all)) sepsNeeded.set(s.chain, s.e);
  }
  if (usesLocal) {
    owned.push(svlChain);
    for (const s of balance(svlChain, local)) sepsNeeded.set(s.chain, s.e);
  }
  for (const [sep, e] of [...sepsNeeded].sort(([a], [b]) => (a < b ? -1 : 1))) {
    owned.push(sep);
    // Hairpin: a pod reaching itself through its service must be masqueraded.
    add(nat, sep, `-s ${e.ip}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`);
    const affinity = sp.affinitySeconds !== undefined ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
    add(nat, sep, `-p ${proto} -m comment --comment "${spn}"${affinity} -m ${proto} -j DNAT --to-destination ${e.ip}:${e.port}`);
  }
  return { filter, nat, owned };
}

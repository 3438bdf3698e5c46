// A Service's path as the page draws it (pure): from each entry (ClusterIP:port,
// each node's NodePort, LoadBalancer and external IPs, or ExternalName's CNAME)
// through KUBE-SERVICES / KUBE-NODEPORTS → KUBE-EXT → KUBE-SVC → KUBE-SEP
// (probability, affinity) to each pod on its node, with each rule's packet
// counter per node. The chain names and probabilities come from the pure
// code the proxy writes its rules with and `explain-route` prints them with
// (api/kube-proxy-names.ts, proxy/rules/desired.ts); the counters are the
// rules of the node proxies' /rules (proxy/rules/live.ts), as
// `explain-route --live` shows them.
import type { KubeObject } from '../api/types.js';
import { endpointChain, externalChain, localChain, serviceChain } from '../api/kube-proxy-names.js';
import { probability, servicePorts, usableEndpoints } from '../proxy/rules/desired.js';
import type { LiveRule } from '../proxy/rules/live.js';
import { nodeIP } from './model.js';

/** Packets per node name. */
export type Counts = Record<string, number>;

export interface EntryPath {
  kind: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalIP';
  /** `ip:port` (NodePort: one per node). */
  address: string;
  /** The node whose NodePort this is. */
  node?: string;
  /** The shared chain the packet enters by (KUBE-SERVICES or KUBE-NODEPORTS). */
  from: string;
  /** The chains it jumps through to the endpoint choice. */
  via: string[];
  packets: Counts;
}

export interface EndpointPath {
  chain: string;
  ip: string;
  port: number;
  pod?: string;
  node?: string;
  /** `1/3 (0.3333333333)`, `always`, `otherwise` (the rules are tried in order). */
  choice: string;
  ready: boolean;
  /** The DNAT rule's counter per node: the connections sent to this pod. */
  packets: Counts;
  total: number;
}

export interface PortPath {
  name: string;
  port: number;
  protocol: string;
  targetPort: string;
  serviceChain: string;
  entries: EntryPath[];
  endpoints: EndpointPath[];
  /** ClientIP affinity timeout, seconds. */
  affinitySeconds?: number;
  /** No usable endpoint: KUBE-SERVICES REJECTs. */
  rejected: boolean;
}

export interface RuleRow {
  node: string;
  table: string;
  chain: string;
  rule: string;
  packets: number;
  bytes: number;
}

export interface ServicePath {
  id: string;
  type: string;
  clusterIP?: string;
  externalName?: string;
  headless: boolean;
  ports: PortPath[];
  /** Every rule of the service on every node, with counters: the table under the diagram. */
  rules: RuleRow[];
  /** Nodes whose proxy did not answer, with the reason. */
  unreachable: Record<string, string>;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The summed counter per node of the rules that match. */
function count(rules: Record<string, LiveRule[]>, match: (r: LiveRule) => boolean): Counts {
  const out: Counts = {};
  for (const [node, list] of Object.entries(rules)) out[node] = list.filter(match).reduce((n, r) => n + r.packets, 0);
  return out;
}

const sum = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);

/**
 * The path of `svc`'s traffic with the counters of `rules` (per node name,
 * each node's /rules answer for this service).
 */
export function servicePath(svc: KubeObject, slices: KubeObject[], nodes: KubeObject[], pods: KubeObject[], rules: Record<string, LiveRule[]>, unreachable: Record<string, string> = {}): ServicePath {
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const rows: RuleRow[] = Object.entries(rules).flatMap(([node, list]) => list.map((r) => ({ node, ...r })));
  const base = { id, type, clusterIP: spec.clusterIP || undefined, rules: rows, unreachable };
  if (type === 'ExternalName') return { ...base, externalName: spec.externalName, headless: false, ports: [] };
  if (!spec.clusterIP || spec.clusterIP === 'None') return { ...base, headless: true, ports: [] };
  const podByIP = new Map<string, KubeObject>();
  for (const p of pods) if (p.status?.podIP && p.metadata.namespace === svc.metadata.namespace && !p.metadata.deletionTimestamp) podByIP.set(p.status.podIP, p);
  const where = new Map<string, { pod?: string; node?: string }>();
  for (const s of slices) for (const e of s.endpoints ?? []) where.set(e.addresses?.[0], { pod: e.targetRef?.name, node: e.nodeName });
  const ports: PortPath[] = [];
  for (const info of servicePorts([svc], slices)) {
    const p = (spec.ports ?? []).find((x: any) => (x.name ?? '') === info.portName && (x.protocol ?? 'TCP').toLowerCase() === info.protocol);
    const svcChain = serviceChain(info.spn, info.protocol);
    const ext = externalChain(info.spn, info.protocol);
    const internal = info.internalLocal ? localChain(info.spn, info.protocol) : svcChain;
    const external = info.externalLocal ? localChain(info.spn, info.protocol) : svcChain;
    const dport = `--dport ${info.port}( |$)`;
    const toVip = (ip: string) => (r: LiveRule) => r.table === 'nat' && r.chain === 'KUBE-SERVICES' && new RegExp(`-d ${escapeRe(ip)}/32 .*${dport}`).test(r.rule);
    const entries: EntryPath[] = [{ kind: 'ClusterIP', address: `${info.clusterIP}:${info.port}`, from: 'KUBE-SERVICES', via: [internal], packets: count(rules, toVip(info.clusterIP)) }];
    if (info.nodePort) {
      const np = count(rules, (r) => r.table === 'nat' && r.chain === 'KUBE-NODEPORTS' && new RegExp(`--dport ${info.nodePort}( |$)`).test(r.rule));
      for (const n of nodes) {
        const ip = nodeIP(n);
        const name = n.metadata.name!;
        entries.push({ kind: 'NodePort', address: `${ip ?? '<node IP>'}:${info.nodePort}`, node: name, from: 'KUBE-NODEPORTS', via: [ext, external], packets: { [name]: np[name] ?? 0 } });
      }
    }
    for (const ip of info.loadBalancerIPs) entries.push({ kind: 'LoadBalancer', address: `${ip}:${info.port}`, from: 'KUBE-SERVICES', via: [ext, external], packets: count(rules, toVip(ip)) });
    for (const ip of info.externalIPs) entries.push({ kind: 'ExternalIP', address: `${ip}:${info.port}`, from: 'KUBE-SERVICES', via: [ext, external], packets: count(rules, toVip(ip)) });
    const eps = usableEndpoints(info.endpoints);
    const endpoints = eps.map((e, i): EndpointPath => {
      const left = eps.length - i;
      const choice = left > 1 ? `1/${left} (${probability(1 / left)})` : i === 0 ? 'always' : 'otherwise';
      const chain = endpointChain(info.spn, info.protocol, `${e.ip}:${e.port}`);
      const w = where.get(e.ip);
      const pod = w?.pod ?? podByIP.get(e.ip)?.metadata.name;
      const packets = count(rules, (r) => r.table === 'nat' && r.chain === chain && r.rule.includes('-j DNAT'));
      return { chain, ip: e.ip, port: e.port, pod, node: e.nodeName ?? w?.node ?? podByIP.get(e.ip)?.spec?.nodeName, choice, ready: e.ready, packets, total: sum(packets) };
    });
    ports.push({
      name: info.portName,
      port: info.port,
      protocol: info.protocol.toUpperCase(),
      targetPort: String(p?.targetPort ?? info.port),
      serviceChain: svcChain,
      entries,
      endpoints,
      affinitySeconds: info.affinitySeconds,
      rejected: eps.length === 0,
    });
  }
  return { ...base, headless: false, ports };
}

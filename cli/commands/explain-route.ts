// mk8s explain-route svc/NAME: the path a packet to a Service takes through
// the rules kube-proxy (and mk8s' proxy) writes, read from the API: the
// ClusterIP:port (and nodePort, LoadBalancer IP) → KUBE-SVC-<hash> →
// one KUBE-SEP-<hash> per endpoint with its probability → the pod IP:port
// on its node. Chain names and probabilities come from the same pure
// functions the proxy uses (api/kube-proxy-names.ts, proxy/rules/desired.ts).
import type { Command, Ctx } from '../context.js';
import type { KubeObject } from '../../api/types.js';
import type { Client } from '../../client/http.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { parseSingleRef } from '../resolve.js';
import { endpointChain, externalChain, serviceChain, localChain } from '../../api/kube-proxy-names.js';
import { servicePorts, usableEndpoints, probability } from '../../proxy/rules/desired.js';
import { explainRouteNft } from '../../proxy/nftables/explain.js';

export function explainRoute(svc: KubeObject, slices: KubeObject[], nodes: KubeObject[]): string {
  const spec = svc.spec ?? {};
  const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const lines: string[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') {
    lines.push(`Service ${id}: ExternalName ${spec.externalName}`);
    lines.push(`  DNS answers ${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local with a CNAME to ${spec.externalName}; no iptables rules, packets go wherever that name resolves.`);
    return lines.join('\n') + '\n';
  }
  if (!spec.clusterIP || spec.clusterIP === 'None') {
    lines.push(`Service ${id}: headless (clusterIP None)`);
    lines.push('  No virtual IP and no iptables rules: DNS answers with the ready pod IPs directly.');
    for (const s of slices) for (const e of s.endpoints ?? []) lines.push(`    ${e.addresses?.[0]}${e.nodeName ? ` on ${e.nodeName}` : ''}`);
    return lines.join('\n') + '\n';
  }
  const nodeIp = new Map<string, string>();
  for (const n of nodes) {
    const ip = (n.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
    if (ip) nodeIp.set(n.metadata.name!, ip);
  }
  const podOf = new Map<string, { pod?: string; node?: string }>();
  for (const s of slices) for (const e of s.endpoints ?? []) podOf.set(e.addresses?.[0], { pod: e.targetRef?.name, node: e.nodeName });
  lines.push(`Service ${id}: ${type}, ClusterIP ${spec.clusterIP}`);
  const infos = servicePorts([{ ...svc, metadata: { ...svc.metadata } }], slices);
  for (const info of infos) {
    const p = (spec.ports ?? []).find((x: any) => (x.name ?? '') === info.portName && (x.protocol ?? 'TCP').toLowerCase() === info.protocol);
    const proto = info.protocol.toUpperCase();
    const svcChain = serviceChain(info.spn, info.protocol);
    lines.push('');
    lines.push(`port ${info.portName ? `${info.portName} ` : ''}${info.port}/${proto} -> targetPort ${p?.targetPort ?? info.port}`);
    const internal = info.internalLocal ? localChain(info.spn, info.protocol) : svcChain;
    lines.push(`  ${info.clusterIP}:${info.port}  KUBE-SERVICES -> ${internal}${info.internalLocal ? ' (internalTrafficPolicy Local: endpoints on the same node only)' : ''}`);
    const ext = externalChain(info.spn, info.protocol);
    if (info.nodePort) {
      const ips = [...nodeIp.values()];
      lines.push(`  ${ips.length ? ips.map((ip) => `${ip}:${info.nodePort}`).join(', ') : `<any node IP>:${info.nodePort}`}  KUBE-NODEPORTS -> ${ext} -> ${info.externalLocal ? localChain(info.spn, info.protocol) : svcChain}`);
    }
    for (const ip of [...info.loadBalancerIPs, ...info.externalIPs]) lines.push(`  ${ip}:${info.port}  KUBE-SERVICES -> ${ext} -> ${svcChain}`);
    if (type === 'LoadBalancer' && info.loadBalancerIPs.length === 0) lines.push('  LoadBalancer IP: <pending>');
    const eps = usableEndpoints(info.endpoints);
    if (eps.length === 0) {
      lines.push(`  ${svcChain}: no ready endpoints, so KUBE-SERVICES REJECTs packets to ${info.clusterIP}:${info.port} (as kube-proxy)`);
      continue;
    }
    lines.push(`  ${svcChain} picks one endpoint (the rules are tried in order):`);
    eps.forEach((e, i) => {
      const left = eps.length - i;
      const chance = left > 1 ? `probability ${probability(1 / left)}` : i === 0 ? 'always' : 'otherwise';
      const where = podOf.get(e.ip);
      const node = e.nodeName ?? where?.node;
      const on = node ? ` on node ${node}${nodeIp.get(node) ? ` (${nodeIp.get(node)})` : ''}` : '';
      lines.push(`    ${chance.padEnd(24)} -> ${endpointChain(info.spn, info.protocol, `${e.ip}:${e.port}`)} -> DNAT ${e.ip}:${e.port}  ${where?.pod ? `pod ${where.pod}` : ''}${on}${e.ready ? '' : ' (terminating)'}`);
    });
  }
  return lines.join('\n') + '\n';
}

async function run(ctx: Ctx): Promise<number> {
  const { type, name } = ctx.args[0]?.includes('/') ? parseSingleRef(ctx.args) : parseSingleRef(['svc', ...ctx.args]);
  if (type.kind !== 'Service') throw new CliError('error: explain-route explains services: mk8s explain-route svc/NAME');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const svc = await client.get(type, ns, name);
  const [slices, nodes] = await Promise.all([
    client.list(findByKind('discovery.k8s.io/v1', 'EndpointSlice')!, ns, { labelSelector: `kubernetes.io/service-name=${name}` }).then((l) => l.items),
    client.list(findByKind('v1', 'Node')!).then((l) => l.items),
  ]);
  // The mode the cluster was brought up in (`mk8s up --proxy-mode`, recorded in its cluster.json), unless given.
  const mode = ctx.changed.has('proxy-mode') ? ctx.flags['proxy-mode'] || 'iptables' : await recordedProxyMode(ctx);
  if (mode !== 'iptables' && mode !== 'nftables') throw new CliError(`error: unknown proxy mode "${mode}" (choose one of: iptables, nftables)`);
  ctx.out.write(mode === 'nftables' ? explainRouteNft(svc, slices, nodes) : explainRoute(svc, slices, nodes));
  if (ctx.flags.live) ctx.out.write(await liveRules(client, `${ns}/${name}`, nodes));
  return 0;
}

/** The proxy mode recorded for the cluster this kubeconfig talks to (found by its API server URL); iptables when none is. */
async function recordedProxyMode(ctx: Ctx): Promise<string> {
  const { stateByServer } = await import('../../cluster/state.js');
  return (await stateByServer(await ctx.server()))?.options?.proxyMode ?? 'iptables';
}

/**
 * Each node's rules for the service with the kernel's counters, from the node's proxy (`:10256/rules`), asked
 * through the apiserver's node proxy (only the apiserver's client certificate may read them).
 */
async function liveRules(client: Client, service: string, nodes: KubeObject[]): Promise<string> {
  const fetchRules = (node: string) =>
    client.request('GET', `/api/v1/nodes/${encodeURIComponent(`${node}:10256`)}/proxy/rules`, { query: { service }, timeoutMs: 5000 });
  const out: string[] = [];
  for (const n of nodes) {
    const ip = (n.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
    out.push('', `Live rules on node ${n.metadata.name}${ip ? ` (${ip})` : ''}:    pkts      bytes  table chain rule`);
    if (!ip) {
      out.push('  (no InternalIP)');
      continue;
    }
    try {
      const r = await fetchRules(n.metadata.name!);
      for (const rule of r.rules ?? []) {
        out.push(`  ${String(rule.packets).padStart(8)} ${String(rule.bytes).padStart(10)}  ${rule.table.padEnd(6)} ${rule.chain} ${rule.rule}`);
      }
      if (!(r.rules ?? []).length) out.push('  (no rules for this service on this node)');
    } catch (e) {
      out.push(`  (the node's proxy at ${ip}:10256 did not answer: ${(e as Error).message})`);
    }
  }
  return out.join('\n') + '\n';
}

const cmd: Command = {
  use: 'explain-route svc/NAME',
  short: 'mk8s: show the path a packet to a Service takes (ClusterIP -> KUBE-SVC -> KUBE-SEP -> pod)',
  flags: [
    { name: 'proxy-mode', type: 'string', default: 'iptables', usage: "mk8s: explain in the words of this proxy mode (iptables or nftables); default: the mode `mk8s up` recorded for the cluster, else iptables." },
    { name: 'live', type: 'bool', usage: "mk8s: also show each node's rules for the service with their packet counters (asks each node's proxy)." },
  ],
  run,
};

export default cmd;

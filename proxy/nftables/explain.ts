// `mk8s explain-route --proxy-mode nftables`: the path a packet to a Service
// takes through table ip kube-proxy, from the same pure functions the
// nftables backend uses: the service-ips / service-nodeports map element →
// service-/local-/external- chain → the numgen cascade → endpoint- chain →
// DNAT. Pure.
import type { KubeObject } from '../../api/types.js';
import { servicePorts, usableEndpoints, type ProxyNode } from '../rules/desired.js';
import { nftPortRules } from './ruleset.js';
import { endpointChainBase, nftEndpointChain, nftExternalChain, nftLocalChain, nftServiceChain, portChainBase } from './names.js';

export function explainRouteNft(svc: KubeObject, slices: KubeObject[], nodes: KubeObject[], clusterCIDR = '10.244.0.0/16'): string {
  const id = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const spec = svc.spec ?? {};
  const lines = [`Service ${id}: ${spec.type ?? 'ClusterIP'}, ClusterIP ${spec.clusterIP ?? '-'} (nftables mode: table ip kube-proxy)`];
  const node: ProxyNode = { name: nodes[0]?.metadata.name ?? '', ips: [] };
  for (const info of servicePorts([svc], slices)) {
    const base = portChainBase(info.namespace, info.name, info.protocol, info.portName);
    const f = nftPortRules(info, node, { clusterCIDR });
    lines.push('', `port ${info.portName ? `${info.portName} ` : ''}${info.port}/${info.protocol.toUpperCase()}`);
    for (const [map, elems] of Object.entries(f.maps)) for (const [k, v] of elems) lines.push(`  @${map}: ${k} : ${v.verdict}`);
    if (info.nodePort || info.externalIPs.length || info.loadBalancerIPs.length) lines.push(`  ${nftExternalChain(base)}: masquerade / Local short-circuits, then the policy chain`);
    const eps = usableEndpoints(info.endpoints);
    if (!eps.length) {
      lines.push('  no ready endpoints: @no-endpoint-services rejects (connection refused), as kube-proxy');
      continue;
    }
    lines.push(`  ${info.internalLocal ? nftLocalChain(base) : nftServiceChain(base)} picks one endpoint (rules tried in order):`);
    eps.forEach((e, i) => {
      const left = eps.length - i;
      const how = left > 1 ? `numgen random mod ${left} 0` : i === 0 ? 'always' : 'otherwise';
      lines.push(`    ${how.padEnd(22)} -> ${nftEndpointChain(endpointChainBase(info.namespace, info.name, info.protocol, info.portName, e.ip, e.port))} -> dnat to ${e.ip}:${e.port}${e.nodeName ? ` on node ${e.nodeName}` : ''}${e.ready ? '' : ' (terminating)'}`);
    });
  }
  return lines.join('\n') + '\n';
}

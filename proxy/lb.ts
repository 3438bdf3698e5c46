// LoadBalancer IPs, MetalLB layer-2 style: exactly one node answers ARP for
// each IP. Which one is a pure, deterministic choice every proxy makes alike
// from the same API state: among Ready nodes hosting a ready endpoint of the
// service, the lowest sha256(node + "#" + ip) (MetalLB's own tie-break idea).
// A node that fails drops out of the candidates, so the IP moves.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { endpointsFor, usableEndpoints } from './rules/desired.js';

export function nodeIsReady(node: KubeObject): boolean {
  return (node.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** LB IP → the node that should announce it. */
export function lbAnnouncers(services: KubeObject[], slices: KubeObject[], nodes: KubeObject[]): Map<string, string> {
  const ready = new Set(nodes.filter(nodeIsReady).map((n) => n.metadata.name!));
  const out = new Map<string, string>();
  for (const svc of services) {
    if (svc.spec?.type !== 'LoadBalancer') continue;
    const hosts = new Set<string>();
    for (const p of svc.spec.ports ?? []) {
      for (const e of usableEndpoints(endpointsFor(svc, p, slices))) if (e.nodeName && ready.has(e.nodeName)) hosts.add(e.nodeName);
    }
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (!ing.ip || hosts.size === 0) continue;
      const score = (n: string) => createHash('sha256').update(`${n}#${ing.ip}`).digest('hex');
      out.set(ing.ip, [...hosts].sort((a, b) => (score(a) < score(b) ? -1 : 1))[0]);
    }
  }
  return out;
}

/** The IPs this node must hold. */
export function announcedBy(announcers: Map<string, string>, nodeName: string): string[] {
  return [...announcers].filter(([, n]) => n === nodeName).map(([ip]) => ip).sort();
}

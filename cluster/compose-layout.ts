// The shape of a `docker compose up` cluster (docker-compose.yml), as a pure
// function of the compose environment (.env) and a node container's own
// address: each node is a container on the compose network, and its identity
// comes from its address (node .N gets pods 10.x.N.0/24), so every node can
// add its host-gw routes to every possible peer at start, with no controller.
// Node agents get exactly `mk8s up`'s flags (cluster/up.ts nodeAgents), run
// in the container's own network namespace instead of `ip netns exec`.
import { cidrContains, intToIp, ipToInt, parseCidr } from '../api/cidr.js';
import { lbPool, nodeAgents } from './up.js';
import { clusterLayout, defaultClusterOptions, type ClusterLayout, type ClusterOptions, type NodeLayout } from './layout.js';
import type { ProcessSpec } from './state.js';

export interface ComposeEnv {
  clusterName: string;
  nodeCidr: string;
  podCidr: string;
  serviceCidr: string;
  /** The apiserver's port inside the compose network (and on the host's loopback). */
  apiPort: number;
  /** The cluster's shared data folder (a compose volume): the apiserver's data, kubeconfigs, node certificates. */
  dataDir: string;
}

/** Node containers sit on .10-.199; .2 is the control plane, .200-.250 the LoadBalancer pool. */
export const NODE_HOSTS = { first: 10, last: 199 } as const;
export const CONTROL_PLANE_HOST = 2;

export const composeDefaults: ComposeEnv = {
  clusterName: 'mk8s-compose',
  nodeCidr: '172.19.0.0/24',
  podCidr: '10.245.0.0/16',
  serviceCidr: '10.128.0.0/16',
  apiPort: 6443,
  dataDir: '/var/lib/mk8s',
};

/** The compose environment from MK8S_* variables (docker-compose.yml passes .env's), checked. */
export function composeEnv(env: Record<string, string | undefined>): ComposeEnv {
  const e: ComposeEnv = {
    clusterName: env.MK8S_CLUSTER_NAME || composeDefaults.clusterName,
    nodeCidr: env.MK8S_NODE_CIDR || composeDefaults.nodeCidr,
    podCidr: env.MK8S_POD_CIDR || composeDefaults.podCidr,
    serviceCidr: env.MK8S_SERVICE_CIDR || composeDefaults.serviceCidr,
    apiPort: Number(env.MK8S_API_PORT || composeDefaults.apiPort),
    dataDir: env.MK8S_DATA || composeDefaults.dataDir,
  };
  if (!Number.isInteger(e.apiPort) || e.apiPort < 1 || e.apiPort > 65535) throw new Error(`MK8S_API_PORT: invalid port "${env.MK8S_API_PORT}"`);
  // The same checks as `mk8s up` (valid, non-overlapping ranges).
  const l = clusterLayout({ ...defaultClusterOptions, ...clusterOptions(e), nodes: 1 });
  if (l.prefixLen !== 24) throw new Error(`MK8S_NODE_CIDR ${e.nodeCidr}: must be a /24 (node .N gets pods ${e.podCidr}'s N-th /24)`);
  return e;
}

function clusterOptions(e: ComposeEnv): Partial<ClusterOptions> {
  return { name: e.clusterName, nodeCidr: e.nodeCidr, podCidr: e.podCidr, serviceCidr: e.serviceCidr, apiPort: e.apiPort };
}

/** The cluster's layout with only the given nodes (for the flags of their agents and the LB pool). */
export function composeLayout(e: ComposeEnv, nodes: NodeLayout[] = []): ClusterLayout {
  const l = clusterLayout({ ...defaultClusterOptions, ...clusterOptions(e), nodes: 1 });
  return { ...l, nodes, apiServer: `https://${controlPlaneIp(e)}:${e.apiPort}` };
}

export function controlPlaneIp(e: ComposeEnv): string {
  return intToIp(parseCidr(e.nodeCidr).base + CONTROL_PLANE_HOST);
}

/** The host part of a node address, checked to be a node's (.10-.199 of the node network). */
function hostNumber(e: ComposeEnv, ip: string): number {
  const net = parseCidr(e.nodeCidr);
  if (ipToInt(ip) === undefined || !cidrContains(net, ip)) throw new Error(`node address ${ip} is not in the node network ${e.nodeCidr}`);
  const h = ipToInt(ip)! - net.base;
  if (h < NODE_HOSTS.first || h > NODE_HOSTS.last) throw new Error(`node address ${ip}: nodes take .${NODE_HOSTS.first}-.${NODE_HOSTS.last} of ${e.nodeCidr} (docker-compose.yml's ipv4_address)`);
  return h;
}

/** The pod range of the node at `ip`: the pod CIDR's N-th /24 for node .N. */
export function podCidrOf(e: ComposeEnv, ip: string): string {
  return `${intToIp(parseCidr(e.podCidr).base + hostNumber(e, ip) * 256)}/24`;
}

/** A node container's layout: its name (the compose service's), address and pod range. */
export function composeNode(e: ComposeEnv, name: string, ip: string): NodeLayout {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`invalid node name "${name}": lowercase letters, digits and '-'`);
  return { name, role: 'worker', netns: '', ip, podCidr: podCidrOf(e, ip), hostVeth: '', peerVeth: '' };
}

/**
 * The routes a node container adds in its own namespace: `unreachable` for
 * the pod and service ranges (so nothing for them leaves through the
 * compose network's gateway), and host-gw routes to every other possible
 * node's pod range via that node's address.
 */
export function nodeRoutes(e: ComposeEnv, self: NodeLayout): string[][] {
  const net = parseCidr(e.nodeCidr);
  const out: string[][] = [
    ['unreachable', e.podCidr],
    ['unreachable', e.serviceCidr],
  ];
  for (let h = NODE_HOSTS.first; h <= NODE_HOSTS.last; h++) {
    const ip = intToIp(net.base + h);
    if (ip === self.ip) continue;
    out.push([podCidrOf(e, ip), 'via', ip]);
  }
  return out;
}

/** The kubelet and proxy of a node container: `mk8s up`'s flags, without its `ip netns exec NS` prefix. */
export function composeNodeAgents(e: ComposeEnv, self: NodeLayout, opts: { offline?: boolean; dnsUpstreams?: string; proxyMode?: 'iptables' | 'nftables' } = {}): ProcessSpec[] {
  const l = composeLayout(e, [self]);
  // Split: compose's entry supervises (restarts) each part on its own.
  return nodeAgents(l, self, e.dataDir, { splitNodeComponents: true, ...(opts.offline ? { offline: true } : {}), ...(opts.dnsUpstreams ? { dnsUpstreams: opts.dnsUpstreams } : {}), ...(opts.proxyMode ? { proxyMode: opts.proxyMode } : {}) }).map((p) => {
    const i = p.argv.indexOf('exec');
    return { ...p, argv: p.argv[0] === 'ip' && i === 2 ? p.argv.slice(4) : p.argv };
  });
}

/** The control-plane process's argv (cluster/control-plane.ts), bound to the control plane's address. */
export function composeControlPlaneArgv(e: ComposeEnv, controlPlaneMain: string, execPath: string): string[] {
  const l = composeLayout(e);
  return [
    execPath,
    controlPlaneMain,
    '--data-dir', `${e.dataDir}/apiserver`,
    '--bind', controlPlaneIp(e),
    '--port', String(e.apiPort),
    '--service-cidr', e.serviceCidr,
    '--cluster-name', e.clusterName,
    '--lb-pool', lbPool(l),
  ];
}

/** The kubeconfig for the host: the same credentials, the server on the host's loopback (the published port). */
export function hostKubeconfig(text: string, apiPort: number): string {
  return text.replace(/(server:\s*)https:\/\/[^\s]+/, `$1https://127.0.0.1:${apiPort}`);
}

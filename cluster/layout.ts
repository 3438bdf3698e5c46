// The shape of a local cluster, as a pure function of `mk8s up`'s options:
// node names and namespaces, node IPs on the host bridge, each node's pod
// CIDR, and the exact `ip`/`iptables` commands that make (and unmake) the
// node network. Nothing here touches the machine; network.ts runs the steps.
import { cidrsOverlap, intToIp, ipToInt, parseCidr, type Cidr } from '../api/cidr.js';

export interface ClusterOptions {
  /** Cluster name: node names are `<name>-control-plane`, `<name>-worker`, `<name>-worker2`… (as kind). */
  name: string;
  nodes: number;
  /** Host bridge of the node network (at most 15 characters, a Linux interface name). */
  bridge: string;
  /** The node network, a /24 (or larger): the host is .1, node i is .(i+2). */
  nodeCidr: string;
  /** Pods: node i gets the (i+1)-th /24 of this range. */
  podCidr: string;
  serviceCidr: string;
  apiPort: number;
  kubeletPort: number;
  /**
   * Control-plane nodes (`--control-planes`, with etcd only): the first N
   * nodes, each with an etcd member and an API server. Absent means 1.
   */
  controlPlanes?: number;
}

export const defaultClusterOptions: ClusterOptions = {
  name: 'mk8s',
  nodes: 2,
  bridge: 'mk8s0',
  nodeCidr: '172.18.0.0/24',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  apiPort: 6443,
  kubeletPort: 10250,
};

export interface NodeLayout {
  name: string;
  role: 'control-plane' | 'worker';
  /** The node's network namespace (named as the node, like kind's containers). */
  netns: string;
  ip: string;
  podCidr: string;
  /** Host end of the node's veth, on the bridge; the node end is renamed eth0 inside the netns. */
  hostVeth: string;
  /** Temporary name of the node end before it moves into the netns. */
  peerVeth: string;
}

export interface ClusterLayout {
  options: ClusterOptions;
  hostIp: string;
  prefixLen: number;
  nodes: NodeLayout[];
  /** Our FORWARD accept chain for the bridge (Docker sets FORWARD's policy to DROP). */
  forwardChain: string;
  /** The cluster DNS address pods get in resolv.conf: the service range's 10th address. */
  clusterDns: string;
  /** The apiserver URL, on the host's bridge address. */
  apiServer: string;
}

/**
 * kind's node names: `<name>-control-plane`, `<name>-worker`, `<name>-worker2`, …;
 * with several control planes `<name>-control-plane`, `<name>-control-plane2`, … first.
 */
export function nodeNames(cluster: string, count: number, controlPlanes = 1): string[] {
  const names: string[] = [];
  for (let i = 0; i < Math.min(controlPlanes, count); i++) names.push(i === 0 ? `${cluster}-control-plane` : `${cluster}-control-plane${i + 1}`);
  for (let w = 1; names.length < count; w++) names.push(w === 1 ? `${cluster}-worker` : `${cluster}-worker${w}`);
  return names;
}

/** Why a control-plane count is not one mk8s can run (undefined: it can). etcd wants an odd number of members. */
export function controlPlanesError(n: number, nodes?: number): string | undefined {
  if (!Number.isInteger(n) || n < 1) return `--control-planes must be a positive odd number (got ${n})`;
  if (n % 2 === 0) return `--control-planes must be odd (got ${n}): etcd needs a majority of its members, and an even count tolerates no more failures than the odd count below it`;
  if (n > 7) return `--control-planes must be at most 7 (got ${n})`;
  if (nodes !== undefined && nodes < n) return `--nodes ${nodes} is fewer than --control-planes ${n} (each control plane is a node)`;
  return undefined;
}

export function validateOptions(o: ClusterOptions): string[] {
  const errs: string[] = [];
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.name) || o.name.length > 40) errs.push(`invalid cluster name "${o.name}": lowercase letters, digits and '-', at most 40 characters`);
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 20) errs.push(`--nodes must be between 1 and 20 (got ${o.nodes})`);
  if (o.controlPlanes !== undefined) {
    const e = controlPlanesError(o.controlPlanes, o.nodes);
    if (e) errs.push(e);
  }
  if (!/^[a-zA-Z0-9_.-]{1,12}$/.test(o.bridge)) errs.push(`invalid bridge name "${o.bridge}": at most 12 characters of [a-zA-Z0-9_.-]`);
  for (const [flag, v] of [['--node-cidr', o.nodeCidr], ['--pod-cidr', o.podCidr], ['--service-cidr', o.serviceCidr]] as const) {
    try {
      parseCidr(v);
    } catch {
      errs.push(`${flag}: invalid CIDR "${v}"`);
    }
  }
  if (errs.length) return errs;
  const node = parseCidr(o.nodeCidr);
  if (node.bits > 24) errs.push(`--node-cidr ${o.nodeCidr}: needs at least a /24`);
  const pod = parseCidr(o.podCidr);
  if (pod.bits > 16) errs.push(`--pod-cidr ${o.podCidr}: needs at least a /16 (one /24 per node)`);
  const ranges: [string, Cidr][] = [['--node-cidr', node], ['--pod-cidr', pod], ['--service-cidr', parseCidr(o.serviceCidr)]];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      if (cidrsOverlap(ranges[i][1], ranges[j][1])) errs.push(`${ranges[i][0]} ${ranges[i][1].text} overlaps ${ranges[j][0]} ${ranges[j][1].text}`);
    }
  }
  return errs;
}

export function clusterLayout(o: ClusterOptions): ClusterLayout {
  const errs = validateOptions(o);
  if (errs.length) throw new Error(errs.join('; '));
  const net = parseCidr(o.nodeCidr);
  const pods = parseCidr(o.podCidr);
  const svc = parseCidr(o.serviceCidr);
  const hostIp = intToIp(net.base + 1);
  const cps = o.controlPlanes ?? 1;
  const nodes = nodeNames(o.name, o.nodes, cps).map((name, i): NodeLayout => ({
    name,
    role: i < cps ? 'control-plane' : 'worker',
    netns: name,
    ip: intToIp(net.base + 2 + i),
    podCidr: `${intToIp(pods.base + (i + 1) * 256)}/24`,
    hostVeth: `${o.bridge}n${i}`,
    peerVeth: `${o.bridge}p${i}`,
  }));
  return {
    options: o,
    hostIp,
    prefixLen: net.bits,
    nodes,
    forwardChain: `MK8S-FORWARD-${o.bridge}`.slice(0, 28),
    clusterDns: intToIp(svc.base + 10),
    apiServer: `https://${hostIp}:${o.apiPort}`,
  };
}

/** One command of the node network's setup, with its undo (run by `mk8s down`, failures ignored). */
export interface NetStep {
  what: string;
  argv: string[];
}

const netnsExec = (ns: string, argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];

/**
 * Everything `mk8s up` does to the machine's network, in order. Each range
 * gets an `unreachable` route where it is not local, so no packet for a
 * pod, service or node address can leave the machine.
 */
export function networkUpSteps(l: ClusterLayout): NetStep[] {
  const o = l.options;
  const steps: NetStep[] = [
    { what: `bridge ${o.bridge}`, argv: ['ip', 'link', 'add', o.bridge, 'type', 'bridge'] },
    { what: `bridge address ${l.hostIp}/${l.prefixLen}`, argv: ['ip', 'addr', 'add', `${l.hostIp}/${l.prefixLen}`, 'dev', o.bridge] },
    { what: 'bridge up', argv: ['ip', 'link', 'set', o.bridge, 'up'] },
    { what: `safety route for pods ${o.podCidr}`, argv: ['ip', 'route', 'add', 'unreachable', o.podCidr] },
    { what: `safety route for services ${o.serviceCidr}`, argv: ['ip', 'route', 'add', 'unreachable', o.serviceCidr] },
    // Docker sets FORWARD's policy to DROP and br_netfilter sends bridged frames through it.
    { what: `chain ${l.forwardChain}`, argv: ['iptables', '-w', '-N', l.forwardChain] },
    { what: 'accept from the node network', argv: ['iptables', '-w', '-A', l.forwardChain, '-i', o.bridge, '-j', 'ACCEPT'] },
    { what: 'accept to the node network', argv: ['iptables', '-w', '-A', l.forwardChain, '-o', o.bridge, '-j', 'ACCEPT'] },
    { what: `jump to ${l.forwardChain}`, argv: ['iptables', '-w', '-I', 'FORWARD', '1', '-j', l.forwardChain] },
  ];
  for (const n of l.nodes) {
    steps.push(
      { what: `netns ${n.netns}`, argv: ['ip', 'netns', 'add', n.netns] },
      { what: `veth ${n.hostVeth}`, argv: ['ip', 'link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', n.peerVeth] },
      { what: `${n.hostVeth} on ${o.bridge}`, argv: ['ip', 'link', 'set', n.hostVeth, 'master', o.bridge, 'up'] },
      { what: `${n.peerVeth} into ${n.netns}`, argv: ['ip', 'link', 'set', n.peerVeth, 'netns', n.netns] },
      { what: 'rename eth0', argv: netnsExec(n.netns, ['ip', 'link', 'set', n.peerVeth, 'name', 'eth0']) },
      { what: `node address ${n.ip}`, argv: netnsExec(n.netns, ['ip', 'addr', 'add', `${n.ip}/${l.prefixLen}`, 'dev', 'eth0']) },
      { what: 'eth0 up', argv: netnsExec(n.netns, ['ip', 'link', 'set', 'eth0', 'up']) },
      { what: 'lo up', argv: netnsExec(n.netns, ['ip', 'link', 'set', 'lo', 'up']) },
      { what: 'forwarding', argv: netnsExec(n.netns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']) },
      { what: 'node safety route for pods', argv: netnsExec(n.netns, ['ip', 'route', 'add', 'unreachable', o.podCidr]) },
      // A node's own processes reach ClusterIPs (`curl <ClusterIP>` in a node shell, as after `minikube ssh`):
      // their packets need a route before nat OUTPUT rewrites them. Via the host, whose unreachable
      // route drops an address no Service holds, so nothing leaves the machine.
      { what: 'node route for services via the host', argv: netnsExec(n.netns, ['ip', 'route', 'add', o.serviceCidr, 'via', l.hostIp]) },
    );
    // host-gw: every other node's pod CIDR via that node.
    for (const m of l.nodes) {
      if (m === n) continue;
      steps.push({ what: `route ${m.podCidr} via ${m.name}`, argv: netnsExec(n.netns, ['ip', 'route', 'add', m.podCidr, 'via', m.ip]) });
    }
    steps.push({ what: `host route ${n.podCidr} via ${n.name}`, argv: ['ip', 'route', 'add', n.podCidr, 'via', n.ip] });
  }
  return steps;
}

/** The undo of networkUpSteps, each step safe to run when its thing is already gone. */
export function networkDownSteps(l: ClusterLayout): NetStep[] {
  const o = l.options;
  const steps: NetStep[] = [];
  for (const n of l.nodes) {
    steps.push(
      { what: `host route ${n.podCidr}`, argv: ['ip', 'route', 'del', n.podCidr, 'via', n.ip] },
      // Deleting the netns destroys its interfaces (the veth pair, cni0, pods' veths).
      { what: `netns ${n.netns}`, argv: ['ip', 'netns', 'delete', n.netns] },
      { what: `veth ${n.hostVeth}`, argv: ['ip', 'link', 'del', n.hostVeth] },
    );
  }
  steps.push(
    { what: `jump to ${l.forwardChain}`, argv: ['iptables', '-w', '-D', 'FORWARD', '-j', l.forwardChain] },
    { what: `flush ${l.forwardChain}`, argv: ['iptables', '-w', '-F', l.forwardChain] },
    { what: `chain ${l.forwardChain}`, argv: ['iptables', '-w', '-X', l.forwardChain] },
    { what: `safety route ${o.serviceCidr}`, argv: ['ip', 'route', 'del', 'unreachable', o.serviceCidr] },
    { what: `safety route ${o.podCidr}`, argv: ['ip', 'route', 'del', 'unreachable', o.podCidr] },
    { what: `bridge ${o.bridge}`, argv: ['ip', 'link', 'del', o.bridge] },
  );
  return steps;
}

/**
 * The first candidate /24 that overlaps nothing on the machine (its
 * addresses and routes), for `mk8s up` when 172.18.0.0/24 is taken
 * (e.g. by a Docker network).
 */
export function pickFreeSubnet(candidates: string[], inUse: string[]): string | undefined {
  const used = inUse.flatMap((c) => {
    try {
      return [parseCidr(c.includes('/') ? c : `${c}/32`)];
    } catch {
      return [];
    }
  });
  return candidates.find((c) => !used.some((u) => u.bits > 0 && cidrsOverlap(parseCidr(c), u)));
}

/** 172.18.0.0/24, 172.19.0.0/24, … 172.31.0.0/24: the candidates for the node network. */
export function nodeSubnetCandidates(preferred: string): string[] {
  const out = [preferred];
  for (let b = 18; b <= 31; b++) out.push(`172.${b}.0.0/24`);
  return [...new Set(out)];
}

/** Destinations (CIDRs) of `ip -4 route` / `ip -4 addr` output lines, for pickFreeSubnet. */
export function cidrsInUse(routeText: string, addrText: string): string[] {
  const out: string[] = [];
  for (const line of routeText.split('\n')) {
    const first = line.trim().split(/\s+/);
    const dest = first[0] === 'unreachable' || first[0] === 'blackhole' || first[0] === 'prohibit' ? first[1] : first[0];
    if (dest && dest !== 'default' && /^[\d.]+(\/\d+)?$/.test(dest)) out.push(dest);
  }
  for (const m of addrText.matchAll(/inet ([\d.]+\/\d+)/g)) {
    const c = parseCidr(m[1]);
    out.push(`${intToIp(c.base)}/${c.bits}`);
  }
  return out;
}

export { ipToInt };

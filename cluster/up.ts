// `mk8s up`: prerequisites, the node network, images, the control plane and
// one kubelet per node as background processes, the shared kubeconfig, and
// a wait until every node is Ready. Running it on a cluster that is up says
// so (and restarts any of its processes that died).
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, resourcePath } from '../client/http.js';
import { findByPlural } from '../api/resources.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { intToIp, parseCidr } from '../api/cidr.js';
import { cidrsInUse, clusterLayout, defaultClusterOptions, nodeSubnetCandidates, pickFreeSubnet, type ClusterLayout, type ClusterOptions, type NodeLayout } from './layout.js';
import { networkConflicts, networkUp } from './network.js';
import { checkPrerequisites, describeMissing, gatherMachine, installPrerequisites, missingOf } from './prereqs.js';
import { exec } from './exec.js';
import { clusterDir, processAlive, readState, sharedKubeconfigPath, spawnDetached, stopProcess, tailFile, writeState, type ClusterState, type ProcessSpec, type RecordedProcess } from './state.js';
import { down } from './down.js';
import { readyNodes } from './status.js';
import { controlPlaneEntry } from './control-plane.js';
import { controlPlaneDataDir, ensureClusterPki, ensureControlPlanesPki, nodeTlsPaths } from './pki.js';
import { lbProxyEntry } from './lb-proxy.js';
import { poolRoutesEntry } from './pool-routes.js';
import { ensureToken, writeKubeconfig } from '../apiserver/credentials.js';
import type { ProxyMode } from '../proxy/backend.js';
import { modeUnavailable, parseProxyMode } from '../proxy/backends.js';
import { clientUrls, ensureEtcdPki, etcdTlsPaths, startEtcdMembers, waitEtcdHealthy, type EtcdClusterSpec } from './etcd.js';
import { ensureCA } from '../apiserver/certs.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/cli/main.js and dist/cluster/control-plane.js, next to this module once built. */
export const mk8sMain = join(here, '..', 'cli', 'main.js');
const controlPlaneMain = controlPlaneEntry;

export interface UpOptions extends Partial<ClusterOptions> {
  installDeps?: boolean;
  /** Seconds to wait for the nodes to be Ready. */
  waitSeconds?: number;
  nodeMonitorGracePeriodSeconds?: number;
  podEvictionTimeoutSeconds?: number;
  /** Upstream resolvers for names outside the cluster zone (`ip:port,…`); default: the host's resolv.conf. */
  dnsUpstreams?: string;
  /** Kubelets never pull images (`--offline`). */
  offline?: boolean;
  /** Run each node's kubelet and proxy as two processes (`mk8s kubelet`, `mk8s proxy`) instead of one `mk8s node`. */
  splitNodeComponents?: boolean;
  /** The proxies' mode (`--proxy-mode`; default iptables). On a running cluster: switch to it. */
  proxyMode?: string;
  /** Build the images if missing (default true). */
  images?: boolean;
  /** Where the API server stores: `level` (LevelDB, default) or `etcd` (Debian's etcd, a recorded process). */
  storage?: 'level' | 'etcd';
  /** Control-plane nodes (odd, etcd only): each runs an etcd member and an API server; a load balancer fronts them. */
  controlPlanes?: number;
  say?: (line: string) => void;
}

/** Whether the layout has several control-plane nodes (`--control-planes N`, N > 1). */
export function isHa(l: ClusterLayout): boolean {
  return (l.options.controlPlanes ?? 1) > 1;
}

/**
 * The processes of a cluster: the control plane, then each node's agents.
 * With several control planes: one control-plane process per control-plane
 * node (in its namespace), then the load balancer on the host, then the agents.
 */
export function clusterProcesses(l: ClusterLayout, dir: string, o: ClusterState['options']): ProcessSpec[] {
  if (isHa(l)) return [...haControlPlanes(l, dir, o), lbProxyProcess(l, dir), poolRoutesProcess(l, dir), ...l.nodes.flatMap((n) => nodeAgents(l, n, dir, o))];
  const controlPlane: ProcessSpec = {
    role: 'control-plane',
    argv: [
      process.execPath,
      ...nodeAgentFlags,
      controlPlaneMain,
      '--data-dir', join(dir, 'apiserver'),
      '--bind', l.hostIp,
      '--port', String(l.options.apiPort),
      '--service-cidr', l.options.serviceCidr,
      '--cluster-name', l.options.name,
      '--lb-pool', lbPool(l),
      '--bridge', l.options.bridge,
      '--node-cidr', `${l.hostIp}/${l.prefixLen}`,
      '--pod-cidr', l.options.podCidr,
      ...(o.storage === 'etcd' ? etcdApiServerArgs(l, dir) : []),
      ...(o.nodeMonitorGracePeriodSeconds ? ['--node-monitor-grace-period', String(o.nodeMonitorGracePeriodSeconds)] : []),
      ...(o.podEvictionTimeoutSeconds !== undefined ? ['--pod-eviction-timeout', String(o.podEvictionTimeoutSeconds)] : []),
    ],
    log: join(dir, 'logs', 'control-plane.log'),
  };
  return [controlPlane, ...l.nodes.flatMap((n) => nodeAgents(l, n, dir, o))];
}

/**
 * With several control planes: on each control-plane node, in its network
 * namespace, an API server bound to the node's address (as kubeadm's
 * kube-apiserver on each control-plane node), with the controllers in the
 * same process under leader election. Each knows every etcd member (a member
 * lost is a connection retried on another), advertises the load balancer as
 * the `kubernetes` Service's endpoint, and has the balancer's address in its
 * certificate (the balancer passes TLS through).
 */
export function haControlPlanes(l: ClusterLayout, dir: string, o: ClusterState['options']): ProcessSpec[] {
  const port = String(l.options.apiPort);
  return l.nodes
    .filter((n) => n.role === 'control-plane')
    .map((n) => ({
      role: 'control-plane',
      node: n.name,
      argv: [
        'ip', 'netns', 'exec', n.netns,
        process.execPath,
        ...nodeAgentFlags,
        controlPlaneMain,
        '--data-dir', controlPlaneDataDir(dir, n),
        '--bind', n.ip,
        '--port', port,
        '--service-cidr', l.options.serviceCidr,
        '--cluster-name', l.options.name,
        '--lb-pool', lbPool(l),
        '--lb-reserved', l.hostIp,
        '--extra-san', l.hostIp,
        '--advertise-address', l.hostIp,
        '--advertise-port', port,
        '--leader-elect',
        '--node-name', n.name,
        ...etcdApiServerArgs(l, dir),
        ...(o.nodeMonitorGracePeriodSeconds ? ['--node-monitor-grace-period', String(o.nodeMonitorGracePeriodSeconds)] : []),
        ...(o.podEvictionTimeoutSeconds !== undefined ? ['--pod-eviction-timeout', String(o.podEvictionTimeoutSeconds)] : []),
      ],
      log: join(dir, 'logs', `control-plane-${n.name}.log`),
    }));
}

/**
 * With several control planes: the one address of the kubeconfig and of every
 * node agent, `https://<host bridge address>:<api port>` (where the single
 * API server listens otherwise), served by cluster/lb-proxy.ts on the host in
 * front of the API servers (kind's HAProxy container): TLS passes through,
 * backends checked with GET /readyz against the cluster CA.
 */
export function lbProxyProcess(l: ClusterLayout, dir: string): ProcessSpec {
  const port = l.options.apiPort;
  return {
    role: 'lb-proxy',
    argv: [
      process.execPath,
      lbProxyEntry,
      '--listen', `${l.hostIp}:${port}`,
      ...l.nodes.filter((n) => n.role === 'control-plane').flatMap((n) => ['--backend', `${n.ip}:${port}`]),
      '--ca-file', join(dir, 'apiserver', 'ca.crt'),
    ],
    log: join(dir, 'logs', 'lb-proxy.log'),
  };
}

/**
 * With several control planes: the host's on-link routes for LoadBalancer
 * pools outside the node network (cluster/pool-routes.ts), which the single
 * control plane keeps from the host itself, as a host process of its own.
 */
export function poolRoutesProcess(l: ClusterLayout, dir: string): ProcessSpec {
  return {
    role: 'pool-routes',
    argv: [
      process.execPath,
      poolRoutesEntry,
      '--kubeconfig', join(dir, 'kubeconfig'),
      '--bridge', l.options.bridge,
      '--node-cidr', `${l.hostIp}/${l.prefixLen}`,
      '--exclude', l.options.serviceCidr,
      '--exclude', l.options.podCidr,
      '--lb-pool', lbPool(l),
    ],
    log: join(dir, 'logs', 'pool-routes.log'),
  };
}

/**
 * The cluster's etcd with --storage etcd: one member on the host's bridge
 * address (where the API server listens), data in <dir>/etcd, TLS with the
 * cluster CA (pure). With several control planes: one member per
 * control-plane node, in its namespace on its address, data in
 * <dir>/etcd/<node>.
 */
export function clusterEtcd(l: ClusterLayout, dir: string): EtcdClusterSpec {
  if (isHa(l)) {
    return {
      token: `mk8s-${l.options.name}`,
      members: l.nodes
        .filter((n) => n.role === 'control-plane')
        .map((n) => ({ name: n.name, ip: n.ip, netns: n.netns, clientPort: 2379, peerPort: 2380, dataDir: join(dir, 'etcd', n.name), log: join(dir, 'logs', `etcd-${n.name}.log`) })),
      tls: etcdTlsPaths(join(dir, 'pki'), join(dir, 'apiserver', 'ca.crt')),
    };
  }
  return {
    token: `mk8s-${l.options.name}`,
    members: [{ name: `${l.options.name}-etcd`, ip: l.hostIp, clientPort: 2379, peerPort: 2380, dataDir: join(dir, 'etcd'), log: join(dir, 'logs', 'etcd.log') }],
    tls: etcdTlsPaths(join(dir, 'pki'), join(dir, 'apiserver', 'ca.crt')),
  };
}

/** The API server's flags for the cluster's etcd, as kube-apiserver's (pure). */
export function etcdApiServerArgs(l: ClusterLayout, dir: string): string[] {
  const e = clusterEtcd(l, dir);
  return ['--storage', 'etcd', '--etcd-servers', clientUrls(e).join(','), '--etcd-cafile', e.tls!.caFile, '--etcd-certfile', e.tls!.clientCertFile, '--etcd-keyfile', e.tls!.clientKeyFile];
}

/** LoadBalancer addresses on the node network (.200-.250 of a /24), as MetalLB's layer-2 pool. */
export function lbPool(l: ClusterLayout): string {
  const base = parseCidr(l.options.nodeCidr).base;
  return `${intToIp(base + 200)}-${intToIp(base + 250)}`;
}

/**
 * The agents each node runs inside its network namespace: one `mk8s node`
 * (kubelet, proxy and node-local DNS in one process, as k3s' agent), or with
 * `--split-node-components` a kubelet and a proxy apart (labs that stop one).
 */
export function nodeAgents(l: ClusterLayout, n: NodeLayout, dir: string, o: ClusterState['options'] = {}): ProcessSpec[] {
  const tls = nodeTlsPaths(dir, n);
  const common = [
    '--node-name', n.name,
    '--node-ip', n.ip,
    '--kubeconfig', join(dir, 'kubeconfig'),
    '--tls-cert-file', tls.cert,
    '--tls-private-key-file', tls.key,
    '--client-ca-file', tls.clientCA,
  ];
  const kubelet = [
    '--pod-cidr', n.podCidr,
    '--port', String(l.options.kubeletPort),
    '--root-dir', join(dir, 'nodes', n.name),
    '--cluster-dns', l.clusterDns,
    ...(n.role === 'control-plane' ? ['--control-plane'] : []),
    ...(o.offline ? ['--offline'] : []),
  ];
  const proxy = [
    '--cluster-cidr', l.options.podCidr,
    '--service-cidr', l.options.serviceCidr,
    ...(o.dnsUpstreams ? ['--dns-upstream', o.dnsUpstreams] : []),
    ...(o.proxyMode ? ['--mode', o.proxyMode] : []),
  ];
  const inNode = (...argv: string[]) => ['ip', 'netns', 'exec', n.netns, process.execPath, ...argv];
  if (!o.splitNodeComponents) {
    return [{ role: 'node', node: n.name, argv: inNode(...nodeAgentFlags, mk8sMain, 'node', ...common, ...kubelet, ...proxy), log: join(dir, 'logs', `node-${n.name}.log`) }];
  }
  return [
    { role: 'kubelet', node: n.name, argv: inNode(...nodeAgentFlags, mk8sMain, 'kubelet', ...common, ...kubelet), log: join(dir, 'logs', `kubelet-${n.name}.log`) },
    // The node's Service data path (iptables or nftables) and its node-local cluster DNS.
    { role: 'proxy', node: n.name, argv: inNode(...nodeAgentFlags, mk8sMain, 'proxy', ...common, ...proxy), log: join(dir, 'logs', `proxy-${n.name}.log`) },
  ];
}

/**
 * Node's flags for the long-running processes (control plane and node agents). `--optimize-for-size`:
 * V8 grows its heap in smaller steps and gives memory back sooner. Measured with bench/footprint
 * (docs/benchmarks.md): a 3-node cluster after 3 rounds of 100 pods + 50 services, 382 MB RSS in total
 * instead of 821 MB (agents ~80 MB instead of 160-200), growth from round 1 to 3 +10% instead of +34%;
 * its price, measured with bench/apiserver, ~10% of the API server's create throughput and slower large
 * lists, which a lab does not feel. MK8S_NODE_FLAGS (space-separated, may be empty) replaces them:
 * NODE_OPTIONS refuses --optimize-for-size, so bench/footprint measures flags through it.
 */
export const nodeAgentFlags: string[] = (process.env.MK8S_NODE_FLAGS ?? '--optimize-for-size').split(/\s+/).filter(Boolean);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForApi(kubeconfig: string, logFile: string, timeoutMs: number, server?: string): Promise<Client> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (existsSync(kubeconfig)) {
      let client: Client;
      try {
        client = new Client({ ...loadKubeconfig(kubeconfig), ...(server ? { server } : {}) });
      } catch (e) {
        last = (e as Error).message; // being written: try again
        await sleep(200);
        continue;
      }
      try {
        await client.request('GET', '/readyz', { timeoutMs: 2000 });
        return client;
      } catch (e) {
        last = (e as Error).message;
        client.close();
      }
    }
    // The control plane says it is ready only by answering: try again soon (a refused connection costs little).
    await sleep(50);
  }
  throw new Error(`the API server${server ? ` ${server}` : ''} did not come up in ${timeoutMs / 1000}s (${last}); its log:\n${tailFile(logFile)}`);
}


async function ensureImages(say: (s: string) => void): Promise<void> {
  const build = await import('../images/build.js');
  const r = await build.buildImages({ log: (line: string) => !/up to date/.test(line) && say(`    ${line}`) });
  say(`  ✓ images: ${r.built.length ? `built ${r.built.join(', ')}` : `${r.skipped.length} built-in images up to date`}`);
}

export function nextSteps(s: ClusterState): string {
  return [
    '',
    `Cluster "${s.name}" is up: ${s.layout.nodes.length} node(s), API server ${s.layout.apiServer}`,
    `kubeconfig: ${s.kubeconfig}  (mk8s uses it; for kubectl: export KUBECONFIG=${s.kubeconfig})`,
    '',
    'Try next:',
    '  mk8s get nodes -o wide',
    '  mk8s create deployment hello --image=pbitty/hello-from --replicas=3 --port=80',
    '  mk8s get pods -o wide',
    '  mk8s expose deployment hello --port=80',
    '  mk8s status            (what runs where)',
    '  mk8s down              (remove everything mk8s up made)',
    '',
  ].join('\n');
}

export async function up(o: UpOptions): Promise<number> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const started = Date.now();
  const name = o.name ?? defaultClusterOptions.name;
  const dir = clusterDir(name);

  let missing = missingOf(checkPrerequisites(await gatherMachine()));
  if (missing.length && o.installDeps) {
    say(`Installing what mk8s up needs: ${missing.map((c) => c.item).join('; ')}`);
    missing = missingOf(await installPrerequisites({ logDir: join(dir, 'logs'), say }));
  }
  if (missing.length) {
    say(`mk8s up needs:\n${describeMissing(missing)}\n(mk8s doctor lists every prerequisite)`);
    return 1;
  }

  let proxyMode: ProxyMode | undefined;
  try {
    proxyMode = o.proxyMode === undefined ? undefined : parseProxyMode(o.proxyMode);
    const unavailable = proxyMode && modeUnavailable(proxyMode);
    if (unavailable) throw new Error(unavailable);
  } catch (e) {
    say(`error: ${(e as Error).message}`);
    return 1;
  }

  const existing = await readState(dir);
  if (existing) return repair(existing, say, proxyMode);

  // The node network: 172.18.0.0/24 unless taken (e.g. by a Docker network), then the next free /24.
  let nodeCidr = o.nodeCidr ?? defaultClusterOptions.nodeCidr;
  if (!o.nodeCidr) {
    const [routes, addrs] = await Promise.all([exec(['ip', '-4', 'route', 'show', 'table', 'all']), exec(['ip', '-4', 'addr'])]);
    const free = pickFreeSubnet(nodeSubnetCandidates(nodeCidr), cidrsInUse(routes.stdout, addrs.stdout));
    if (!free) {
      say('error: no free /24 for the node network among 172.18-31.0.0/24; pass --node-cidr');
      return 1;
    }
    nodeCidr = free;
  }
  if ((o.controlPlanes ?? 1) > 1 && o.storage !== 'etcd') {
    say('error: --control-planes needs --storage etcd (the API servers share one etcd cluster)');
    return 1;
  }
  const options: ClusterOptions = {
    ...defaultClusterOptions,
    ...Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k in defaultClusterOptions)),
    name,
    nodeCidr,
    ...((o.controlPlanes ?? 1) > 1 ? { controlPlanes: o.controlPlanes, nodes: o.nodes ?? Math.max(o.controlPlanes!, defaultClusterOptions.nodes) } : {}),
  };
  let layout: ClusterLayout;
  try {
    layout = clusterLayout(options);
  } catch (e) {
    say(`error: ${(e as Error).message}`);
    return 1;
  }
  const conflicts = await networkConflicts(layout);
  if (conflicts.length) {
    say(`error: cannot make the node network of cluster "${name}":\n${conflicts.map((c) => `  ✗ ${c}`).join('\n')}\n(another mk8s cluster? try: mk8s status, mk8s down --name …; or pick --name/--bridge/--node-cidr/--pod-cidr)`);
    return 1;
  }

  const state: ClusterState = {
    name,
    dir,
    layout,
    createdAt: new Date().toISOString(),
    processes: [],
    kubeconfig: sharedKubeconfigPath(),
    options: { nodeMonitorGracePeriodSeconds: o.nodeMonitorGracePeriodSeconds, podEvictionTimeoutSeconds: o.podEvictionTimeoutSeconds, dnsUpstreams: o.dnsUpstreams, ...(o.offline ? { offline: true } : {}), proxyMode: proxyMode ?? 'iptables', ...(o.splitNodeComponents ? { splitNodeComponents: true } : {}), ...(o.storage === 'etcd' ? { storage: 'etcd' as const } : {}) },
  };
  // Recorded before anything is made, so `mk8s down` can undo a half-done up.
  await writeState(state);
  say(`Creating cluster "${name}" with ${layout.nodes.length} node(s) …`);
  try {
    await networkUp(layout);
    say(`  ✓ node network: bridge ${options.bridge} ${layout.hostIp}/${layout.prefixLen}; ${layout.nodes.map((n) => `${n.name} ${n.ip} (pods ${n.podCidr})`).join(', ')}`);
    if (o.images !== false) {
      await ensureImages(say);
    }
    await ensureClusterPki(dir, layout);
    const procs = clusterProcesses(layout, dir, state.options);
    if (state.options.storage === 'etcd') {
      const etcd = clusterEtcd(layout, dir);
      await ensureEtcdPki(join(dir, 'pki'), await ensureCA(join(dir, 'apiserver')), etcd.members);
      const members = await startEtcdMembers(etcd);
      state.processes.push(...members);
      await writeState(state);
      await waitEtcdHealthy(etcd, 30_000, () => {
        const dead = members.find((m) => !processAlive(m, dir));
        return dead ? `etcd exited:\n${tailFile(dead.log)}` : undefined;
      });
      say(`  ✓ etcd: ${clientUrls(etcd).join(',')} (pid ${members.map((m) => m.pid).join(', ')}, data ${etcd.members.length > 1 ? join(dir, 'etcd', '<node>') : etcd.members[0].dataDir})`);
    }
    const controlPlane = procs.filter((p) => p.role === 'control-plane' || p.role === 'lb-proxy');
    const client = isHa(layout) ? await startHaControlPlane(state, controlPlane, say) : await startControlPlane(state, controlPlane[0], say);
    for (const p of procs.filter((x) => !controlPlane.includes(x))) state.processes.push(await spawnDetached(p));
    await writeState(state);
    say(`  ✓ ${state.options.splitNodeComponents ? 'kubelets and proxies' : 'node agents'} started on ${layout.nodes.map((n) => n.name).join(', ')}`);
    try {
      await waitForNodes(client, state, (o.waitSeconds ?? 90) * 1000, say);
    } finally {
      client.close();
    }
  } catch (e) {
    say(`error: ${(e as Error).message}`);
    say(`logs are in ${join(dir, 'logs')}; cleaning up what was made …`);
    await down({ name, keepData: true, keepLogs: true, say: () => undefined });
    return 1;
  }
  say(`  ✓ all nodes Ready (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  say(nextSteps(state));
  return 0;
}

/** The one control-plane process (API server and controllers) on the host; the kubeconfig is the one it writes. */
async function startControlPlane(state: ClusterState, spec: ProcessSpec, say: (l: string) => void): Promise<Client> {
  const { dir, layout } = state;
  const cp = await spawnDetached(spec);
  // The control plane stays first in the record (repair reads its log from there).
  state.processes.unshift(cp);
  await writeState(state);
  const client = await waitForApi(join(dir, 'apiserver', 'kubeconfig'), cp.log, 30_000);
  await mkdir(dirname(state.kubeconfig), { recursive: true });
  await copyFile(join(dir, 'apiserver', 'kubeconfig'), join(dir, 'kubeconfig'));
  await copyFile(join(dir, 'apiserver', 'kubeconfig'), state.kubeconfig);
  say(`  ✓ control plane: API server ${layout.apiServer} (pid ${cp.pid})`);
  return client;
}

/**
 * Several control planes: their certificates (one CA, one token), the
 * control-plane process of each control-plane node and the load balancer,
 * a kubeconfig naming the balancer, and a wait until every API server
 * answers on its own address and the balancer answers too.
 */
async function startHaControlPlane(state: ClusterState, specs: ProcessSpec[], say: (l: string) => void): Promise<Client> {
  const { dir, layout } = state;
  await ensureControlPlanesPki(dir, layout);
  const apiDir = join(dir, 'apiserver');
  const [token, caCert] = await Promise.all([ensureToken(apiDir), readFile(join(apiDir, 'ca.crt'), 'utf8')]);
  const kubeconfig = join(apiDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { name: layout.options.name, server: layout.apiServer, token, caCert });
  const started: RecordedProcess[] = [];
  for (const p of specs) started.push(await spawnDetached(p));
  // Control planes first in the record (repair reads the first one's log), then the balancer.
  state.processes.unshift(...started);
  await writeState(state);
  const cps = layout.nodes.filter((n) => n.role === 'control-plane');
  await Promise.all(
    cps.map(async (n, i) => {
      const url = `https://${n.ip}:${layout.options.apiPort}`;
      (await waitForApi(kubeconfig, started[i].log, 60_000, url)).close();
    }),
  );
  const lb = started.find((p) => p.role === 'lb-proxy')!;
  const client = await waitForApi(kubeconfig, lb.log, 30_000);
  await mkdir(dirname(state.kubeconfig), { recursive: true });
  await copyFile(kubeconfig, join(dir, 'kubeconfig'));
  await copyFile(kubeconfig, state.kubeconfig);
  say(`  ✓ control plane: ${cps.length} API servers (${cps.map((n, i) => `${n.name} ${n.ip} pid ${started[i].pid}`).join(', ')}), controllers leader-elected (Lease kube-system/kube-controller-manager)`);
  say(`  ✓ load balancer: ${layout.apiServer} -> ${cps.map((n) => `${n.ip}:${layout.options.apiPort}`).join(', ')} (pid ${lb.pid})`);
  return client;
}

/** Until the kubelet's stream server answers /healthz to the apiserver's client certificate. */
async function waitForKubelet(dir: string, host: string, port: number, timeoutMs: number): Promise<void> {
  const [ca, cert, key] = await Promise.all(['ca.crt', 'apiserver-kubelet-client.crt', 'apiserver-kubelet-client.key'].map((f) => readFile(join(dir, 'apiserver', f), 'utf8')));
  const probe = () =>
    new Promise<number>((resolve, reject) => {
      const req = https.get({ host, port, path: '/healthz', ca, cert, key, agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const code = await probe();
      if (code === 200) return;
      last = `HTTP ${code}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`the kubelet at https://${host}:${port}/healthz did not answer in ${timeoutMs / 1000}s (${last})`);
}

/**
 * Until every node is Ready with a heartbeat since `since` (so a restarted
 * kubelet has reported in). Event-driven: a watch on the nodes wakes the
 * check at each change (kubectl wait's way); the list is read again then,
 * and at the latest every second, when the processes are also checked.
 */
async function waitForNodes(client: Client, s: ClusterState, timeoutMs: number, say: (l: string) => void, since = 0): Promise<void> {
  const until = Date.now() + timeoutMs;
  const want = s.layout.nodes.map((n) => n.name);
  let shown = -1;
  let wake: (() => void) | undefined;
  let changed: boolean;
  let watch: { close(): void } | undefined;
  const openWatch = () => {
    try {
      const w = client.watch(resourcePath(findByPlural('', 'nodes')!), { allowWatchBookmarks: false }, () => {
        changed = true;
        wake?.();
      });
      w.done.catch(() => undefined).then(() => {
        if (watch === w) watch = undefined;
      });
      watch = w;
    } catch {
      /* polled below */
    }
  };
  try {
    for (;;) {
      if (!watch) openWatch();
      changed = false;
      let ready: string[] = [];
      try {
        ready = (await readyNodes(client)).filter((n) => n.ready && n.heartbeat >= Math.floor(since / 1000) * 1000 && want.includes(n.name)).map((n) => n.name);
      } catch {
        /* API busy: try again */
      }
      if (ready.length !== shown) {
        shown = ready.length;
        say(`  … nodes Ready: ${ready.length}/${want.length}`);
      }
      if (ready.length === want.length) return;
      for (const p of s.processes) {
        if (!processAlive(p, s.dir)) throw new Error(`${p.role}${p.node ? ` ${p.node}` : ''} exited; its log:\n${tailFile(p.log)}`);
      }
      if (Date.now() > until) throw new Error(`nodes not Ready after ${timeoutMs / 1000}s: ${want.filter((n) => !ready.includes(n)).join(', ')}`);
      if (changed) continue; // a change while the list was read
      await new Promise<void>((r) => {
        const t = setTimeout(r, watch ? 1000 : 300);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = undefined;
    }
  } finally {
    watch?.close();
  }
}

/** `mk8s up` on a cluster that exists: restart what died, then say it is up. */
async function repair(s: ClusterState, say: (l: string) => void, proxyMode?: ProxyMode): Promise<number> {
  // Another proxy mode asked for: stop every node's proxy (or node agent); each restarts below in the new mode, which removes the old mode's rules.
  const switching = proxyMode !== undefined && proxyMode !== (s.options.proxyMode ?? 'iptables');
  if (switching) {
    say(`switching the proxy mode of cluster "${s.name}" from ${s.options.proxyMode ?? 'iptables'} to ${proxyMode}`);
    s.options.proxyMode = proxyMode;
    await writeState(s);
    for (const p of s.processes.filter((x) => x.role === 'proxy' || x.role === 'node')) await stopProcess(p, s.dir);
  }
  const dead = s.processes.filter((p) => !processAlive(p, s.dir));
  const netnsGone = s.layout.nodes.filter((n) => !existsSync(`/run/netns/${n.netns}`));
  if (netnsGone.length || s.processes.length === 0) {
    say(`cluster "${s.name}" is broken (${netnsGone.length ? `missing node namespaces: ${netnsGone.map((n) => n.name).join(', ')}` : 'it never finished coming up'}): run mk8s down${s.name === 'mk8s' ? '' : ` --name ${s.name}`}, then mk8s up`);
    return 1;
  }
  if (!dead.length) {
    say(`cluster "${s.name}" is already up (API server ${s.layout.apiServer}; mk8s status shows more)`);
    return 0;
  }
  const restartedAt = Date.now();
  // The control plane first, and up, before the node agents that talk to it.
  const rank = (p: { role: string }) => (p.role === 'etcd' ? 3 : p.role === 'control-plane' ? 2 : p.role === 'lb-proxy' ? 1 : 0);
  dead.sort((a, b) => rank(b) - rank(a));
  let client: Client | undefined;
  // The node certificates may be gone (or made by an mk8s from before them): make them, and start node agents with today's flags.
  await ensureClusterPki(s.dir, s.layout);
  for (const p of dead) {
    if (rank(p) === 0 && !client) client = await waitForApi(join(s.dir, 'kubeconfig'), s.processes[0].log, 30_000);
    const i = s.processes.indexOf(p);
    const node = s.layout.nodes.find((x) => x.name === p.node);
    const current = node && nodeAgents(s.layout, node, s.dir, s.options).find((x) => x.role === p.role);
    s.processes[i] = await spawnDetached(current ? { ...p, argv: current.argv } : p);
    say(`  ✓ restarted ${p.role === 'node' ? 'node agent' : p.role}${p.node ? ` on ${p.node}` : ''} (pid ${s.processes[i].pid})`);
  }
  await writeState(s);
  client ??= await waitForApi(join(s.dir, 'kubeconfig'), s.processes[0].log, 30_000);
  try {
    await waitForNodes(client, s, 60_000, say, restartedAt);
    for (const p of dead) {
      const n = s.layout.nodes.find((x) => x.name === p.node);
      if ((p.role === 'kubelet' || p.role === 'node') && n) await waitForKubelet(s.dir, n.ip, s.layout.options.kubeletPort, 30_000);
    }
  } finally {
    client.close();
  }
  say(`cluster "${s.name}" is up`);
  return 0;
}

// `mk8s up`, `mk8s down`, `mk8s status`, `mk8s doctor` and `mk8s images`:
// their flags (parsed by cli/flags.ts, as every mk8s command) and runs.
import type { Command, Ctx } from '../cli/context.js';
import type { FlagSpec } from '../cli/flags.js';
import { usageError } from '../cli/errors.js';
import { up, clusterEtcd } from './up.js';
import { down } from './down.js';
import { status } from './status.js';
import { controlPlanesError, defaultClusterOptions } from './layout.js';
import { checkPrerequisites, describeMissing, gatherMachine, installPlan, missingOf, prerequisitesTable } from './prereqs.js';

const D = defaultClusterOptions;
const nameFlag: FlagSpec = { name: 'name', type: 'string', default: D.name, usage: 'The cluster name; nodes are NAME-control-plane, NAME-worker….' };

const upFlags: FlagSpec[] = [
  { name: 'nodes', type: 'int', default: D.nodes, usage: 'Nodes; the first is the control plane.' },
  nameFlag,
  { name: 'bridge', type: 'string', default: D.bridge, usage: 'Host bridge of the node network.' },
  { name: 'node-cidr', type: 'string', usage: `The node network (default ${D.nodeCidr}, or the next free /24).` },
  { name: 'pod-cidr', type: 'string', default: D.podCidr, usage: 'Pod addresses, a /24 per node.' },
  { name: 'service-cidr', type: 'string', default: D.serviceCidr, usage: 'ClusterIPs.' },
  { name: 'api-port', type: 'int', default: D.apiPort, usage: "The API server's port." },
  { name: 'install-deps', type: 'bool', default: ['1', 'true'].includes((process.env.CI ?? '').toLowerCase()), usage: 'Install the missing Debian packages (apt-get) and start the Docker engine; true when $CI is set (--install-deps=false to stop that).' },
  { name: 'node-monitor-grace-period', type: 'int', default: 40, usage: 'Seconds without a node heartbeat before it is NotReady.' },
  { name: 'pod-eviction-timeout', type: 'int', default: 60, usage: 'Seconds a node is NotReady before its pods are evicted.' },
  { name: 'dns-upstream', type: 'string', usage: "Resolvers for names outside the cluster zone (ip:port,…); default: the host's /etc/resolv.conf." },
  { name: 'wait', type: 'int', default: 90, usage: 'Seconds to wait for the nodes to be Ready.' },
  { name: 'offline', type: 'bool', usage: 'Kubelets never pull images: absent ones run their built-in stand-in.' },
  { name: 'split-node-components', type: 'bool', usage: 'Run each node\'s kubelet and proxy as two processes (mk8s kubelet, mk8s proxy) instead of one mk8s node agent, so one can be stopped alone.' },
  { name: 'proxy-mode', type: 'string', default: 'iptables', usage: "The nodes' Service data path: iptables or nftables (kube-proxy's modes). On a running cluster, switches every node's proxy (the old mode's rules are removed)." },
  { name: 'storage', type: 'string', default: 'level', usage: "Where the API server stores: level (LevelDB in its data dir) or etcd (Debian's etcd, started and stopped with the cluster; mk8s etcdctl reads it)." },
  { name: 'control-planes', type: 'int', default: 1, usage: 'Control-plane nodes (odd; needs --storage etcd): each runs an etcd member and an API server, the controllers are leader-elected, and a load balancer on the host is the address of the kubeconfig. --nodes defaults to this count.' },
];

function storageFlag(v: string): 'level' | 'etcd' {
  if (v !== 'level' && v !== 'etcd') throw usageError(`invalid argument "${v}" for "--storage" flag: must be level or etcd`);
  return v;
}

/** `--control-planes`: undefined for one (the default path), else the count; a one-line usage error when it cannot be. */
function controlPlanesFlag(ctx: Ctx, storage: 'level' | 'etcd'): number | undefined {
  if (!ctx.changed.has('control-planes')) return undefined;
  const n: number = ctx.flags['control-planes'];
  const err = controlPlanesError(n, ctx.changed.has('nodes') ? ctx.flags.nodes : undefined);
  if (err) throw usageError(err);
  if (storage !== 'etcd') throw usageError('--control-planes needs --storage etcd (the API servers share one etcd cluster; LevelDB belongs to one process)');
  return n > 1 ? n : undefined;
}

/** A flag's value when the user gave it, else undefined (each part then applies its own default). */
const given = (ctx: Ctx, name: string) => (ctx.changed.has(name) ? ctx.flags[name] : undefined);

export const upCommand: Command = {
  use: 'up [flags]',
  short: 'Bring a local cluster up',
  long: [
    'Brings a local cluster up: a node network (bridge mk8s0, one network namespace per node),',
    'the API server and controllers, a node agent per node (kubelet, proxy and DNS in one process;',
    '--split-node-components: a kubelet and a proxy process), and the kubeconfig at',
    '$MK8S_HOME/kubeconfig (~/.mk8s/kubeconfig). It checks what it needs first (see mk8s doctor).',
    'On a cluster that is up, it says so and restarts any of its processes that died.',
    '--storage etcd --control-planes 3: an HA control plane, an etcd member and an API server on each of',
    'three control-plane nodes behind a load balancer on the host (docs/ha.md).',
  ].join('\n'),
  flags: upFlags,
  globalFlags: false,
  maxArgs: 0,
  run: (ctx: Ctx) => {
    const storage = storageFlag(ctx.flags.storage);
    const controlPlanes = controlPlanesFlag(ctx, storage);
    return up({
      nodes: given(ctx, 'nodes'),
      name: given(ctx, 'name'),
      bridge: given(ctx, 'bridge'),
      nodeCidr: given(ctx, 'node-cidr'),
      podCidr: given(ctx, 'pod-cidr'),
      serviceCidr: given(ctx, 'service-cidr'),
      apiPort: given(ctx, 'api-port'),
      installDeps: ctx.flags['install-deps'],
      nodeMonitorGracePeriodSeconds: given(ctx, 'node-monitor-grace-period'),
      podEvictionTimeoutSeconds: given(ctx, 'pod-eviction-timeout'),
      dnsUpstreams: given(ctx, 'dns-upstream'),
      waitSeconds: ctx.flags.wait,
      offline: ctx.flags.offline,
      splitNodeComponents: ctx.flags['split-node-components'],
      proxyMode: given(ctx, 'proxy-mode'),
      storage,
      controlPlanes,
    });
  },
};

export const downCommand: Command = {
  use: 'down [flags]',
  short: 'Stop the cluster and remove everything mk8s up made',
  long: 'Stops the processes mk8s up started, removes the pods\' containers, the node network and the cluster\'s files.',
  flags: [nameFlag, { name: 'keep-data', type: 'bool', usage: 'Keep the API data (the next mk8s up starts with it).' }],
  globalFlags: false,
  maxArgs: 0,
  run: (ctx: Ctx) => down({ name: ctx.flags.name, keepData: ctx.flags['keep-data'] }),
};

export const statusCommand: Command = {
  use: 'status [flags]',
  short: "Show the cluster's processes and nodes",
  long: "Shows the cluster's processes (alive or not), its node network, and the nodes as the API server sees them.",
  flags: [nameFlag],
  globalFlags: false,
  maxArgs: 0,
  run: (ctx: Ctx) => status({ name: ctx.flags.name }),
};

export const doctorCommand: Command = {
  use: 'doctor',
  short: 'Check what mk8s up needs on this machine, changing nothing',
  long: [
    'Checks every prerequisite of mk8s up and the image build (root, the Debian packages, the',
    'Docker engine) and prints each with how to get it; exits 1 when something is missing.',
    'mk8s up --install-deps installs what apt-get can and starts the Docker engine.',
  ].join('\n'),
  flags: [],
  globalFlags: false,
  maxArgs: 0,
  run: async (ctx: Ctx) => {
    const machine = await gatherMachine();
    const checks = checkPrerequisites(machine);
    ctx.out.write(prerequisitesTable(checks));
    const missing = missingOf(checks);
    if (!missing.length) return 0;
    const plan = installPlan(checks, machine);
    const lines = ['', `${missing.length} missing:`, describeMissing(missing, machine)];
    if (plan.commands.length || plan.startDocker) {
      lines.push('', 'mk8s up --install-deps would run:', ...plan.commands.map((c) => `  ${c.join(' ')}`), ...(plan.startDocker ? ['  (then start the Docker engine)'] : []));
    }
    ctx.out.write(`${lines.join('\n')}\n`);
    return 1;
  },
};

export const imagesCommand: Command = {
  use: 'images [build] [flags]',
  short: 'Build the built-in images (pause, hello-from, toolbox, …)',
  long: 'Builds the built-in images with Docker, offline, from the host\'s busybox and programs; an image that is up to date is kept.',
  flags: [
    { name: 'force', type: 'bool', usage: 'Rebuild even the images that are up to date.' },
    { name: 'only', type: 'stringSlice', usage: 'Build only these (short names like toolbox, or refs like mk8s/toolbox:1.0).' },
  ],
  globalFlags: false,
  maxArgs: 1,
  run: async (ctx: Ctx) => {
    if (ctx.args.length && ctx.args[0] !== 'build') throw ctx.usageError(`unknown command "${ctx.args[0]}" for "mk8s images"`);
    const { buildImages } = await import('../images/build.js');
    const only: string[] = ctx.flags.only;
    await buildImages({ force: ctx.flags.force, ...(only.length ? { only } : {}), log: (l: string) => ctx.out.write(`${l}\n`) });
    return 0;
  },
};

/** `mk8s etcdctl ARGS…`: Debian's etcdctl (API v3) with the cluster's endpoints and client certificate, as on a kubeadm control-plane node. */
export const etcdctlCommand: Command = {
  use: 'etcdctl [--name CLUSTER] ETCDCTL-ARGS…',
  short: "Run etcdctl against the cluster's etcd (mk8s up --storage etcd)",
  long: [
    "Runs Debian's etcdctl (ETCDCTL_API=3) with the cluster's endpoints, CA and the API server's etcd",
    'client certificate; every argument after an optional --name CLUSTER goes to etcdctl as is (without',
    '--name: the mk8s cluster the kubeconfig names, else "mk8s"), e.g.',
    '  mk8s etcdctl get --prefix --keys-only /registry/services/specs/',
  ].join('\n'),
  flags: [],
  globalFlags: false,
  rawArgs: true,
  run: async (ctx: Ctx) => {
    const args = [...ctx.args];
    let given: string | undefined;
    if (args[0] === '--name' && args.length > 1) given = args.splice(0, 2)[1];
    else if (args[0]?.startsWith('--name=')) given = args.shift()!.slice('--name='.length);
    const { clusterDir, readState, stateByServer } = await import('./state.js');
    // Without --name: the mk8s cluster kubectl talks to (the kubeconfig's API server), else "mk8s".
    const byKubeconfig = given === undefined ? await ctx.server().then(stateByServer, () => undefined) : undefined;
    const name = given ?? byKubeconfig?.name ?? defaultClusterOptions.name;
    const s = byKubeconfig ?? (await readState(clusterDir(name)));
    if (!s) throw usageError(`no cluster "${name}" (mk8s up --storage etcd makes one)`);
    if (s.options.storage !== 'etcd') throw usageError(`cluster "${name}" stores in LevelDB, not etcd (mk8s up --storage etcd makes one that does)`);
    const { etcdctlCommand: command, clientUrls } = await import('./etcd.js');
    const e = clusterEtcd(s.layout, s.dir);
    const c = command(clientUrls(e), e.tls, args);
    const { spawn } = await import('node:child_process');
    return new Promise<number>((resolve, reject) => {
      const child = spawn(c.argv[0], c.argv.slice(1), { stdio: 'inherit', env: { ...process.env, ...c.env } });
      child.on('error', (err) => reject(usageError(`cannot run ${c.argv[0]}: ${err.message} (apt-get install etcd-client)`)));
      child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
    });
  },
};

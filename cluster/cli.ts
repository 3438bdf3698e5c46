// Flags of `mk8s up`, `mk8s down`, `mk8s status` and `mk8s images`.
import { up } from './up.js';
import { down } from './down.js';
import { status } from './status.js';

function flag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export const upUsage = `Usage: mk8s up [--nodes 2] [--name mk8s] [options]

Brings a local cluster up: a node network (bridge mk8s0, one network
namespace per node), the API server and controllers, a kubelet per node,
and the kubeconfig at $MK8S_HOME/kubeconfig (~/.mk8s/kubeconfig).

Options:
  --nodes N                      nodes, the first is the control plane (default 2)
  --name NAME                    cluster name; nodes are NAME-control-plane, NAME-worker… (default mk8s)
  --bridge NAME                  host bridge of the node network (default mk8s0)
  --node-cidr CIDR               node network (default 172.18.0.0/24, or the next free /24)
  --pod-cidr CIDR                pod addresses, a /24 per node (default 10.244.0.0/16)
  --service-cidr CIDR            ClusterIPs (default 10.96.0.0/12)
  --api-port PORT                (default 6443)
  --install-deps                 install missing Debian packages and start Docker (default when CI is set)
  --node-monitor-grace-period S  seconds without a node heartbeat before it is NotReady
  --pod-eviction-timeout S       seconds a node is NotReady before its pods are evicted
  --wait S                       seconds to wait for the nodes to be Ready (default 90)
  --offline                      kubelets never pull images: absent ones run their built-in stand-in
`;

export async function runUp(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(upUsage);
    return 0;
  }
  return up({
    nodes: num(flag(argv, 'nodes')),
    name: flag(argv, 'name'),
    bridge: flag(argv, 'bridge'),
    nodeCidr: flag(argv, 'node-cidr'),
    podCidr: flag(argv, 'pod-cidr'),
    serviceCidr: flag(argv, 'service-cidr'),
    apiPort: num(flag(argv, 'api-port')),
    installDeps: argv.includes('--install-deps') || (!!process.env.CI && !argv.includes('--no-install-deps')),
    nodeMonitorGracePeriodSeconds: num(flag(argv, 'node-monitor-grace-period')),
    podEvictionTimeoutSeconds: num(flag(argv, 'pod-eviction-timeout')),
    dnsUpstreams: flag(argv, 'dns-upstream'),
    waitSeconds: num(flag(argv, 'wait')),
    offline: argv.includes('--offline'),
  });
}

export async function runDown(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: mk8s down [--name mk8s] [--keep-data]\n\nStops the cluster and removes everything mk8s up made; --keep-data keeps the API data.\n');
    return 0;
  }
  return down({ name: flag(argv, 'name'), keepData: argv.includes('--keep-data') });
}

export async function runStatus(argv: string[]): Promise<number> {
  return status({ name: flag(argv, 'name') });
}

export async function runImages(argv: string[]): Promise<number> {
  const buildPath = '../images/build.js';
  let build: any;
  try {
    build = await import(buildPath);
  } catch (e) {
    process.stderr.write(`error: the image builder is not built into this mk8s (${(e as Error).message})\n`);
    return 1;
  }
  const only = flag(argv, 'only');
  await build.buildImages({ force: argv.includes('--force'), ...(only ? { only: only.split(',') } : {}), log: (l: string) => process.stdout.write(`${l}\n`) });
  return 0;
}

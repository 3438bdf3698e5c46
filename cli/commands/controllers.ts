// `mk8s controllers`: every controller in one process, against the cluster
// of the kubeconfig, until SIGTERM/SIGINT.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';

const flags: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file of the cluster (default $KUBECONFIG, then ~/.mk8s/kubeconfig, ~/.kube/config).' },
  { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use.' },
  { name: 'controllers', type: 'stringSlice', usage: 'Run only these controllers (default: all of them).' },
  { name: 'lb-pool', type: 'string', usage: 'LoadBalancer address ranges (e.g. 172.18.0.200-172.18.0.250) when the ConfigMap mk8s-system/lb-pool does not exist.' },
  { name: 'node-monitor-grace-period', type: 'int', default: 40, usage: 'Seconds without a node heartbeat before the node is NotReady.' },
  { name: 'pod-eviction-timeout', type: 'int', default: 60, usage: 'Seconds a node is NotReady before its pods are evicted.' },
  { name: 'leader-elect', type: 'bool', default: false, usage: 'Start a leader election client and gain leadership before running the controllers (for several replicas of mk8s controllers).' },
  { name: 'leader-elect-lease-duration', type: 'string', default: '15s', usage: 'How long candidates wait after the last renewal seen before taking over the lease.' },
  { name: 'leader-elect-renew-deadline', type: 'string', default: '10s', usage: 'How long the leader keeps trying to renew before it stops leading. Must be less than the lease duration.' },
  { name: 'leader-elect-retry-period', type: 'string', default: '2s', usage: 'How long candidates wait between tries to acquire or renew the lease.' },
  { name: 'leader-elect-resource-name', type: 'string', default: 'kube-controller-manager', usage: 'The name of the Lease used for leader election.' },
  { name: 'leader-elect-resource-namespace', type: 'string', default: 'kube-system', usage: 'The namespace of the Lease used for leader election.' },
];

/** A Go duration (`15s`, `1m30s`, `500ms`) in ms; a one-line error naming the flag otherwise. */
export function goDuration(s: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    ms += Number(m[1]) * unit[m[2]];
    end = re.lastIndex;
  }
  if (s === '0') return 0;
  if (!s || end !== s.length) throw new CliError(`error: invalid argument "${s}" for "--${flag}" flag: time: invalid duration "${s}"`);
  return ms;
}

async function run(ctx: Ctx): Promise<number> {
  const [{ loadClusterConfig }, { Client }, { startControllers }, { runLeaderElectedControllers }, { timingErrors }, { pino }] = await Promise.all([
    import('../kubeconfig.js'),
    import('../../client/http.js'),
    import('../../controllers/manager.js'),
    import('../../controllers/leader.js'),
    import('../../client/leaderelection.js'),
    import('pino'),
  ]);
  const f = ctx.flags;
  const config = await loadClusterConfig(f.kubeconfig || undefined, f.context || undefined);
  const client = new Client(config);
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const options = {
    client,
    logger,
    ...(f.controllers.length ? { only: f.controllers } : {}),
    ...(f['lb-pool'] ? { lbPool: f['lb-pool'] } : {}),
    nodeMonitorGracePeriodSeconds: f['node-monitor-grace-period'],
    podEvictionTimeoutSeconds: f['pod-eviction-timeout'],
  };
  let running: { stop(): Promise<void> };
  if (f['leader-elect']) {
    const leaderElection = {
      name: f['leader-elect-resource-name'],
      namespace: f['leader-elect-resource-namespace'],
      leaseDurationMs: goDuration(f['leader-elect-lease-duration'], 'leader-elect-lease-duration'),
      renewDeadlineMs: goDuration(f['leader-elect-renew-deadline'], 'leader-elect-renew-deadline'),
      retryPeriodMs: goDuration(f['leader-elect-retry-period'], 'leader-elect-retry-period'),
    };
    const errs = timingErrors(leaderElection);
    if (errs.length) throw new CliError(`error: invalid leader election settings: ${errs.join('; ')}`);
    const le = runLeaderElectedControllers({ ...options, leaderElection });
    ctx.out.write(`mk8s controllers: leader election on lease ${leaderElection.namespace}/${leaderElection.name} as ${le.identity}\n`);
    running = le;
  } else {
    running = await startControllers(options);
  }
  ctx.out.write(`mk8s controllers running against ${config.server}\n`);
  const stop = async () => {
    await running.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

const cmd: Command = {
  use: 'controllers [flags]',
  short: 'Run the controllers against the cluster of the kubeconfig',
  long: 'Runs the scheduler and every controller (deployments, replica sets, endpoints, garbage collector,\nLoadBalancer pool, node lifecycle) in one process until SIGTERM or SIGINT.\n\nWith --leader-elect, several instances may run: the one holding the Lease\nkube-system/kube-controller-manager runs the controllers, the others wait to take over.',
  flags,
  globalFlags: false,
  maxArgs: 0,
  run,
};
export default cmd;

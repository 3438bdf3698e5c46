// `mk8s controllers`: every controller in one process, against the cluster
// of the kubeconfig, until SIGTERM/SIGINT.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';

const flags: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file of the cluster (default $KUBECONFIG, then ~/.mk8s/kubeconfig, ~/.kube/config).' },
  { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use.' },
  { name: 'controllers', type: 'stringSlice', usage: 'Run only these controllers (default: all of them).' },
  { name: 'lb-pool', type: 'string', usage: 'LoadBalancer address ranges (e.g. 172.18.0.200-172.18.0.250) when the ConfigMap mk8s-system/lb-pool does not exist.' },
  { name: 'node-monitor-grace-period', type: 'int', default: 40, usage: 'Seconds without a node heartbeat before the node is NotReady.' },
  { name: 'pod-eviction-timeout', type: 'int', default: 60, usage: 'Seconds a node is NotReady before its pods are evicted.' },
];

async function run(ctx: Ctx): Promise<number> {
  const [{ loadClusterConfig }, { Client }, { startControllers }, { pino }] = await Promise.all([
    import('../kubeconfig.js'),
    import('../../client/http.js'),
    import('../../controllers/manager.js'),
    import('pino'),
  ]);
  const f = ctx.flags;
  const config = await loadClusterConfig(f.kubeconfig || undefined, f.context || undefined);
  const client = new Client(config);
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const running = await startControllers({
    client,
    logger,
    ...(f.controllers.length ? { only: f.controllers } : {}),
    ...(f['lb-pool'] ? { lbPool: f['lb-pool'] } : {}),
    nodeMonitorGracePeriodSeconds: f['node-monitor-grace-period'],
    podEvictionTimeoutSeconds: f['pod-eviction-timeout'],
  });
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
  long: 'Runs the scheduler and every controller (deployments, replica sets, endpoints, garbage collector,\nLoadBalancer pool, node lifecycle) in one process until SIGTERM or SIGINT.',
  flags,
  globalFlags: false,
  maxArgs: 0,
  run,
};
export default cmd;

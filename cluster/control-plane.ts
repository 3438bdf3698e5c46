// The control-plane process `mk8s up` starts: the API server on the host's
// bridge address (reachable from every node namespace), with the kubelet
// stream proxy, and the controllers in the same process.
// Run as `node dist/cluster/control-plane.js --data-dir D --bind IP …`.
//
// With `mk8s up --control-planes N` one runs in each control-plane node's
// network namespace, bound to the node's address, advertising the load
// balancer's (--advertise-address), its controllers leader-elected
// (--leader-elect: only the holder of the Lease kube-system/kube-controller-manager
// runs them, as kube-controller-manager on each kubeadm control-plane node).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Client } from '../client/http.js';
import { startApiServer } from '../apiserver/server.js';
import { startControllers } from '../controllers/manager.js';
import { PoolRoutes } from './pool-routes.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
import { storageOption } from '../cli/commands/apiserver.js';
import { parseEventTtl } from '../apiserver/event-ttl.js';
import { startIdleGc } from './idle-gc.js';

/** The flags `mk8s up` passes (cluster/up.ts clusterProcesses), parsed by the one CLI parser. */
const flagSpecs: FlagSpec[] = [
  { name: 'data-dir', type: 'string' },
  { name: 'bind', type: 'string' },
  { name: 'port', type: 'string' },
  { name: 'service-cidr', type: 'string' },
  { name: 'cluster-name', type: 'string' },
  { name: 'lb-pool', type: 'string' },
  { name: 'node-monitor-grace-period', type: 'string' },
  { name: 'pod-eviction-timeout', type: 'string' },
  { name: 'bridge', type: 'string' },
  { name: 'node-cidr', type: 'string' },
  { name: 'pod-cidr', type: 'string' },
  { name: 'storage', type: 'string', default: 'level' },
  { name: 'etcd-servers', type: 'string' },
  { name: 'etcd-cafile', type: 'string' },
  { name: 'etcd-certfile', type: 'string' },
  { name: 'etcd-keyfile', type: 'string' },
  { name: 'advertise-address', type: 'string' },
  { name: 'advertise-port', type: 'string' },
  { name: 'extra-san', type: 'stringArray' },
  { name: 'lb-reserved', type: 'stringArray' },
  { name: 'leader-elect', type: 'bool', default: false },
  { name: 'node-name', type: 'string' },
  { name: 'event-ttl', type: 'string' },
];

let parsed: ReturnType<typeof parseFlags> | undefined;

function flag(name: string): string | undefined {
  parsed ??= parseFlags(process.argv.slice(2), flagSpecs);
  return parsed.changed.has(name) ? parsed.flags[name] : undefined;
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const bind = flag('bind') ?? '127.0.0.1';
  parsed ??= parseFlags(process.argv.slice(2), flagSpecs);
  const server = await startApiServer({
    ...storageOption(parsed.flags),
    dataDir: flag('data-dir')!,
    bind,
    port: Number(flag('port') ?? 6443),
    serviceCidr: flag('service-cidr'),
    clusterName: flag('cluster-name'),
    ...(flag('event-ttl') ? { eventTtlMs: parseEventTtl(flag('event-ttl')!) } : {}),
    extraSans: [bind, ...((parsed.flags['extra-san'] as string[] | undefined) ?? [])],
    ...(flag('advertise-address') ? { advertise: { ip: flag('advertise-address')!, port: Number(flag('advertise-port') ?? flag('port') ?? 6443) } } : {}),
    logger,
  });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  const grace = flag('node-monitor-grace-period');
  const eviction = flag('pod-eviction-timeout');
  const reserved = (parsed.flags['lb-reserved'] as string[] | undefined) ?? [];
  const controllerOptions = {
    client,
    logger,
    lbPool: flag('lb-pool'),
    lbReserved: reserved.length ? reserved : [bind],
    ...(grace ? { nodeMonitorGracePeriodSeconds: Number(grace) } : {}),
    ...(eviction ? { podEvictionTimeoutSeconds: Number(eviction) } : {}),
  };
  let controllers: { stop(): Promise<void> };
  if (parsed.flags['leader-elect']) {
    // Identity `<node>_<uuid>` (kube-controller-manager's is `<hostname>_<uuid>`; every node namespace shares the host's name).
    const { randomUUID } = await import('node:crypto');
    const { runLeaderElectedControllers, defaultLeaderElection } = await import('../controllers/leader.js');
    const identity = `${flag('node-name') ?? bind}_${randomUUID()}`;
    controllers = runLeaderElectedControllers({ ...controllerOptions, logger, leaderElection: { ...defaultLeaderElection, identity } });
    logger.info({ identity, lease: `${defaultLeaderElection.namespace}/${defaultLeaderElection.name}` }, 'controllers: leader election started');
  } else {
    // A control plane without its controllers is no control plane: a failure here ends the process with the error.
    controllers = await startControllers(controllerOptions);
    logger.info('controllers started');
  }
  // LoadBalancer pools outside the node network get on-link routes on the bridge (only with a bridge: `mk8s up`).
  const bridge = flag('bridge');
  const nodeCidr = flag('node-cidr');
  const poolRoutes = bridge && nodeCidr ? new PoolRoutes({ client, bridge, nodeCidr, excluded: [flag('service-cidr') ?? '10.96.0.0/12', flag('pod-cidr') ?? '10.244.0.0/16'], lbPoolOption: flag('lb-pool'), logger }) : undefined;
  await poolRoutes?.start();
  // After a burst (pods created and deleted), one full collection when the process goes quiet (idle-gc.ts).
  startIdleGc({ onCollect: (before, after) => logger.debug({ rssMB: [Math.round(before / 2 ** 20), Math.round(after / 2 ** 20)] }, 'idle: heap collected') });
  logger.info({ url: server.url }, 'control plane ready');
  const stop = async () => {
    await poolRoutes?.stop().catch(() => undefined);
    await controllers.stop().catch(() => undefined);
    client.close();
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** This module's file once built (what `mk8s up` runs). */
export const controlPlaneEntry = fileURLToPath(import.meta.url);

// Run only as a program, not when `mk8s up` imports it for the path above.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(controlPlaneEntry)) {
  main().catch((e) => {
    process.stderr.write(`control plane failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}

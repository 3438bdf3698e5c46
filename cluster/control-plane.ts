// The control-plane process `mk8s up` starts: the API server on the host's
// bridge address (reachable from every node namespace), with the kubelet
// stream proxy, and the controllers in the same process.
// Run as `node dist/cluster/control-plane.js --data-dir D --bind IP …`.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Client } from '../client/http.js';
import { startApiServer } from '../apiserver/server.js';
import { startControllers } from '../controllers/manager.js';
import { PoolRoutes } from './pool-routes.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
import { storageOption } from '../cli/commands/apiserver.js';

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
    extraSans: [bind],
    logger,
  });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  const grace = flag('node-monitor-grace-period');
  const eviction = flag('pod-eviction-timeout');
  // A control plane without its controllers is no control plane: a failure here ends the process with the error.
  const controllers = await startControllers({
    client,
    logger,
    lbPool: flag('lb-pool'),
    lbReserved: [bind],
    ...(grace ? { nodeMonitorGracePeriodSeconds: Number(grace) } : {}),
    ...(eviction ? { podEvictionTimeoutSeconds: Number(eviction) } : {}),
  });
  logger.info('controllers started');
  // LoadBalancer pools outside the node network get on-link routes on the bridge (only with a bridge: `mk8s up`).
  const bridge = flag('bridge');
  const nodeCidr = flag('node-cidr');
  const poolRoutes = bridge && nodeCidr ? new PoolRoutes({ client, bridge, nodeCidr, excluded: [flag('service-cidr') ?? '10.96.0.0/12', flag('pod-cidr') ?? '10.244.0.0/16'], lbPoolOption: flag('lb-pool'), logger }) : undefined;
  await poolRoutes?.start();
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

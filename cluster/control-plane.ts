// The control-plane process `mk8s up` starts: the API server on the host's
// bridge address (reachable from every node namespace), with the kubelet
// stream proxy, and the controllers in the same process when they are built.
// Run as `node dist/cluster/control-plane.js --data-dir D --bind IP …`.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Client } from '../client/http.js';
import { startApiServer } from '../apiserver/server.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';

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
];

let parsed: ReturnType<typeof parseFlags> | undefined;

function flag(name: string): string | undefined {
  parsed ??= parseFlags(process.argv.slice(2), flagSpecs);
  return parsed.changed.has(name) ? parsed.flags[name] : undefined;
}

async function main(): Promise<void> {
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const bind = flag('bind') ?? '127.0.0.1';
  const server = await startApiServer({
    dataDir: flag('data-dir')!,
    bind,
    port: Number(flag('port') ?? 6443),
    serviceCidr: flag('service-cidr'),
    clusterName: flag('cluster-name'),
    extraSans: [bind],
    logger,
  });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  let controllers: { stop(): Promise<void> } | undefined;
  // The controllers issue's module, loaded by a computed name so this builds before it lands.
  const managerPath = '../controllers/manager.js';
  try {
    const manager: any = await import(managerPath);
    const grace = flag('node-monitor-grace-period');
    const eviction = flag('pod-eviction-timeout');
    controllers = await manager.startControllers({
      client,
      logger,
      lbPool: flag('lb-pool'),
      ...(grace ? { nodeMonitorGracePeriodSeconds: Number(grace) } : {}),
      ...(eviction ? { podEvictionTimeoutSeconds: Number(eviction) } : {}),
    });
    logger.info('controllers started');
  } catch (e) {
    logger.warn({ err: (e as Error).message }, 'controllers not started (not built into this mk8s yet?)');
  }
  logger.info({ url: server.url }, 'control plane ready');
  const stop = async () => {
    await controllers?.stop().catch(() => undefined);
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

// `mk8s apiserver`: the API server alone, on loopback by default; it writes
// its kubeconfig into the data directory and runs until SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command, Ctx } from '../context.js';
import { usageError } from '../errors.js';
import type { FlagSpec } from '../flags.js';

export const defaultDataDir = () => join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'apiserver');

const flags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', usage: 'Where the API data (LevelDB), the CA, the token and the kubeconfig live (default $MK8S_HOME/apiserver, ~/.mk8s/apiserver).' },
  { name: 'bind', type: 'string', default: '127.0.0.1', usage: 'The address to serve on.' },
  { name: 'port', type: 'int', default: 6443, usage: 'The port to serve HTTPS on (0: any free port).' },
  { name: 'service-cluster-ip-range', type: 'string', usage: 'A CIDR notation IP range from which to assign service cluster IPs (default 10.96.0.0/12).' },
  { name: 'service-node-port-range', type: 'string', usage: 'A port range to reserve for services with NodePort visibility, e.g. 30000-32767.' },
  { name: 'event-ttl', type: 'string', default: '1h', usage: 'How long an Event is kept after it was last seen (0s: forever).' },
  { name: 'storage', type: 'string', default: 'level', usage: 'Where objects are stored: level (LevelDB in the data dir) or etcd (--etcd-servers).' },
  { name: 'etcd-servers', type: 'string', usage: 'With --storage etcd: the etcd client URLs, comma-separated.' },
  { name: 'etcd-cafile', type: 'string', usage: 'SSL Certificate Authority file used to secure etcd communication.' },
  { name: 'etcd-certfile', type: 'string', usage: 'SSL certification file used to secure etcd communication.' },
  { name: 'etcd-keyfile', type: 'string', usage: 'SSL key file used to secure etcd communication.' },
];

/** `--storage` and the etcd flags as the server's option (a usage error as a one-line message). */
export function storageOption(f: Record<string, any>): { etcd?: { endpoints: string[]; tls?: { ca: string; cert: string; key: string } } } {
  if (f.storage !== 'level' && f.storage !== 'etcd') throw usageError(`invalid argument "${f.storage}" for "--storage" flag: must be level or etcd`);
  if (f.storage === 'level') {
    if (f['etcd-servers']) throw usageError('--etcd-servers needs --storage etcd');
    return {};
  }
  const endpoints = String(f['etcd-servers'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!endpoints.length) throw usageError('--storage etcd needs --etcd-servers URL[,URL…]');
  for (const u of endpoints) if (!/^https?:\/\/[^/]+$/.test(u)) throw usageError(`--etcd-servers: "${u}" is not a URL such as https://127.0.0.1:2379`);
  const files = [f['etcd-cafile'], f['etcd-certfile'], f['etcd-keyfile']];
  if (files.some(Boolean) && !files.every(Boolean)) throw usageError('--etcd-cafile, --etcd-certfile and --etcd-keyfile go together');
  if (!files[0]) return { etcd: { endpoints } };
  const [ca, cert, key] = files.map((p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (e) {
      throw usageError(`cannot read ${p}: ${(e as Error).message}`);
    }
  });
  return { etcd: { endpoints, tls: { ca, cert, key } } };
}

async function run(ctx: Ctx): Promise<number> {
  const { startApiServer } = await import('../../apiserver/server.js');
  const { parseEventTtl } = await import('../../apiserver/event-ttl.js');
  const f = ctx.flags;
  const storage = storageOption(f);
  const server = await startApiServer({
    ...storage,
    dataDir: f['data-dir'] || defaultDataDir(),
    bind: f.bind,
    port: f.port,
    serviceCidr: f['service-cluster-ip-range'] || undefined,
    nodePortRange: f['service-node-port-range'] || undefined,
    eventTtlMs: parseEventTtl(f['event-ttl']),
  });
  ctx.out.write(`mk8s apiserver on ${server.url}; kubeconfig: ${server.kubeconfigPath}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

const cmd: Command = {
  use: 'apiserver [flags]',
  short: 'Run the API server',
  long: 'Runs the API server (storage, watch, REST, TLS and a bearer token) until SIGTERM or SIGINT,\nand writes a kubeconfig for it into the data directory.',
  flags,
  globalFlags: false,
  maxArgs: 0,
  run,
};
export default cmd;

// `mk8s apiserver`: the API server alone, on loopback by default; it writes
// its kubeconfig into the data directory and runs until SIGTERM/SIGINT.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';

export const defaultDataDir = () => join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'apiserver');

const flags: FlagSpec[] = [
  { name: 'data-dir', type: 'string', usage: 'Where the API data (LevelDB), the CA, the token and the kubeconfig live (default $MK8S_HOME/apiserver, ~/.mk8s/apiserver).' },
  { name: 'bind', type: 'string', default: '127.0.0.1', usage: 'The address to serve on.' },
  { name: 'port', type: 'int', default: 6443, usage: 'The port to serve HTTPS on (0: any free port).' },
  { name: 'service-cluster-ip-range', type: 'string', usage: 'A CIDR notation IP range from which to assign service cluster IPs (default 10.96.0.0/12).' },
  { name: 'service-node-port-range', type: 'string', usage: 'A port range to reserve for services with NodePort visibility, e.g. 30000-32767.' },
];

async function run(ctx: Ctx): Promise<number> {
  const { startApiServer } = await import('../../apiserver/server.js');
  const f = ctx.flags;
  const server = await startApiServer({
    dataDir: f['data-dir'] || defaultDataDir(),
    bind: f.bind,
    port: f.port,
    serviceCidr: f['service-cluster-ip-range'] || undefined,
    nodePortRange: f['service-node-port-range'] || undefined,
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

// `mk8s proxy`: one node's Service data path and DNS, run inside the node's
// network namespace next to its kubelet. `--cleanup` removes every chain and
// jump it made and exits (as `kube-proxy --cleanup`).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { IptablesApplier } from './apply.js';
import { startProxy } from './server.js';
import { parseResolvConf } from './dns/server.js';

function flags(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) out.set(a.slice(2), args[++i]);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export async function runProxyCommand(args: string[]): Promise<number> {
  const f = flags(args);
  const log = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  if (f.get('cleanup') === 'true') {
    await new IptablesApplier().cleanup();
    process.stdout.write('mk8s proxy: removed every KUBE-* chain and jump\n');
    return 0;
  }
  const nodeName = f.get('node-name');
  const nodeIP = f.get('node-ip');
  if (!nodeName || !nodeIP) {
    process.stderr.write('error: mk8s proxy needs --node-name and --node-ip\n');
    return 1;
  }
  const client = new Client(loadKubeconfig(f.get('kubeconfig')));
  let upstreams = f.get('dns-upstream')?.split(',').filter(Boolean).map((u) => {
    const [host, port] = u.split(':');
    return { host, port: Number(port ?? 53) };
  });
  if (!upstreams) {
    try {
      upstreams = parseResolvConf(readFileSync(f.get('resolv-conf') ?? '/etc/resolv.conf', 'utf8'));
    } catch {
      upstreams = [];
    }
  }
  // The node's serving certificate for /rules on the status port, and the CA of the one client allowed it (the apiserver).
  const tlsFlags = ['tls-cert-file', 'tls-private-key-file', 'client-ca-file'];
  const given = tlsFlags.filter((k) => f.has(k));
  if (given.length && given.length !== tlsFlags.length) {
    process.stderr.write(`error: mk8s proxy needs all of --${tlsFlags.join(', --')} or none\n`);
    return 1;
  }
  let tls: { cert: string; key: string; clientCA: string } | undefined;
  try {
    if (given.length) tls = { cert: readFileSync(f.get('tls-cert-file')!, 'utf8'), key: readFileSync(f.get('tls-private-key-file')!, 'utf8'), clientCA: readFileSync(f.get('client-ca-file')!, 'utf8') };
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
  if (!tls) log.warn('no --tls-cert-file/--client-ca-file: /rules on the status port answers 401 to everyone');
  const dnsBind = f.get('dns-bind') ?? '169.254.20.10';
  const proxy = await startProxy({
    client,
    nodeName,
    nodeIP,
    clusterCIDR: f.get('cluster-cidr'),
    serviceCIDR: f.get('service-cidr'),
    healthPort: f.has('health-port') ? Number(f.get('health-port')) : undefined,
    tls,
    logger: log,
    dns: f.get('dns') === 'false' ? undefined : { bind: dnsBind, port: Number(f.get('dns-port') ?? 53), metricsPort: 9153, upstreams },
  });
  log.info({ node: nodeName }, 'mk8s proxy running');
  const stop = async () => {
    await proxy.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

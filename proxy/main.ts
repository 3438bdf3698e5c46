// `mk8s proxy`: one node's Service data path and DNS, run inside the node's
// network namespace next to its kubelet. `--cleanup` removes every chain and
// jump it made and exits (as `kube-proxy --cleanup`).
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { cleanupMode, modeUnavailable, parseProxyMode } from './backends.js';
import { proxyModes } from './backend.js';
import { startProxy, type ProxyOptions } from './server.js';
import { parseResolvConf } from './dns/server.js';
import type { Command, Ctx } from '../cli/context.js';
import type { FlagSpec } from '../cli/flags.js';

export const proxyFlags: FlagSpec[] = [
  { name: 'mode', type: 'string', default: 'iptables', usage: "The data-path mode: iptables or nftables (as kube-proxy's --proxy-mode); the other mode's rules are removed on start." },
  { name: 'node-name', type: 'string', usage: "The node's name." },
  { name: 'node-ip', type: 'string', usage: "The node's address (NodePorts, LoadBalancer announcements)." },
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file of the API server.' },
  { name: 'cluster-cidr', type: 'string', usage: 'The pod addresses of the cluster (traffic from outside it is masqueraded).' },
  { name: 'service-cidr', type: 'string', usage: 'The ClusterIP range.' },
  { name: 'health-port', type: 'int', usage: 'The port of /healthz and /metrics.' },
  { name: 'dns', type: 'bool', default: true, usage: 'Serve the cluster DNS on the node-local address (--dns=false: no DNS).' },
  { name: 'dns-bind', type: 'string', default: '169.254.20.10', usage: 'The node-local DNS address.' },
  { name: 'dns-port', type: 'int', default: 53, usage: 'The DNS port.' },
  { name: 'dns-upstream', type: 'string', usage: 'Resolvers for names outside the cluster zone (ip:port,…); default: those of --resolv-conf.' },
  { name: 'resolv-conf', type: 'string', default: '/etc/resolv.conf', usage: 'Where the upstream resolvers are read from.' },
  { name: 'tls-cert-file', type: 'string', usage: "The node's serving certificate for /rules on the status port (PEM)." },
  { name: 'tls-private-key-file', type: 'string', usage: "The serving certificate's key (PEM)." },
  { name: 'client-ca-file', type: 'string', usage: "CA of the one client allowed /rules (the API server's)." },
  { name: 'cleanup', type: 'bool', usage: 'Remove the rules of every mode (KUBE-* chains and jumps, the kube-proxy nftables table) and exit (as kube-proxy --cleanup).' },
];

/** The proxy's options from its flags (shared with `mk8s node`); a partial or unreadable set of TLS files is an error. */
export function proxyOptions(ctx: Ctx, client: Client, log: Logger): ProxyOptions | { error: string } {
  const f = ctx.flags;
  let mode;
  try {
    mode = parseProxyMode(f.mode);
  } catch (e) {
    throw ctx.usageError(`mk8s ${ctx.verb}: ${(e as Error).message}`);
  }
  const unavailable = modeUnavailable(mode);
  if (unavailable) throw ctx.usageError(`mk8s ${ctx.verb}: ${unavailable}`);
  const upstreamFlag: string = f['dns-upstream'];
  let upstreams = upstreamFlag === '' ? undefined : upstreamFlag.split(',').filter(Boolean).map((u) => {
    const [host, port] = u.split(':');
    return { host, port: Number(port ?? 53) };
  });
  if (!upstreams) {
    try {
      upstreams = parseResolvConf(readFileSync(f['resolv-conf'], 'utf8'));
    } catch {
      upstreams = [];
    }
  }
  // The node's serving certificate for /rules on the status port, and the CA of the one client allowed it (the apiserver).
  const tlsFlags = ['tls-cert-file', 'tls-private-key-file', 'client-ca-file'];
  const given = tlsFlags.filter((k) => ctx.changed.has(k));
  if (given.length && given.length !== tlsFlags.length) throw ctx.usageError(`mk8s ${ctx.verb} needs all of --${tlsFlags.join(', --')} or none`);
  let tls: { cert: string; key: string; clientCA: string } | undefined;
  try {
    if (given.length) tls = { cert: readFileSync(f['tls-cert-file'], 'utf8'), key: readFileSync(f['tls-private-key-file'], 'utf8'), clientCA: readFileSync(f['client-ca-file'], 'utf8') };
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (!tls) log.warn('no --tls-cert-file/--client-ca-file: /rules on the status port answers 401 to everyone');
  return {
    mode,
    client,
    nodeName: f['node-name'],
    nodeIP: f['node-ip'],
    clusterCIDR: f['cluster-cidr'] || undefined,
    serviceCIDR: f['service-cidr'] || undefined,
    healthPort: f['health-port'],
    tls,
    logger: log,
    dns: f.dns ? { bind: f['dns-bind'], port: f['dns-port'], metricsPort: 9153, upstreams } : undefined,
  };
}

async function run(ctx: Ctx): Promise<number> {
  const f = ctx.flags;
  const log = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  if (f.cleanup) {
    for (const m of proxyModes) await cleanupMode(m);
    ctx.out.write('mk8s proxy: removed every KUBE-* chain and jump and the kube-proxy nftables table\n');
    return 0;
  }
  const nodeName: string = f['node-name'];
  const nodeIP: string = f['node-ip'];
  if (!nodeName || !nodeIP) throw ctx.usageError('mk8s proxy needs --node-name and --node-ip (or --cleanup)');
  const client = new Client(loadKubeconfig(f.kubeconfig || undefined));
  const opts = proxyOptions(ctx, client, log);
  if ('error' in opts) {
    ctx.err.write(`error: ${opts.error}\n`);
    client.close();
    return 1;
  }
  const proxy = await startProxy(opts);
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

export const proxyCommand: Command = {
  use: 'proxy --node-name NAME --node-ip IP [flags]',
  short: "Run a node's service proxy (iptables or nftables) and cluster DNS",
  long: "Runs one node's Service data path (kube-proxy's iptables or nftables layout, --mode) and its node-local cluster DNS,\nin the node's network namespace next to its kubelet. --cleanup removes every chain and jump it made.",
  flags: proxyFlags,
  globalFlags: false,
  maxArgs: 0,
  run,
};

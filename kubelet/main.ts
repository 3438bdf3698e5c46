// `mk8s kubelet --node-name N --pod-cidr 10.244.1.0/24 --node-ip 172.18.0.2 --kubeconfig K
//   --tls-cert-file C --tls-private-key-file K --client-ca-file CA [--port 10250]`:
// the node agent, run inside the node's network namespace (`mk8s up` starts
// it with `ip netns exec`). SIGTERM stops it and leaves the pods running:
// a restarted kubelet adopts them.
import './lazy-deps.js'; // first: before dockerode loads
import { pino, type Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { startKubelet, type KubeletOptions } from './kubelet.js';
import type { Command, Ctx } from '../cli/context.js';
import type { FlagSpec } from '../cli/flags.js';

export const kubeletFlags: FlagSpec[] = [
  { name: 'node-name', type: 'string', usage: "The node's name." },
  { name: 'pod-cidr', type: 'string', usage: "The node's pod addresses (e.g. 10.244.1.0/24)." },
  { name: 'node-ip', type: 'string', usage: "The node's address; the stream server listens on it." },
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file of the API server.' },
  { name: 'port', type: 'int', default: 10250, usage: 'The stream server port on the node IP (logs, exec, attach, port-forward; HTTPS).' },
  { name: 'tls-cert-file', type: 'string', usage: "The stream server's serving certificate (PEM; mk8s up issues one per node from the cluster CA)." },
  { name: 'tls-private-key-file', type: 'string', usage: "The serving certificate's key (PEM)." },
  { name: 'client-ca-file', type: 'string', usage: "CA of the client certificates accepted (the API server's); anything else gets 401." },
  { name: 'root-dir', type: 'string', usage: 'Pod files and the IPAM store (default /var/lib/mk8s/<node-name>).' },
  { name: 'cluster-dns', type: 'string', usage: "The nameserver in pods' resolv.conf (e.g. 10.96.0.10)." },
  { name: 'cluster-domain', type: 'string', usage: 'The cluster domain (default cluster.local).' },
  { name: 'control-plane', type: 'bool', usage: 'Label the node node-role.kubernetes.io/control-plane.' },
  { name: 'cni-bin-dir', type: 'string', usage: 'Where the CNI plugins are (default /usr/lib/cni).' },
  { name: 'offline', type: 'bool', usage: 'Never pull images: an absent image runs its built-in stand-in or fails (ErrImagePull).' },
];

/** The kubelet's options from its flags (shared with `mk8s node`); an unreadable certificate file is a one-line error. */
export function kubeletOptions(ctx: Ctx, client: Client, logger: Logger): KubeletOptions | { error: string } {
  const f = ctx.flags;
  const nodeName: string = f['node-name'];
  let tls: { cert: string; key: string; clientCA: string };
  try {
    tls = { cert: readFileSync(f['tls-cert-file'], 'utf8'), key: readFileSync(f['tls-private-key-file'], 'utf8'), clientCA: readFileSync(f['client-ca-file'], 'utf8') };
  } catch (e) {
    return { error: (e as Error).message };
  }
  return {
    nodeName,
    podCidr: f['pod-cidr'],
    nodeIP: f['node-ip'],
    client,
    logger,
    port: f.port,
    tls,
    rootDir: f['root-dir'] || join('/var/lib/mk8s', nodeName),
    controlPlane: f['control-plane'],
    clusterDns: f['cluster-dns'] || undefined,
    clusterDomain: f['cluster-domain'] || undefined,
    cniBinDir: f['cni-bin-dir'] || undefined,
    offline: f.offline,
  };
}

async function run(ctx: Ctx): Promise<number> {
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const client = new Client(loadKubeconfig(ctx.flags.kubeconfig));
  const opts = kubeletOptions(ctx, client, logger);
  if ('error' in opts) {
    ctx.err.write(`error: ${opts.error}\n`);
    client.close();
    return 1;
  }
  const kubelet = await startKubelet(opts);
  const stop = async () => {
    await kubelet.stop().catch(() => undefined);
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

export const kubeletCommand: Command = {
  use: 'kubelet --node-name NAME --pod-cidr CIDR --node-ip IP --kubeconfig FILE --tls-cert-file FILE --tls-private-key-file FILE --client-ca-file FILE [flags]',
  short: 'Run the node agent in the current network namespace',
  long: "Runs a node's kubelet (pods on Docker with the CNI plugins, probes, the stream server) in the\ncurrent network namespace; mk8s up starts one per node with ip netns exec. SIGTERM stops it and\nleaves the pods running: a restarted kubelet adopts them.",
  flags: kubeletFlags,
  globalFlags: false,
  required: ['node-name', 'pod-cidr', 'node-ip', 'kubeconfig', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file'],
  maxArgs: 0,
  run,
};

// `mk8s node`: one node's agent, as k3s' agent: the kubelet, the proxy
// (iptables rules) and the node-local DNS of one node in one process, run
// inside the node's network namespace (`mk8s up` starts one per node with
// `ip netns exec`). They share one client and one informer set, so pods of
// the node, services, endpointslices and nodes are listed and watched once.
//
// The parts stay separate commands (`mk8s kubelet`, `mk8s proxy`) for labs
// that stop one of them: `mk8s up --split-node-components` runs those
// instead. SIGTERM stops the agent, leaving pods running and rules in the
// kernel (a restarted agent adopts the pods and takes the rules over).
import '../kubelet/lazy-deps.js'; // first: before dockerode loads
import { pino } from 'pino';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { SharedInformers } from '../client/shared-informers.js';
import { kubeletFlags, kubeletOptions } from '../kubelet/main.js';
import { startKubelet } from '../kubelet/kubelet.js';
import { proxyFlags, proxyOptions } from '../proxy/main.js';
import { startProxy } from '../proxy/server.js';
import type { Command, Ctx } from '../cli/context.js';
import type { FlagSpec } from '../cli/flags.js';
import { startIdleGc } from './idle-gc.js';

/** The kubelet's flags, then the proxy's that the kubelet has not (node name, IP, kubeconfig and certificates are the same). */
export const nodeFlags: FlagSpec[] = [...kubeletFlags, ...proxyFlags.filter((p) => p.name !== 'cleanup' && !kubeletFlags.some((k) => k.name === p.name))];

async function run(ctx: Ctx): Promise<number> {
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const client = new Client(loadKubeconfig(ctx.flags.kubeconfig));
  const informers = new SharedInformers(client, { log: logger.child({ component: 'informers' }) });
  const ko = kubeletOptions(ctx, client, logger);
  const po = proxyOptions(ctx, client, logger.child({ component: 'proxy' }));
  if ('error' in ko || 'error' in po) {
    ctx.err.write(`error: ${'error' in ko ? ko.error : (po as { error: string }).error}\n`);
    client.close();
    return 1;
  }
  const [kubelet, proxy] = await Promise.all([startKubelet({ ...ko, informers }), startProxy({ ...po, informers })]);
  // After a burst (pods created and deleted), one full collection when the process goes quiet (idle-gc.ts).
  startIdleGc({ onCollect: (before, after) => logger.debug({ rssMB: [Math.round(before / 2 ** 20), Math.round(after / 2 ** 20)] }, 'idle: heap collected') });
  logger.info({ node: ko.nodeName, informers: informers.informers().map((i) => i.resource.plural) }, 'mk8s node running: kubelet, proxy and node-local DNS');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([kubelet.stop().catch(() => undefined), proxy.stop().catch(() => undefined)]);
    await informers.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

export const nodeCommand: Command = {
  use: 'node --node-name NAME --pod-cidr CIDR --node-ip IP --kubeconfig FILE --tls-cert-file FILE --tls-private-key-file FILE --client-ca-file FILE [flags]',
  short: "Run one node's agent: kubelet, proxy and node-local DNS in one process",
  long: [
    "Runs one node's kubelet, service proxy (kube-proxy's iptables layout) and node-local cluster DNS in",
    'one process sharing one informer set, in the current network namespace (as k3s runs its agent);',
    'mk8s up starts one per node with ip netns exec. `mk8s kubelet` and `mk8s proxy` run the parts apart',
    '(mk8s up --split-node-components). SIGTERM stops it and leaves the pods running and the rules in place.',
  ].join('\n'),
  flags: nodeFlags,
  globalFlags: false,
  required: ['node-name', 'pod-cidr', 'node-ip', 'kubeconfig', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file'],
  maxArgs: 0,
  run,
};

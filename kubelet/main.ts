// `mk8s kubelet --node-name N --pod-cidr 10.244.1.0/24 --node-ip 172.18.0.2 --kubeconfig K [--port 10250]`:
// the node agent, run inside the node's network namespace (`mk8s up` starts
// it with `ip netns exec`). SIGTERM stops it and leaves the pods running:
// a restarted kubelet adopts them.
import { pino } from 'pino';
import { join } from 'node:path';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { startKubelet } from './kubelet.js';

export function kubeletUsage(): string {
  return [
    'Usage: mk8s kubelet --node-name NAME --pod-cidr CIDR --node-ip IP --kubeconfig FILE [options]',
    '',
    'Runs the node agent in the current network namespace.',
    '',
    'Options:',
    '  --port 10250             stream server port on the node IP (logs, exec, port-forward)',
    '  --root-dir DIR           pod files and the IPAM store (default /var/lib/mk8s/<node>)',
    '  --cluster-dns 10.96.0.10 nameserver in pods\' resolv.conf',
    '  --cluster-domain cluster.local',
    '  --control-plane          label the node node-role.kubernetes.io/control-plane',
    '  --cni-bin-dir /usr/lib/cni',
    '  --offline                never pull images: an absent image runs its built-in stand-in or fails (ErrImagePull)',
    '',
  ].join('\n');
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

export async function runKubeletCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(kubeletUsage());
    return 0;
  }
  const nodeName = flag(argv, 'node-name');
  const podCidr = flag(argv, 'pod-cidr');
  const nodeIP = flag(argv, 'node-ip');
  const kubeconfig = flag(argv, 'kubeconfig');
  const missing = [['--node-name', nodeName], ['--pod-cidr', podCidr], ['--node-ip', nodeIP], ['--kubeconfig', kubeconfig]].filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) {
    process.stderr.write(`error: missing ${missing.join(', ')}\n\n${kubeletUsage()}`);
    return 1;
  }
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const client = new Client(loadKubeconfig(kubeconfig!));
  const kubelet = await startKubelet({
    nodeName: nodeName!,
    podCidr: podCidr!,
    nodeIP: nodeIP!,
    client,
    logger,
    port: Number(flag(argv, 'port') ?? 10250),
    rootDir: flag(argv, 'root-dir') ?? join('/var/lib/mk8s', nodeName!),
    controlPlane: argv.includes('--control-plane'),
    clusterDns: flag(argv, 'cluster-dns'),
    clusterDomain: flag(argv, 'cluster-domain'),
    cniBinDir: flag(argv, 'cni-bin-dir'),
    offline: argv.includes('--offline'),
  });
  const stop = async () => {
    await kubelet.stop().catch(() => undefined);
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

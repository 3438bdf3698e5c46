// mk8s cluster-info: kubectl cluster-info — the control plane URL, then each
// kube-system service labelled kubernetes.io/cluster-service=true with its
// apiserver proxy URL (colored on a terminal, as kubectl).
import type { Command, Ctx } from '../context.js';
import { findByKind } from '../../api/resources.js';

function colored(ctx: Ctx, name: string, url: string): string {
  const tty = (process.stdout as { isTTY?: boolean }).isTTY && ctx.out === process.stdout;
  return tty ? `\x1b[0;32m${name}\x1b[0m is running at \x1b[0;33m${url}\x1b[0m\n` : `${name} is running at ${url}\n`;
}

async function run(ctx: Ctx): Promise<number> {
  if (ctx.args[0] === 'dump') {
    ctx.err.write('error: mk8s cluster-info dump is not supported; use mk8s get all -A -o yaml\n');
    return 1;
  }
  const client = await ctx.client();
  const server = await ctx.server();
  await client.request('GET', '/version');
  ctx.out.write(colored(ctx, 'Kubernetes control plane', server));
  const svcs = await client.list(findByKind('v1', 'Service')!, 'kube-system', { labelSelector: 'kubernetes.io/cluster-service=true' });
  for (const s of svcs.items) {
    const name = s.metadata.labels?.['kubernetes.io/name'] ?? s.metadata.name!;
    const ports: any[] = s.spec?.ports ?? [];
    const ingress = s.status?.loadBalancer?.ingress?.[0];
    let link: string;
    if (ingress) {
      // As kubectl: every port of the load balancer's address, space separated.
      link = ports.map((p) => `http://${ingress.ip || ingress.hostname}:${p.port} `).join('');
    } else {
      // As kubectl: the first port only, <scheme>:<service>:<port name> through the apiserver proxy.
      let proxied = s.metadata.name!;
      const p = ports[0];
      if (p) {
        const scheme = p.name === 'https' || p.port === 443 ? 'https' : '';
        proxied = [scheme, s.metadata.name, p.name ?? ''].filter((x, i) => x || i === 1).join(':');
        if (!scheme && !p.name) proxied = s.metadata.name!;
      }
      link = `${server}/api/v1/namespaces/${s.metadata.namespace}/services/${proxied}/proxy`;
    }
    ctx.out.write(colored(ctx, name, link));
  }
  ctx.out.write("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n");
  return 0;
}

const cmd: Command = { use: 'cluster-info', short: 'Display cluster information', flags: [], run };
export default cmd;

// mk8s service list | mk8s service NAME [--url]: what `minikube service`
// prints — NAMESPACE, NAME, TARGET PORT, URL with a node's InternalIP and
// the nodePort, "No node port" for services without one.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';

const flags: FlagSpec[] = [
  { name: 'url', type: 'bool', usage: 'Display the Kubernetes service URL in the CLI instead of a table.' },
  { name: 'all', type: 'bool', usage: 'Forwards all services in a namespace.' },
  { name: 'https', type: 'bool', usage: 'Open the service URL with https instead of http.' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
];

interface Row {
  namespace: string;
  name: string;
  target: string;
  url: string;
}

/** minikube's table: centered headers, numbers right-aligned, text left-aligned. */
export function minikubeTable(rows: Row[]): string {
  const header = ['NAMESPACE', 'NAME', 'TARGET PORT', 'URL'];
  const cells = rows.map((r) => [r.namespace, r.name, r.target, r.url]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const center = (s: string, w: number) => {
    const left = Math.floor((w - s.length) / 2);
    return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
  };
  const line = (c: string[], head: boolean) =>
    `|${c.map((s, i) => ` ${head ? center(s, widths[i]) : /^\d+$/.test(s) ? s.padStart(widths[i]) : s.padEnd(widths[i])} `).join('|')}|`;
  return [sep, line(header, true), sep, ...cells.map((c) => line(c, false)), sep].join('\n') + '\n';
}

function nodeAddress(nodes: KubeObject[]): string | undefined {
  const ready = nodes
    .filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const n of [...ready, ...nodes]) {
    const ip = (n.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
    if (ip) return ip;
  }
  return undefined;
}

function rowsFor(svc: KubeObject, nodeIp: string | undefined, scheme: string): Row[] {
  const base = { namespace: svc.metadata.namespace!, name: svc.metadata.name! };
  const ports: any[] = (svc.spec?.ports ?? []).filter((p: any) => p.nodePort);
  if (ports.length === 0) return [{ ...base, target: 'No node port', url: '' }];
  return ports.map((p) => ({ ...base, target: p.name ? `${p.name}/${p.port}` : String(p.port), url: nodeIp ? `${scheme}://${nodeIp}:${p.nodePort}` : '<no node address>' }));
}

async function run(ctx: Ctx): Promise<number> {
  const client = await ctx.client();
  const svcType = findByKind('v1', 'Service')!;
  const nodes = (await client.list(findByKind('v1', 'Node')!)).items;
  const ip = nodeAddress(nodes);
  const scheme = ctx.flags.https ? 'https' : 'http';
  const [first, second] = ctx.args;
  if (!first || first === 'list' || ctx.flags.all) {
    const ns = first === 'list' && !ctx.flags['all-namespaces'] && ctx.flags.namespace ? ctx.flags.namespace : undefined;
    const svcs = (await client.list(svcType, ctx.flags.all && !ctx.flags['all-namespaces'] ? await ctx.namespace() : ns)).items;
    svcs.sort((a, b) => (a.metadata.namespace! + '/' + a.metadata.name! < b.metadata.namespace! + '/' + b.metadata.name! ? -1 : 1));
    const rows = svcs.flatMap((s) => rowsFor(s, ip, scheme));
    if (ctx.flags.url) for (const r of rows) if (r.url) ctx.out.write(r.url + '\n');
    if (!ctx.flags.url) {
      ctx.out.write(
        minikubeTable(rows.map((r) => (r.target === 'No node port' && first === 'list' ? r : r.target === 'No node port' ? { ...r, target: '', url: 'No node port' } : r))),
      );
    }
    return 0;
  }
  if (second) throw new CliError('error: mk8s service takes one service name');
  const ns = await ctx.namespace();
  const svc = await client.get(svcType, ns, first).catch(() => {
    throw new CliError(`error: Service '${first}' was not found in '${ns}' namespace.\nYou may select another namespace by using 'mk8s service ${first} -n <namespace>'. Or list out all the services using 'mk8s service list'`);
  });
  const rows = rowsFor(svc, ip, scheme);
  if (rows[0].target === 'No node port') {
    if (ctx.flags.url) {
      ctx.err.write(`service ${ns}/${first} has no node port\n`);
      return 1;
    }
    ctx.out.write(minikubeTable([{ ...rows[0], target: '', url: 'No node port' }]));
    ctx.err.write(`service ${ns}/${first} has no node port\n`);
    return 0;
  }
  if (ctx.flags.url) for (const r of rows) ctx.out.write(r.url + '\n');
  else ctx.out.write(minikubeTable(rows));
  return 0;
}

const cmd: Command = {
  use: 'service list | service NAME [--url]',
  short: 'mk8s: list services with their node-port URLs (as `minikube service`)',
  flags,
  run,
};

export default cmd;

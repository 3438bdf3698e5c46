// mk8s api-resources: kubectl api-resources from the server's discovery,
// sorted by group then name; -o wide|name, --namespaced, --api-group,
// --no-headers, --sort-by=name|kind.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { TabWriter } from '../printers/tabwriter.js';

const flags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: (wide, name).' },
  { name: 'namespaced', type: 'string', default: '', noOptDefVal: 'true', usage: 'If false, non-namespaced resources will be returned, otherwise returning namespaced resources by default.' },
  { name: 'api-group', type: 'string' },
  { name: 'no-headers', type: 'bool' },
  { name: 'sort-by', type: 'string' },
  { name: 'verbs', type: 'stringSlice' },
  { name: 'categories', type: 'stringSlice' },
  { name: 'cached', type: 'bool' },
];

interface Row {
  name: string;
  shortNames: string[];
  apiVersion: string;
  group: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  categories: string[];
}

async function run(ctx: Ctx): Promise<number> {
  const client = await ctx.client();
  const lists: any[] = [await client.request('GET', '/api/v1')];
  const groups = await client.request('GET', '/apis');
  for (const g of groups.groups ?? []) lists.push(await client.request('GET', `/apis/${g.preferredVersion.groupVersion}`));
  const rows: Row[] = [];
  for (const l of lists) {
    for (const r of l.resources ?? []) {
      if (r.name.includes('/')) continue;
      rows.push({
        name: r.name,
        shortNames: r.shortNames ?? [],
        apiVersion: l.groupVersion,
        group: l.groupVersion.includes('/') ? l.groupVersion.split('/')[0] : '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs ?? [],
        categories: r.categories ?? [],
      });
    }
  }
  let shown = rows;
  if (ctx.flags.namespaced !== '') shown = shown.filter((r) => r.namespaced === (ctx.flags.namespaced === 'true'));
  if (ctx.changed.has('api-group')) shown = shown.filter((r) => r.group === ctx.flags['api-group']);
  for (const v of ctx.flags.verbs) shown = shown.filter((r) => r.verbs.includes(v));
  for (const c of ctx.flags.categories) shown = shown.filter((r) => r.categories.includes(c));
  const sortBy = ctx.flags['sort-by'];
  shown.sort((a, b) => (sortBy === 'kind' ? a.kind.localeCompare(b.kind) : sortBy === 'name' ? a.name.localeCompare(b.name) : a.group === b.group ? (a.name < b.name ? -1 : 1) : a.group < b.group ? -1 : 1));
  const o = ctx.flags.output;
  if (o === 'name') {
    for (const r of shown) ctx.out.write(`${r.group ? `${r.name}.${r.group}` : r.name}\n`);
    return 0;
  }
  if (o && o !== 'wide') throw new CliError(`error: --output ${o} is not available`);
  const tw = new TabWriter((s) => ctx.out.write(s));
  const header = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'];
  if (o === 'wide') header.push('VERBS', 'CATEGORIES');
  if (!ctx.flags['no-headers']) tw.row(header);
  for (const r of shown) {
    const cells = [r.name, r.shortNames.join(','), r.apiVersion, String(r.namespaced), r.kind];
    if (o === 'wide') cells.push(r.verbs.slice().sort().join(','), r.categories.join(','));
    tw.row(cells);
  }
  tw.flush();
  return 0;
}

const cmd: Command = { use: 'api-resources', short: 'Print the supported API resources on the server', flags, run };
export default cmd;

// mk8s describe: kubectl describe for pods, services, deployments, replica
// sets, replication controllers, nodes, endpoints, namespaces and config
// maps (others get the generic describer). `TYPE NAME` also matches a name
// prefix, as kubectl does; descriptions are separated by two blank lines.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import { CliError, errorText } from '../errors.js';
import { parseResourceArgs, type ResourceRef } from '../resolve.js';
import { listAll, withType } from '../objects.js';

const flags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'recursive', short: 'R', type: 'bool' },
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'show-events', type: 'bool', default: true, usage: 'If true, display events related to the described object.' },
  { name: 'chunk-size', type: 'int', default: 500 },
];

async function objectsFor(ctx: Ctx, ref: ResourceRef, ns: string | undefined, prefix: boolean): Promise<{ objs: KubeObject[]; errors: unknown[] }> {
  const client = await ctx.client();
  const objs: KubeObject[] = [];
  const errors: unknown[] = [];
  const nsFor = ref.type.namespaced ? ns : undefined;
  if (ref.names.length === 0) {
    const list = await listAll(client, ref.type, { namespace: nsFor, labelSelector: ctx.flags.selector || undefined });
    return { objs: list.items.map((o: KubeObject) => withType(ref.type, o)), errors };
  }
  for (const name of ref.names) {
    try {
      objs.push(withType(ref.type, await client.get(ref.type, nsFor, name)));
    } catch (e) {
      if (!isApiError(e, 'NotFound') || !prefix) {
        errors.push(e);
        continue;
      }
      // As kubectl: no exact match, so describe every object whose name starts with it.
      const list = await listAll(client, ref.type, { namespace: nsFor });
      const matches = (list.items as KubeObject[]).filter((o) => o.metadata.name!.startsWith(name));
      if (matches.length) objs.push(...matches.map((o) => withType(ref.type, o)));
      else errors.push(e);
    }
  }
  return { objs, errors };
}

async function run(ctx: Ctx): Promise<number> {
  let refs: ResourceRef[];
  if (ctx.flags.filename.length) {
    const { readManifests } = await import('../manifests.js');
    refs = (await readManifests(ctx.flags.filename, ctx.flags.recursive, 'describe')).map((m) => ({ type: m.type, names: [m.obj.metadata.name!] }));
  } else {
    if (ctx.args.length === 0) throw new CliError('You must specify the type of resource to describe. Use "mk8s api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.');
    refs = parseResourceArgs(ctx.args);
  }
  const ns = ctx.flags['all-namespaces'] ? undefined : await ctx.namespace();
  const client = await ctx.client();
  const { describerFor, eventsFinder } = await import('../printers/describe/index.js');
  const deps = { client, events: eventsFinder(client, ctx.flags['show-events']) };
  const errors: unknown[] = [];
  let first = true;
  let any = false;
  for (const ref of refs) {
    const { objs, errors: errs } = await objectsFor(ctx, ref, ns, !ctx.args.some((a) => a.includes('/')));
    errors.push(...errs);
    const texts = await Promise.all(objs.map((o) => describerFor(ref.type.kind)(o, deps)));
    for (const t of texts) {
      ctx.out.write(first ? t : `\n\n${t}`);
      first = false;
      any = true;
    }
  }
  for (const e of errors) ctx.err.write(errorText(e) + '\n');
  if (!any && errors.length === 0) ctx.err.write(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
  return errors.length ? 1 : 0;
}

const describe: Command = {
  use: 'describe (-f FILENAME | TYPE [NAME_PREFIX | -l label] | TYPE/NAME)',
  short: 'Show details of a specific resource or group of resources',
  flags,
  run,
};

export default describe;

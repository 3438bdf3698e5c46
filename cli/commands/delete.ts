// mk8s delete: by -f, `TYPE NAME…`, `TYPE/NAME`, `-l`, or `--all`; with
// kubectl's --cascade (background|orphan|foreground), --grace-period,
// --force, and --wait (default on: return once the objects are gone, as
// kubectl does; a pod bound to a node waits for its kubelet). Prints
// `deployment.apps "x" deleted`.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceType } from '../../api/resources.js';
import { isApiError } from '../../api/status.js';
import { CliError, errorText } from '../errors.js';
import { kindString, parseResourceArgs } from '../resolve.js';
import { listAll } from '../objects.js';
import { manifestNamespace, readManifests } from '../manifests.js';
import { wrapFileError, reportPartial } from '../write-report.js';
import type { Manifest } from '../manifests.js';

const flags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'stringSlice', usage: 'containing the resource to delete.' },
  { name: 'recursive', short: 'R', type: 'bool' },
  { name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on.' },
  { name: 'field-selector', type: 'string' },
  { name: 'all', type: 'bool', usage: 'Delete all resources, in the namespace of the specified resource types.' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'cascade', type: 'string', default: 'background', noOptDefVal: 'background', usage: 'Must be "background", "orphan", or "foreground".' },
  { name: 'grace-period', type: 'int', default: -1, usage: 'Period of time in seconds given to the resource to terminate gracefully.' },
  { name: 'force', type: 'bool', usage: 'If true, immediately remove resources from API and bypass graceful deletion.' },
  { name: 'now', type: 'bool', usage: 'If true, resources are signaled for immediate shutdown (same as --grace-period=1).' },
  { name: 'wait', type: 'bool', default: true, usage: 'If true, wait for resources to be gone before returning.' },
  { name: 'timeout', type: 'string', default: '0s', usage: 'The length of time to wait before giving up on a delete, zero means determine a timeout from the size of the object' },
  { name: 'ignore-not-found', type: 'bool', usage: 'Treat "resource not found" as a successful delete.' },
  { name: 'output', short: 'o', type: 'string', usage: 'Output mode. Use "-o name" for shorter output (resource/name).' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
];

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  source?: Manifest;
}

function propagation(ctx: Ctx): string {
  const v = String(ctx.flags.cascade).toLowerCase();
  if (v === 'background' || v === 'true') return 'Background';
  if (v === 'orphan' || v === 'false') return 'Orphan';
  if (v === 'foreground') return 'Foreground';
  throw new CliError(`error: invalid cascade value (${ctx.flags.cascade}). Must be "background", "foreground", or "orphan".`);
}

function gracePeriod(ctx: Ctx): number | undefined {
  let g: number = ctx.flags['grace-period'];
  if (ctx.flags.now) {
    if (g >= 0) throw new CliError('error: --now and --grace-period cannot be specified together');
    g = 1;
  }
  if (g === 0 && !ctx.flags.force) g = 1; // as kubectl: 0 only with --force
  if (ctx.flags.force && g < 0) g = 0;
  return g >= 0 ? g : undefined;
}

/** Parse `30s`, `2m`, `1h` (0: no limit). */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(s).trim());
  if (!m) throw new CliError(`error: invalid argument "${s}" for "--timeout" flag: time: invalid duration "${s}"`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

async function targets(ctx: Ctx): Promise<{ list: Target[]; errors: unknown[] }> {
  const ns = await ctx.namespace();
  const errors: unknown[] = [];
  if (ctx.flags.filename.length) {
    const ms = await readManifests(ctx.flags.filename, ctx.flags.recursive, 'delete');
    return { list: ms.map((m) => ({ type: m.type, namespace: manifestNamespace(m, ns, ctx.namespaceExplicit), name: m.obj.metadata.name!, source: m })), errors };
  }
  if (ctx.args.length === 0) throw new CliError("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
  const refs = parseResourceArgs(ctx.args);
  const selecting = !!ctx.flags.selector || !!ctx.flags['field-selector'] || ctx.flags.all;
  const list: Target[] = [];
  const client = await ctx.client();
  for (const ref of refs) {
    if (ref.names.length) {
      if (selecting && ctx.flags.selector) throw new CliError('error: name cannot be provided when a selector is specified');
      for (const name of ref.names) list.push({ type: ref.type, namespace: ref.type.namespaced ? ns : undefined, name });
      continue;
    }
    if (!selecting) throw new CliError('error: resource(s) were provided, but no name was specified');
    try {
      const all = await listAll(client, ref.type, {
        namespace: ctx.flags['all-namespaces'] ? undefined : ns,
        labelSelector: ctx.flags.selector || undefined,
        fieldSelector: ctx.flags['field-selector'] || undefined,
      });
      for (const o of all.items as KubeObject[]) list.push({ type: ref.type, namespace: o.metadata.namespace, name: o.metadata.name! });
    } catch (e) {
      errors.push(e);
    }
  }
  return { list, errors };
}

async function run(ctx: Ctx): Promise<number> {
  const policy = propagation(ctx);
  const grace = gracePeriod(ctx);
  const timeoutMs = parseDuration(ctx.flags.timeout);
  const dryRun = (await import('./apply.js')).parseDryRun(ctx.flags['dry-run']);
  const client = await ctx.client();
  const { list, errors } = await targets(ctx);
  if (ctx.flags.force && grace === 0) {
    ctx.err.write('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
  }
  const deleted: { t: Target; uid?: string }[] = [];
  const failed: { t: Target; e: unknown }[] = [];
  for (const t of list) {
    try {
      const opts: { propagationPolicy: string; gracePeriodSeconds?: number } = { propagationPolicy: policy };
      if (grace !== undefined) opts.gracePeriodSeconds = grace;
      const res: any =
        dryRun === 'client'
          ? await client.get(t.type, t.namespace, t.name)
          : await client.request('DELETE', (await import('../../client/http.js')).resourcePath(t.type, t.namespace, t.name), {
              body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts },
              query: dryRun === 'server' ? { dryRun: 'All' } : undefined,
            });
      const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
      if (ctx.flags.output === 'name') ctx.out.write(`${kindString(t.type)}/${t.name}\n`);
      else ctx.out.write(`${kindString(t.type)} "${t.name}" ${ctx.flags.force && grace === 0 ? 'force deleted' : 'deleted'}${suffix}\n`);
      if (dryRun === 'none') deleted.push({ t, uid: res?.metadata?.uid });
    } catch (e) {
      // As kubectl: with --all or a selector, --ignore-not-found defaults to true (something listed may
      // already be gone, e.g. pods the garbage collector removed after their ReplicaSet was deleted).
      const selecting = !!ctx.flags.selector || !!ctx.flags['field-selector'] || !!ctx.flags.all;
      const ignore = ctx.changed.has('ignore-not-found') ? ctx.flags['ignore-not-found'] : ctx.flags['ignore-not-found'] || selecting;
      if (isApiError(e, 'NotFound') && ignore) continue;
      failed.push({ t, e: t.source ? wrapFileError(e, 'deleting', t.source.source) : e });
    }
  }
  for (const e of errors) ctx.err.write(errorText(e) + '\n');
  for (const f of failed) ctx.err.write(errorText(f.e) + '\n');
  if (ctx.flags.filename.length) {
    reportPartial(ctx, 'deleted', deleted.map((d) => d.t.source!).filter(Boolean), failed.map((f) => f.t.source!).filter(Boolean));
  }
  if (list.length === 0 && errors.length === 0 && !ctx.flags.filename.length) {
    ctx.err.write('No resources found\n');
  }
  if (ctx.flags.wait && deleted.length) {
    const until = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    for (const d of deleted) {
      for (;;) {
        try {
          const o = await client.get(d.t.type, d.t.namespace, d.t.name);
          if (d.uid && o.metadata.uid !== d.uid) break;
        } catch (e) {
          if (isApiError(e, 'NotFound')) break;
          throw e;
        }
        if (Date.now() > until) {
          ctx.err.write(`error: timed out waiting for the condition on ${d.t.type.plural}/${d.t.name}\n`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  return errors.length || failed.length ? 1 : 0;
}

const del: Command = {
  use: 'delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)])',
  short: 'Delete resources by file names, stdin, resources and names, or by resources and label selector',
  flags,
  run,
};

export default del;

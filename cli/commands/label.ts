// mk8s label / mk8s annotate: kubectl's label and annotate. `KEY=VALUE`
// sets, `KEY-` removes, an existing key needs --overwrite (with kubectl's
// error otherwise); the change goes as a JSON merge patch of
// metadata.labels or metadata.annotations.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { CliError, errorText } from '../errors.js';
import { kindString, parseResourceArgs } from '../resolve.js';
import { resourcePath } from '../../client/http.js';

const flags: FlagSpec[] = [
  { name: 'overwrite', type: 'bool', usage: 'If true, allow labels to be overwritten, otherwise reject updates that overwrite existing labels.' },
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'all', type: 'bool' },
  { name: 'all-namespaces', short: 'A', type: 'bool' },
  { name: 'list', type: 'bool', usage: 'If true, display the labels for a given resource.' },
  { name: 'resource-version', type: 'string' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
];

interface Changes {
  set: Record<string, string>;
  remove: string[];
}

function splitArgs(args: string[]): { resources: string[]; changes: Changes } {
  const resources: string[] = [];
  const changes: Changes = { set: {}, remove: [] };
  for (const a of args) {
    if (a.includes('=')) {
      const eq = a.indexOf('=');
      changes.set[a.slice(0, eq)] = a.slice(eq + 1);
    } else if (a.endsWith('-') && resources.length > 0) changes.remove.push(a.slice(0, -1));
    else resources.push(a);
  }
  return { resources, changes };
}

export function metadataMapCommand(field: 'labels' | 'annotations'): Command {
  const noun = field === 'labels' ? 'label' : 'annotation';
  const done = field === 'labels' ? 'labeled' : 'annotated';
  async function run(ctx: Ctx): Promise<number> {
    const { resources, changes } = splitArgs(ctx.args);
    if (resources.length === 0) throw new CliError(`error: one or more resources must be specified as <resource> <name> or <resource>/<name>`);
    if (!ctx.flags.list && Object.keys(changes.set).length === 0 && changes.remove.length === 0) {
      throw new CliError(`error: at least one ${noun} update is required`);
    }
    for (const k of changes.remove) if (k in changes.set) throw new CliError(`error: can not both modify and remove ${field === 'labels' ? 'a label' : 'an annotation'} in the same command`);
    const client = await ctx.client();
    const ns = await ctx.namespace();
    const refs = parseResourceArgs(resources);
    let failed = 0;
    for (const ref of refs) {
      let objs: KubeObject[];
      if (ref.names.length === 0) {
        if (!ctx.flags.all && !ctx.flags.selector) throw new CliError('error: resource(s) were provided, but no name was specified');
        objs = (await client.list(ref.type, ctx.flags['all-namespaces'] ? undefined : ns, { labelSelector: ctx.flags.selector || undefined })).items;
      } else {
        objs = [];
        for (const n of ref.names) {
          try {
            objs.push(await client.get(ref.type, ns, n));
          } catch (e) {
            failed++;
            ctx.err.write(errorText(e) + '\n');
          }
        }
      }
      for (const obj of objs) {
        const current: Record<string, string> = { ...(obj.metadata[field] ?? {}) };
        if (ctx.flags.list) {
          for (const k of Object.keys(current).sort()) ctx.out.write(`${k}=${current[k]}\n`);
          continue;
        }
        if (!ctx.flags.overwrite) {
          const clashes = Object.keys(changes.set).filter((k) => k in current && current[k] !== changes.set[k]);
          if (clashes.length) {
            const k = clashes[0];
            if (field === 'labels') throw new CliError(`error: '${k}' already has a value (${current[k]}), and --overwrite is false`);
            throw new CliError(`error: --overwrite is false but found the following declared annotation(s): ${clashes.map((c) => `'${c}' already has a value (${current[c]})`).join('; ')}`);
          }
        }
        const patch: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(changes.set)) if (current[k] !== v) patch[k] = v;
        for (const k of changes.remove) if (k in current) patch[k] = null;
        let msg: string = done;
        if (Object.keys(patch).length === 0) msg = field === 'labels' ? 'not labeled' : 'annotated';
        else if (field === 'labels' && !ctx.flags.overwrite && Object.values(patch).every((v) => v === null)) msg = 'unlabeled';
        try {
          if (Object.keys(patch).length) {
            const body: any = { metadata: { [field]: patch } };
            if (ctx.flags['resource-version']) body.metadata.resourceVersion = ctx.flags['resource-version'];
            await client.request('PATCH', resourcePath(ref.type, obj.metadata.namespace, obj.metadata.name), { body, contentType: 'application/merge-patch+json' });
          }
          if (ctx.flags.output === 'name') ctx.out.write(`${kindString(ref.type)}/${obj.metadata.name}\n`);
          else ctx.out.write(`${kindString(ref.type)}/${obj.metadata.name} ${msg}\n`);
        } catch (e) {
          failed++;
          ctx.err.write(errorText(e) + '\n');
        }
      }
    }
    return failed ? 1 : 0;
  }
  return {
    use: `${noun === 'label' ? 'label' : 'annotate'} [--overwrite] (-f FILENAME | TYPE NAME) KEY_1=VAL_1 ... KEY_N=VAL_N`,
    short: field === 'labels' ? 'Update the labels on a resource' : 'Update the annotations on a resource',
    flags,
    run,
  };
}

export default metadataMapCommand('labels');

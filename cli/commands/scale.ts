// mk8s scale: kubectl scale through the scale subresource, with
// --current-replicas as a precondition. Prints `deployment.apps/x scaled`.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { kindString, parseResourceArgs } from '../resolve.js';
import { resourcePath } from '../../client/http.js';

const flags: FlagSpec[] = [
  { name: 'replicas', type: 'int', default: -1, usage: 'The new desired number of replicas. Required.' },
  { name: 'current-replicas', type: 'int', default: -1, usage: 'Precondition for current size.' },
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'all', type: 'bool' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'timeout', type: 'string', default: '0s' },
];

async function run(ctx: Ctx): Promise<number> {
  const replicas: number = ctx.flags.replicas;
  if (replicas < 0) throw new CliError('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const refs = parseResourceArgs(ctx.args);
  if (refs.length === 0) throw new CliError('error: required resource not specified');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  let failed = 0;
  for (const ref of refs) {
    if (!ref.type.subresources.includes('scale')) throw new CliError(`error: no scaler has been implemented for {"${ref.type.group}" "${ref.type.kind}"}`);
    let names = ref.names;
    if (names.length === 0) {
      if (!ctx.flags.all && !ctx.flags.selector) throw new CliError('error: resource(s) were provided, but no name was specified');
      const list = await client.list(ref.type, ns, { labelSelector: ctx.flags.selector || undefined });
      names = list.items.map((o) => o.metadata.name!);
    }
    for (const name of names) {
      try {
        const path = resourcePath(ref.type, ns, name, 'scale');
        if (ctx.flags['current-replicas'] >= 0) {
          const cur = await client.request('GET', path);
          if (cur.spec?.replicas !== ctx.flags['current-replicas']) {
            throw new CliError(`error: Expected replicas to be ${ctx.flags['current-replicas']}, was ${cur.spec?.replicas}`);
          }
        }
        await client.request('PATCH', path, { body: { spec: { replicas } }, contentType: 'application/merge-patch+json' });
        ctx.out.write(`${kindString(ref.type)}/${name} scaled\n`);
      } catch (e) {
        failed++;
        const { errorText } = await import('../errors.js');
        ctx.err.write(errorText(e) + '\n');
      }
    }
  }
  return failed ? 1 : 0;
}

const cmd: Command = {
  use: 'scale [--current-replicas=count] --replicas=COUNT (-f FILENAME | TYPE NAME)',
  short: 'Set a new size for a deployment, replica set, or replication controller',
  flags,
  run,
};

export default cmd;

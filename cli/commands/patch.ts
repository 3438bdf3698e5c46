// mk8s patch: kubectl patch with --type strategic (default), merge or json,
// -p inline or --patch-file; prints `service/x patched` or, when the object
// did not change, `service/x patched (no change)`.
import { readFileSync } from 'node:fs';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { kindString, parseSingleRef } from '../resolve.js';
import { resourcePath } from '../../client/http.js';

const flags: FlagSpec[] = [
  { name: 'patch', short: 'p', type: 'string', usage: 'The patch to be applied to the resource JSON file.' },
  { name: 'patch-file', type: 'string', usage: 'A file containing a patch to be applied to the resource.' },
  { name: 'type', type: 'string', default: 'strategic', usage: 'The type of patch being provided; one of [json merge strategic]' },
  { name: 'subresource', type: 'string', usage: 'If specified, patch will operate on the subresource of the requested object.' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
];

const contentTypes: Record<string, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

async function run(ctx: Ctx): Promise<number> {
  const ct = contentTypes[ctx.flags.type];
  if (!ct) throw new CliError(`error: --type must be one of [json merge strategic], not "${ctx.flags.type}"`);
  let text: string = ctx.flags.patch;
  if (ctx.flags['patch-file']) text = readFileSync(ctx.flags['patch-file'], 'utf8');
  if (!text) throw new CliError('error: must specify --patch or --patch-file containing the contents of the patch');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    try {
      const { parse } = await import('yaml');
      body = parse(text, { version: '1.1' });
    } catch (e) {
      throw new CliError(`error: unable to parse "${text}": ${(e as Error).message}`);
    }
  }
  let type, name;
  if (ctx.flags.filename.length) {
    const { readManifests } = await import('../manifests.js');
    const [m] = await readManifests(ctx.flags.filename, false, 'patch');
    type = m.type;
    name = m.obj.metadata.name!;
  } else ({ type, name } = parseSingleRef(ctx.args));
  const client = await ctx.client();
  const ns = type.namespaced ? await ctx.namespace() : undefined;
  const path = resourcePath(type, ns, name, ctx.flags.subresource || undefined);
  const before = await client.request('GET', path);
  const after = await client.request('PATCH', path, { body, contentType: ct, query: ctx.flags['dry-run'] === 'server' ? { dryRun: 'All' } : undefined });
  if (ctx.flags.output) {
    const [{ parseOutput }, { printGeneric }] = await Promise.all([import('../printers/format.js'), import('../printers/output.js')]);
    printGeneric(parseOutput(ctx.flags.output), [after], true, (s) => ctx.out.write(s));
    return 0;
  }
  const same = before.metadata?.resourceVersion === after.metadata?.resourceVersion;
  ctx.out.write(`${kindString(type)}/${name} patched${same ? ' (no change)' : ''}\n`);
  return 0;
}

const cmd: Command = {
  use: 'patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE]',
  short: 'Update fields of a resource',
  flags,
  run,
};

export default cmd;

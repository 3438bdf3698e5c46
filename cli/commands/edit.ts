// mk8s edit: kubectl edit. The object is written as YAML (as -o yaml) under
// kubectl's comment header into a temp file, $KUBE_EDITOR / $EDITOR (vi
// when neither is set) opens it, and on save the changes go to the server
// as a JSON merge patch. An unchanged (or emptied) file cancels; a rejected
// edit reopens the file with the error as a `#` comment block, and saving
// it unchanged again gives up, keeping a copy, as kubectl does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { ApiError } from '../../api/status.js';
import { CliError, errorText } from '../errors.js';
import { kindString, parseResourceArgs } from '../resolve.js';
import { resourcePath } from '../../client/http.js';
import { toJson, toYaml } from '../printers/yaml.js';
import { createMergePatch } from '../../api/patch/merge-patch.js';
import { deepEqual } from '../../api/deep-equal.js';

const flags: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string', default: 'yaml', usage: 'Output format. One of: yaml|json (the format edited).' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'save-config', type: 'bool' },
  { name: 'windows-line-endings', type: 'bool' },
];

const HEADER = [
  '# Please edit the object below. Lines beginning with a \'#\' will be ignored,',
  '# and an empty file will abort the edit. If an error occurs while saving this file will be',
  '# reopened with the relevant failures.',
  '#',
];

function editorCommand(): string {
  return process.env.KUBE_EDITOR || process.env.EDITOR || 'vi';
}

/** Run the editor on the file, as kubectl: through `sh -c` so EDITOR may carry arguments. */
function launch(file: string): void {
  const res = spawnSync('sh', ['-c', `${editorCommand()} "$1"`, 'sh', file], { stdio: 'inherit' });
  if (res.error) throw new CliError(`error: there was a problem with the editor "${editorCommand()}": ${res.error.message}`);
  if (res.status !== 0) throw new CliError(`error: there was a problem with the editor "${editorCommand()}"`);
}

function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
}

function errorComment(obj: KubeObject, e: unknown): string[] {
  const plural = (obj.kind ?? '').toLowerCase() + 's';
  if (e instanceof ApiError && e.reason === 'Invalid' && e.status.details?.causes?.length) {
    return [`# ${plural} "${obj.metadata.name}" was not valid:`, ...e.status.details.causes.map((c) => `# * ${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`), '#'];
  }
  return [`# ${errorText(e).replace(/^error: /, '').split('\n').join('\n# ')}`, '#'];
}

async function run(ctx: Ctx): Promise<number> {
  const format = ctx.flags.output === 'json' ? 'json' : 'yaml';
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const refs = parseResourceArgs(ctx.args);
  if (refs.length === 0) throw new CliError('error: you must provide one or more resources by argument or filename');
  let failed = 0;
  for (const ref of refs) {
    const names = ref.names.length ? ref.names : (await client.list(ref.type, ns)).items.map((o) => o.metadata.name!);
    for (const name of names) {
      const original: KubeObject = { apiVersion: ref.type.group ? `${ref.type.group}/${ref.type.version}` : ref.type.version, kind: ref.type.kind, ...(await client.get(ref.type, ns, name)) };
      const dir = mkdtempSync(join(tmpdir(), 'mk8s-edit-'));
      const file = join(dir, `${name}.${format}`);
      let body = format === 'json' ? toJson(original) : toYaml(original);
      let comment: string[] = [];
      let lastSaved: string | undefined;
      try {
        for (;;) {
          writeFileSync(file, [...HEADER, ...comment, body].join('\n'));
          launch(file);
          const edited = readFileSync(file, 'utf8');
          const content = stripComments(edited);
          if (!content.trim()) {
            ctx.err.write('Edit cancelled, no changes made.\n');
            break;
          }
          if (lastSaved !== undefined && content === lastSaved) {
            const keep = join(tmpdir(), `mk8s-edit-${Date.now()}.${format}`);
            writeFileSync(keep, edited);
            ctx.err.write(`error: Edit cancelled, no valid changes were saved.\nA copy of your changes has been stored to "${keep}"\n`);
            failed++;
            break;
          }
          let parsed: KubeObject;
          try {
            const { parseDocuments } = await import('../manifests.js');
            [parsed] = (await parseDocuments(content, file)) as KubeObject[];
          } catch (e) {
            comment = [`# The edited file had a syntax error: ${(e as Error).message.replace(/^error: /, '')}`, '#'];
            body = content;
            lastSaved = content;
            continue;
          }
          if (deepEqual(parsed, original)) {
            ctx.err.write('Edit cancelled, no changes made.\n');
            break;
          }
          if (parsed?.metadata?.name !== original.metadata.name || parsed?.kind !== original.kind || parsed?.apiVersion !== original.apiVersion) {
            comment = ['# At least one of apiVersion, kind and name was changed', '#'];
            body = content;
            lastSaved = content;
            continue;
          }
          try {
            const patch = createMergePatch(original, parsed);
            await client.request('PATCH', resourcePath(ref.type, ns, name), { body: patch, contentType: 'application/merge-patch+json' });
            ctx.out.write(`${kindString(ref.type)}/${name} edited\n`);
            break;
          } catch (e) {
            comment = errorComment(original, e);
            body = content;
            lastSaved = content;
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return failed ? 1 : 0;
}

const cmd: Command = {
  use: 'edit (RESOURCE/NAME | -f FILENAME)',
  short: 'Edit a resource on the server',
  flags,
  run,
};

export default cmd;

// mk8s apply -f: kubectl's client-side apply. Each object is created when
// missing, with the `kubectl.kubernetes.io/last-applied-configuration`
// annotation holding the file's version of it; otherwise the three-way
// strategic merge patch (last applied, file, live) is sent as
// `application/strategic-merge-patch+json`, so a field removed from the
// file is removed from the object. Results print as kubectl's
// `service/x created|configured|unchanged`.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import { CliError, errorText } from '../errors.js';
import { kindString } from '../resolve.js';
import { readManifests, manifestNamespace, type Manifest } from '../manifests.js';
import { goJson } from '../printers/yaml.js';
import { createThreeWayMergePatch, applyStrategicMergePatch } from '../../api/patch/strategic.js';
import { deepEqual } from '../../api/deep-equal.js';
import type { Client } from '../../client/http.js';
import { reportPartial, dryRunSuffix, wrapFileError } from '../write-report.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const flags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'stringSlice', usage: 'The files that contain the configurations to apply.' },
  { name: 'recursive', short: 'R', type: 'bool', usage: 'Process the directory used in -f, --filename recursively.' },
  { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: name.' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged', usage: 'Must be "none", "server", or "client".' },
  { name: 'validate', type: 'string', default: 'strict', noOptDefVal: 'strict' },
  { name: 'record', type: 'bool' },
  { name: 'overwrite', type: 'bool', default: true },
];

/** kubectl's GetModifiedConfiguration: the object with the annotation set to its own JSON (without that annotation). */
export function modifiedConfiguration(obj: KubeObject): { modified: KubeObject; json: string } {
  const copy: KubeObject = JSON.parse(JSON.stringify(obj));
  copy.metadata ??= {};
  const annots = { ...(copy.metadata.annotations ?? {}) };
  delete annots[LAST_APPLIED];
  copy.metadata.annotations = annots;
  const json = goJson(copy) + '\n';
  const modified: KubeObject = JSON.parse(JSON.stringify(copy));
  modified.metadata.annotations = { ...annots, [LAST_APPLIED]: json };
  return { modified, json };
}

/** Only `$setElementOrder/…` and friends, nothing that changes a value. */
function isDirectiveOnly(patch: unknown): boolean {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return false;
  return Object.entries(patch).every(([k, v]) => k.startsWith('$setElementOrder/') || (v && typeof v === 'object' && !Array.isArray(v) && isDirectiveOnly(v)));
}

function withoutLastApplied(o: any): any {
  const c = JSON.parse(JSON.stringify(o));
  if (c?.metadata?.annotations) {
    delete c.metadata.annotations[LAST_APPLIED];
    if (Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
  }
  return c;
}

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** Apply one object; returns what happened and the object as it now is. */
export async function applyOne(client: Client, m: Manifest, ns: string | undefined, dryRun: 'none' | 'client' | 'server', warn: (s: string) => void): Promise<{ result: ApplyResult; obj: KubeObject }> {
  const obj: KubeObject = JSON.parse(JSON.stringify(m.obj));
  obj.metadata ??= {};
  if (ns) obj.metadata.namespace = ns;
  const name = obj.metadata.name;
  if (!name) throw new CliError(`error: error when retrieving current configuration of:\nResource: "${m.type.plural}", GroupVersionKind: "${obj.apiVersion}, Kind=${obj.kind}"\nName: "", Namespace: "${ns ?? ''}"\nfrom server for: "${m.source}": resource name may not be empty`);
  const { modified } = modifiedConfiguration(obj);
  let current: KubeObject | undefined;
  try {
    current = await client.get(m.type, ns, name);
  } catch (e) {
    if (!isApiError(e, 'NotFound')) throw e;
  }
  const query = dryRun === 'server' ? { dryRun: 'All' } : {};
  if (!current) {
    if (dryRun === 'client') return { result: 'created', obj: modified };
    const created = await client.create(m.type, ns, modified, query).catch((e) => Promise.reject(wrapFileError(e, 'creating', m.source)));
    return { result: 'created', obj: created };
  }
  const lastText = current.metadata.annotations?.[LAST_APPLIED];
  if (lastText === undefined) {
    warn(
      `Warning: resource ${m.type.plural}/${name} is missing the ${LAST_APPLIED} annotation which is required by mk8s apply. mk8s apply should only be used on resources created declaratively by either mk8s create --save-config or mk8s apply. The missing annotation will be patched automatically.\n`,
    );
  }
  let last: unknown;
  try {
    last = lastText ? JSON.parse(lastText) : {};
  } catch {
    last = {};
  }
  const patch = createThreeWayMergePatch(last, modified, current);
  if (Object.keys(patch).length === 0 || isDirectiveOnly(patch)) return { result: 'unchanged', obj: current };
  // Unchanged too when the patch would change nothing but the annotation (e.g. applying
  // `get -o yaml` output): the annotation keeps the configuration applied before.
  if (lastText !== undefined) {
    let after: unknown;
    try {
      after = applyStrategicMergePatch(current, patch);
    } catch {
      after = undefined;
    }
    if (after !== undefined && deepEqual(withoutLastApplied(after), withoutLastApplied(current))) return { result: 'unchanged', obj: current };
  }
  if (dryRun === 'client') return { result: 'configured', obj: applyStrategicMergePatch(current, patch) as KubeObject };
  const patched = await client
    .request('PATCH', (await import('../../client/http.js')).resourcePath(m.type, ns, name), {
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      query,
    })
    .catch((e) => Promise.reject(wrapFileError(e, 'patching', m.source)));
  if (patched.metadata?.resourceVersion === current.metadata.resourceVersion) return { result: 'unchanged', obj: patched };
  return { result: 'configured', obj: patched };
}

async function run(ctx: Ctx): Promise<number> {
  const dryRun = parseDryRun(ctx.flags['dry-run']);
  const manifests = await readManifests(ctx.flags.filename, ctx.flags.recursive, 'apply');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const failed: { m: Manifest; e: unknown }[] = [];
  const applied: Manifest[] = [];
  for (const m of manifests) {
    try {
      const target = manifestNamespace(m, ns, ctx.namespaceExplicit);
      const { result, obj } = await applyOne(client, m, target, dryRun, (s) => ctx.err.write(s));
      if (ctx.flags.output === 'name') ctx.out.write(`${kindString(m.type)}/${obj.metadata.name}\n`);
      else ctx.out.write(`${kindString(m.type)}/${obj.metadata.name} ${result}${dryRunSuffix(dryRun)}\n`);
      applied.push(m);
    } catch (e) {
      failed.push({ m, e });
    }
  }
  for (const f of failed) ctx.err.write(errorText(f.e) + '\n');
  reportPartial(ctx, 'applied', applied, failed.map((f) => f.m));
  return failed.length ? 1 : 0;
}

export function parseDryRun(v: string): 'none' | 'client' | 'server' {
  if (v === 'none' || v === '' || v === 'false') return 'none';
  if (v === 'client' || v === 'true' || v === 'unchanged') return 'client';
  if (v === 'server') return 'server';
  throw new CliError(`error: Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

const apply: Command = {
  use: 'apply (-f FILENAME | -k DIRECTORY)',
  short: 'Apply a configuration to a resource by file name or stdin',
  flags,
  run,
};

export default apply;
export type { Manifest };

// `-o` formats other than tables: yaml, json, name, jsonpath=…,
// jsonpath-as-json=…, custom-columns=…. As kubectl's printGeneric, one
// object asked for by name prints alone, anything else as a `kind: List`.
import type { KubeObject } from '../../api/types.js';
import { CliError } from '../errors.js';
import { toJson, toYaml } from './yaml.js';
import { executeJsonPath, parseJsonPath, relaxedJsonPath, evalPath, jsonPathText, JsonPathError } from './jsonpath.js';
import { TabWriter } from './tabwriter.js';

export { parseOutput, type OutputFormat, type OutputKind } from './format.js';
import type { OutputFormat } from './format.js';

/** `service/x`, `deployment.apps/x`: the name printer's form. */
export function kindName(obj: KubeObject): string {
  const group = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion!.split('/')[0] : '';
  const kind = (obj.kind ?? '').toLowerCase();
  return `${group ? `${kind}.${group}` : kind}/${obj.metadata?.name ?? ''}`;
}

/** The object printed: alone when one was named, else a List of them all. */
export function genericTarget(objects: KubeObject[], singleItemImplied: boolean, listRv = ''): unknown {
  if (singleItemImplied && objects.length === 1) return objects[0];
  return { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: listRv } };
}

function jsonPathError(template: string, e: unknown): CliError {
  return new CliError(`error: error executing jsonpath "${template}": Error executing template: ${(e as Error).message}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t${template}\n`);
}

/** custom-columns=HEADER:path,...: one row per object, `<none>` for a missing value. */
export function printCustomColumns(spec: string, objects: KubeObject[], noHeaders: boolean, write: (s: string) => void): void {
  const cols = spec.split(',').map((c) => {
    const i = c.indexOf(':');
    if (i < 0) throw new CliError(`error: unexpected custom-columns spec: ${c}, expected <header>:<json-path-expr>`);
    const template = relaxedJsonPath(c.slice(i + 1));
    let segs;
    try {
      const jp = parseJsonPath(template);
      const a = jp.actions[0];
      if (!a || a.t !== 'paths' || a.items[0].t !== 'path') throw new JsonPathError('bad column');
      segs = a.items[0].segs;
    } catch (e) {
      throw new CliError(`error: ${(e as Error).message}`);
    }
    return { header: c.slice(0, i), segs };
  });
  const tw = new TabWriter(write);
  if (!noHeaders) tw.row(cols.map((c) => c.header));
  for (const o of objects) {
    tw.row(
      cols.map((c) => {
        const vals = evalPath(c.segs, [o], o);
        return vals.length === 0 ? '<none>' : vals.map((v) => (v === null || v === undefined ? '<nil>' : jsonPathText(v))).join(',');
      }),
    );
  }
  tw.flush();
}

/**
 * Print objects in a non-table format. `singleItemImplied`: exactly one
 * object was asked for by name, so it prints alone rather than in a List.
 */
export function printGeneric(fmt: OutputFormat, objects: KubeObject[], singleItemImplied: boolean, write: (s: string) => void, noHeaders = false): void {
  switch (fmt.kind) {
    case 'name':
      for (const o of objects) write(kindName(o) + '\n');
      return;
    case 'yaml':
      write(toYaml(genericTarget(objects, singleItemImplied)));
      return;
    case 'json':
      write(toJson(genericTarget(objects, singleItemImplied)));
      return;
    case 'jsonpath':
    case 'jsonpath-as-json': {
      const target = genericTarget(objects, singleItemImplied);
      try {
        if (fmt.kind === 'jsonpath-as-json') {
          const jp = parseJsonPath(fmt.arg);
          const results: unknown[] = [];
          for (const a of jp.actions) if (a.t === 'paths') for (const it of a.items) if (it.t === 'path') results.push(...evalPath(it.segs, [target], target));
          write(toJson(results));
        } else write(executeJsonPath(fmt.arg, target));
      } catch (e) {
        if (e instanceof JsonPathError) throw jsonPathError(fmt.arg, e);
        throw e;
      }
      return;
    }
    case 'custom-columns':
      printCustomColumns(fmt.arg, objects, noHeaders, write);
      return;
    default:
      throw new CliError(`error: unsupported output format ${fmt.kind}`);
  }
}

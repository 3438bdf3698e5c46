// What resource arguments name, as kubectl's resource builder reads them:
// `TYPE`, `TYPE NAME...`, `TYPE1,TYPE2`, `TYPE/NAME...`, and the `all`
// category. Types resolve through api/resources.ts, the table the server's
// discovery is built from (plurals, singulars, kinds, short names, groups),
// so no discovery request is made.
import { resolveResourceName, resourceTypes, type ResourceType } from '../api/resources.js';
import { CliError } from './errors.js';

export interface ResourceRef {
  type: ResourceType;
  /** Names asked for; empty means the whole collection. */
  names: string[];
}

export function resolveType(name: string): ResourceType {
  const r = resolveResourceName(name.replace(/\.v1(?=\.|$)/, ''));
  if (!r || name === '') throw new CliError(`error: the server doesn't have a resource type "${name}"`);
  return r;
}

/** Types of a category (`all`), in discovery order, as kubectl's CategoryExpander. */
export function typesOfCategory(category: string): ResourceType[] {
  return resourceTypes.filter((r) => r.categories.includes(category));
}

/** `pod,svc,all` → resource types, categories expanded and duplicates dropped. */
export function resolveTypeList(list: string): ResourceType[] {
  const out: ResourceType[] = [];
  for (const part of list.split(',')) {
    if (!part) continue;
    const types = part === 'all' ? typesOfCategory('all') : [resolveType(part)];
    for (const t of types) if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** `deployment.apps`, `service`: how kubectl names a kind in `kind/name` and messages. */
export function kindString(r: ResourceType): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}

/**
 * Arguments to references. Consecutive `TYPE/NAME` of one type are grouped
 * (kubectl prints them under one header); names after `TYPE[,TYPE]` apply to
 * every type.
 */
export function parseResourceArgs(args: string[]): ResourceRef[] {
  if (args.length === 0) return [];
  if (args.some((a) => a.includes('/'))) {
    const refs: ResourceRef[] = [];
    for (const a of args) {
      const slash = a.indexOf('/');
      if (slash < 0) {
        throw new CliError(
          "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'mk8s get resource/<resource_name>' instead of 'mk8s get resource resource/<resource_name>'",
        );
      }
      const type = resolveType(a.slice(0, slash));
      const name = a.slice(slash + 1);
      if (!name) throw new CliError(`error: arguments in resource/name form must have a single resource and name`);
      const last = refs[refs.length - 1];
      if (last && last.type === type) last.names.push(name);
      else refs.push({ type, names: [name] });
    }
    return refs;
  }
  const [typeList, ...names] = args;
  return resolveTypeList(typeList).map((type) => ({ type, names: [...names] }));
}

/** One `TYPE NAME` or `TYPE/NAME` (scale, expose, rollout, logs...). */
export function parseSingleRef(args: string[], what = 'resource'): { type: ResourceType; name: string; rest: string[] } {
  if (args.length === 0) throw new CliError(`error: you must specify the ${what} to act on`);
  if (args[0].includes('/')) {
    const [t, name] = [args[0].slice(0, args[0].indexOf('/')), args[0].slice(args[0].indexOf('/') + 1)];
    return { type: resolveType(t), name, rest: args.slice(1) };
  }
  if (args.length < 2) throw new CliError(`error: you must specify the name of the ${what}`);
  return { type: resolveType(args[0]), name: args[1], rest: args.slice(2) };
}

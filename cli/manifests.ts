// Reading `-f` arguments as kubectl's resource builder does: files,
// directories (`.json`, `.yaml`, `.yml`; recursively with -R), `-` for
// stdin, URLs, multi-document YAML and `kind: List`. Everything is parsed
// before anything is sent, so a YAML error (named by file and line) means
// nothing was applied.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.js';
import { findByKind, resourceTypes, type ResourceType } from '../api/resources.js';
import { CliError } from './errors.js';

export interface Manifest {
  obj: KubeObject;
  type: ResourceType;
  /** The file name as given (or `STDIN`), for messages. */
  source: string;
  /** 1-based position of the document in its file. */
  doc: number;
}

const EXTENSIONS = ['.json', '.yaml', '.yml'];

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function expand(path: string, recursive: boolean, top: boolean): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`error: the path "${path}" does not exist`);
  }
  if (!st.isDirectory()) return [path];
  if (!top && !recursive) return [];
  const out: string[] = [];
  for (const e of readdirSync(path).sort()) {
    const p = join(path, e);
    const s = statSync(p);
    if (s.isDirectory()) {
      if (recursive) out.push(...expand(p, recursive, false));
    } else if (EXTENSIONS.some((x) => e.endsWith(x))) out.push(p);
  }
  return out;
}

async function load(path: string): Promise<string> {
  if (path === '-') return readStdin();
  if (/^https?:\/\//.test(path)) {
    const res = await fetch(path).catch((e: Error) => {
      throw new CliError(`error: unable to read URL "${path}", server reported ${e.message}`);
    });
    if (!res.ok) throw new CliError(`error: unable to read URL "${path}", server reported ${res.status} ${res.statusText}, status code=${res.status}`);
    return res.text();
  }
  return readFileSync(path, 'utf8');
}

/** Parse one file's text into documents (JSON or YAML 1.1, as kubectl's go-yaml). */
export async function parseDocuments(text: string, source: string): Promise<unknown[]> {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return [JSON.parse(t)];
    } catch {
      // fall through: JSON is YAML too, and the YAML parser reports lines
    }
  }
  const { parseAllDocuments } = await import('yaml');
  const docs = parseAllDocuments(text, { version: '1.1', prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const d of list as any[]) {
    const err = d.errors?.[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? lineOf(text, err.pos?.[0] ?? 0);
      const msg = String(err.message).split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new CliError(`error: error parsing ${source}: error converting YAML to JSON: yaml: line ${line}: ${msg}`);
    }
    const v = d.toJS({ maxAliasCount: 100 });
    if (v === null || v === undefined) continue;
    out.push(v);
  }
  return out;
}

function lineOf(text: string, pos: number): number {
  return text.slice(0, pos).split('\n').length;
}

function typeOf(obj: any, source: string): ResourceType {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new CliError(`error: unable to decode "${source}": json: cannot unmarshal ${Array.isArray(obj) ? 'array' : typeof obj} into Go value of type struct`);
  }
  const short = JSON.stringify(obj);
  if (!obj.kind) throw new CliError(`error: unable to decode "${source}": Object 'Kind' is missing in '${short}'`);
  if (!obj.apiVersion) throw new CliError(`error: unable to decode "${source}": Object 'apiVersion' is missing in '${short}'`);
  const t = findByKind(obj.apiVersion, obj.kind);
  if (!t) {
    const known = resourceTypes.some((r) => r.kind === obj.kind);
    throw new CliError(
      `error: resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${obj.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first${known ? '' : ''}`,
    );
  }
  return t;
}

/** Every object the -f arguments name, in order. */
export async function readManifests(filenames: string[], recursive = false, verb = 'apply'): Promise<Manifest[]> {
  if (filenames.length === 0) throw new CliError('error: must specify one of -f and -k');
  const out: Manifest[] = [];
  for (const f of filenames) {
    const files = f === '-' || /^https?:\/\//.test(f) ? [f] : expand(f, recursive, true);
    for (const file of files) {
      const source = file === '-' ? 'STDIN' : file;
      const docs = await parseDocuments(await load(file), source);
      let n = 0;
      for (const d of docs) {
        n++;
        const items = (d as any)?.kind === 'List' || (typeof (d as any)?.kind === 'string' && (d as any).kind.endsWith('List') && Array.isArray((d as any).items)) ? (d as any).items : [d];
        for (const item of items) out.push({ obj: item as KubeObject, type: typeOf(item, source), source, doc: n });
      }
    }
  }
  if (out.length === 0) throw new CliError(`error: no objects passed to ${verb}`);
  return out;
}

/** The namespace an object from a file goes to: its own, else -n, else the context's (kubectl's enforceNamespace check). */
export function manifestNamespace(m: Manifest, ns: string, explicit: boolean): string | undefined {
  if (!m.type.namespaced) return undefined;
  const own = m.obj.metadata?.namespace;
  if (own && explicit && own !== ns) {
    throw new CliError(`error: the namespace from the provided object "${own}" does not match the namespace "${ns}". You must pass '--namespace=${own}' to perform this operation.`);
  }
  return own || ns;
}

// Reading the kubeconfig on the CLI's hot path. Kubeconfigs are block-style
// YAML with plain or quoted scalars; this reads that subset without loading
// the `yaml` package (~50 ms of start-up), and hands anything else (anchors,
// block scalars, flow collections) to client/kubeconfig.ts, which parses
// full YAML. The choice of context, cluster and user is the same.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ClusterConfig } from '../client/http.js';

/** As client/kubeconfig.ts defaultKubeconfigPath (not imported: that module loads `yaml`). */
export function defaultKubeconfigPath(): string {
  const env = process.env.KUBECONFIG?.split(':').find(Boolean);
  return env ?? join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'kubeconfig');
}

class Unsupported extends Error {}

interface Line {
  indent: number;
  text: string;
}

function stripComment(s: string): string {
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) {
        if (q === "'" && s[i + 1] === "'") i++;
        else q = undefined;
      } else if (c === '\\' && q === '"') i++;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:\-[{,]/.test(s[i - 1])) q = c;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string): unknown {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === '{}') return {};
  if (s === '[]') return [];
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Unsupported();
    try {
      return JSON.parse(s.replace(/\\\//g, '/'));
    } catch {
      throw new Unsupported();
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Unsupported();
    const inner = s.slice(1, -1);
    if (/'(?!')/.test(inner.replace(/''/g, ''))) throw new Unsupported();
    return inner.replace(/''/g, "'");
  }
  if (/^[[{&*!|>%@`]/.test(s)) throw new Unsupported();
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}

/** `key: value` → [key, value]; undefined when the text is not a mapping entry. */
function splitKey(text: string): [string, string] | undefined {
  let q: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === q) q = undefined;
      continue;
    }
    if ((c === '"' || c === "'") && i === 0) q = c;
    else if (c === ':' && (i === text.length - 1 || text[i + 1] === ' ')) {
      const key = scalar(text.slice(0, i));
      if (typeof key !== 'string') throw new Unsupported();
      return [key, text.slice(i + 1)];
    }
  }
  return undefined;
}

class SubsetParser {
  i = 0;
  constructor(private readonly lines: Line[]) {}

  node(indent: number): unknown {
    const l = this.lines[this.i];
    if (!l || l.indent < indent) return null;
    return l.text === '-' || l.text.startsWith('- ') ? this.seq(l.indent) : this.map(l.indent);
  }

  map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let l = this.lines[this.i]; l && l.indent === indent; l = this.lines[this.i]) {
      if (l.text === '-' || l.text.startsWith('- ')) break;
      const kv = splitKey(l.text);
      if (!kv) throw new Unsupported();
      this.i++;
      const rest = kv[1].trim();
      if (rest) out[kv[0]] = scalar(rest);
      else {
        const next = this.lines[this.i];
        const seqHere = next && next.indent === indent && (next.text === '-' || next.text.startsWith('- '));
        out[kv[0]] = next && (next.indent > indent || seqHere) ? this.node(seqHere ? indent : indent + 1) : null;
      }
    }
    const l = this.lines[this.i];
    if (l && l.indent > indent) throw new Unsupported();
    return out;
  }

  seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.lines[this.i]; l && l.indent === indent && (l.text === '-' || l.text.startsWith('- ')); l = this.lines[this.i]) {
      const rest = l.text.slice(1);
      const body = rest.trimStart();
      if (!body) {
        this.i++;
        out.push(this.node(indent + 1));
        continue;
      }
      const at = indent + 1 + (rest.length - body.length);
      if (splitKey(body)) {
        // `- key: value` opens a mapping whose keys sit at the column of `key`.
        this.lines[this.i] = { indent: at, text: body };
        out.push(this.map(at));
      } else {
        this.i++;
        out.push(scalar(body));
      }
    }
    return out;
  }
}

/** Parse kubeconfig-shaped YAML; throws Unsupported for anything outside the subset. */
export function parseSimpleYaml(text: string): unknown {
  const lines: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new Unsupported();
    const s = stripComment(raw).trimEnd();
    if (!s.trim()) continue;
    if (s === '---' && lines.length === 0) continue;
    if (s.startsWith('---') || s.startsWith('...') || s.startsWith('%')) throw new Unsupported();
    const indent = s.length - s.trimStart().length;
    lines.push({ indent, text: s.trimStart() });
  }
  const p = new SubsetParser(lines);
  const v = p.node(0);
  if (p.i < lines.length) throw new Unsupported();
  return v;
}

/** The connection settings of a kubeconfig context (as client/kubeconfig.ts loadKubeconfig). */
export async function loadClusterConfig(path = defaultKubeconfigPath(), context?: string): Promise<ClusterConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path}: ${(e as Error).message} (is the cluster up? try: mk8s up)`, { cause: e });
  }
  let doc: any;
  try {
    doc = parseSimpleYaml(text);
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    const { loadKubeconfig } = await import('../client/kubeconfig.js');
    return loadKubeconfig(path, context);
  }
  const ctxName = context || doc?.['current-context'];
  const ctx = (doc?.contexts ?? []).find((c: any) => c?.name === ctxName)?.context;
  if (!ctx) throw new Error(`context was not found for specified context: ${ctxName}`);
  const cluster = (doc.clusters ?? []).find((c: any) => c?.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`cluster "${ctx.cluster}" has no server in ${path}`);
  const user = (doc.users ?? []).find((u: any) => u?.name === ctx.user)?.user ?? {};
  const rel = (f: string) => resolve(dirname(path), f);
  const caCert = cluster['certificate-authority-data']
    ? Buffer.from(String(cluster['certificate-authority-data']), 'base64').toString()
    : cluster['certificate-authority']
      ? readFileSync(rel(cluster['certificate-authority']), 'utf8')
      : undefined;
  const token = user.token ?? (user.tokenFile ? readFileSync(rel(user.tokenFile), 'utf8').trim() : undefined);
  return { server: String(cluster.server), token: token === undefined ? undefined : String(token), caCert, namespace: ctx.namespace || undefined };
}

// kubectl's JSONPath template dialect (k8s.io/client-go/util/jsonpath):
// text with `{…}` actions; paths `.a.b`, `['a.b']`, `.a\.b`, `[0]`, `[1:]`,
// `[-1]`, `[*]`, `.*`, `..name`, unions `[0,2]`, filters
// `[?(@.type=="InternalIP")]`, `[?(@.ready)]`; `{range …}…{end}`; string
// literals `{"\n"}`. Results of one action print separated by spaces;
// strings print raw, maps and lists as compact JSON (Go's json.Marshal),
// and missing keys print nothing (kubectl's allowMissingKeys).
import { goJson } from './yaml.js';

export class JsonPathError extends Error {}

type Segment =
  | { t: 'field'; names: string[] }
  | { t: 'wild' }
  | { t: 'recursive' }
  | { t: 'slices'; slices: Slice[] }
  | { t: 'filter'; left: Segment[]; op: string; right: Operand };

interface Slice {
  start?: number;
  end?: number;
  step?: number;
  /** A single index `[i]` (evaluated as i:i+1). */
  index?: boolean;
}

type Operand = { t: 'path'; segs: Segment[] } | { t: 'lit'; value: unknown };

type Action =
  | { t: 'text'; text: string }
  | { t: 'paths'; items: ({ t: 'path'; segs: Segment[] } | { t: 'text'; text: string })[] }
  | { t: 'range'; segs: Segment[]; body: Action[] };

// ---------------------------------------------------------------------------
// Parsing

/** Split the template into text and `{…}` actions (braces inside quotes do not count). */
function splitTemplate(template: string): ({ t: 'text'; text: string } | { t: 'action'; src: string })[] {
  const out: ({ t: 'text'; text: string } | { t: 'action'; src: string })[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out.push({ t: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) out.push({ t: 'text', text: template.slice(i, open) });
    let j = open + 1;
    let q: string | undefined;
    let depth = 0;
    for (; j < template.length; j++) {
      const c = template[j];
      if (q) {
        if (c === '\\') j++;
        else if (c === q) q = undefined;
      } else if (c === '"' || c === "'") q = c;
      else if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === '}' && depth <= 0) break;
    }
    if (j >= template.length) throw new JsonPathError(`unclosed action`);
    out.push({ t: 'action', src: template.slice(open + 1, j) });
    i = j + 1;
  }
  return out;
}

function unquote(s: string): string {
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s);
    } catch {
      throw new JsonPathError(`invalid string literal ${s}`);
    }
  }
  return s.slice(1, -1).replace(/\\'/g, "'");
}

/** Split an action on spaces outside quotes and brackets. */
function splitWords(src: string): string[] {
  const words: string[] = [];
  let cur = '';
  let q: string | undefined;
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (q) {
      cur += c;
      if (c === '\\' && i + 1 < src.length) cur += src[++i];
      else if (c === q) q = undefined;
      continue;
    }
    if (c === '"' || c === "'") q = c;
    if (c === '[' || c === '(') depth++;
    if (c === ']' || c === ')') depth--;
    if (/\s/.test(c) && depth === 0) {
      if (cur) words.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur) words.push(cur);
  return words;
}

function parseNumber(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (!/^-?\d+$/.test(t)) throw new JsonPathError(`invalid array index ${s}`);
  return Number(t);
}

function parseBracket(inner: string): Segment {
  const s = inner.trim();
  if (s === '*') return { t: 'wild' };
  if (s.startsWith('?')) return parseFilter(s.slice(1).trim());
  if (s.startsWith("'") || s.startsWith('"')) {
    const names = splitTopLevel(s, ',').map((p) => unquote(p.trim()));
    return { t: 'field', names };
  }
  const slices: Slice[] = splitTopLevel(s, ',').map((part) => {
    const p = part.split(':');
    if (p.length > 3) throw new JsonPathError(`invalid array index ${part}`);
    if (p.length === 1) return { start: parseNumber(p[0]), index: true };
    return { start: parseNumber(p[0]), end: parseNumber(p[1]), step: p.length === 3 ? parseNumber(p[2]) : undefined };
  });
  return { t: 'slices', slices };
}

function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      cur += c;
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") {
      q = c;
      cur += c;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseFilter(s: string): Segment {
  if (!s.startsWith('(') || !s.endsWith(')')) throw new JsonPathError(`unclosed filter ${s}`);
  const body = s.slice(1, -1).trim();
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/.exec(body);
  const operand = (x: string): Operand => {
    const t = x.trim();
    if (t.startsWith('@') || t.startsWith('$')) return { t: 'path', segs: parsePath(t) };
    if (t.startsWith('"') || t.startsWith("'")) return { t: 'lit', value: unquote(t) };
    if (t === 'true' || t === 'false') return { t: 'lit', value: t === 'true' };
    if (/^-?\d+(\.\d+)?$/.test(t)) return { t: 'lit', value: Number(t) };
    throw new JsonPathError(`unrecognized filter operand ${t}`);
  };
  if (!m) {
    const left = operand(body);
    if (left.t !== 'path') throw new JsonPathError(`invalid filter ${body}`);
    return { t: 'filter', left: left.segs, op: 'exists', right: { t: 'lit', value: undefined } };
  }
  const left = operand(m[1]);
  const right = operand(m[3]);
  if (left.t === 'path') return { t: 'filter', left: left.segs, op: m[2], right };
  if (right.t === 'path') {
    const flip: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
    return { t: 'filter', left: right.segs, op: flip[m[2]] ?? m[2], right: left };
  }
  throw new JsonPathError(`invalid filter ${body}`);
}

/** `.a.b[0]['c.d']..e[*]` → segments. */
export function parsePath(src: string): Segment[] {
  const segs: Segment[] = [];
  let i = 0;
  if (src[0] === '$' || src[0] === '@') i = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      if (src[i + 1] === '.') {
        segs.push({ t: 'recursive' });
        i += 2;
        continue;
      }
      i++;
      if (src[i] === '*') {
        segs.push({ t: 'wild' });
        i++;
        continue;
      }
      let name = '';
      while (i < src.length && src[i] !== '.' && src[i] !== '[') {
        if (src[i] === '\\' && src[i + 1] === '.') {
          name += '.';
          i += 2;
          continue;
        }
        name += src[i++];
      }
      if (name) segs.push({ t: 'field', names: [name] });
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let q: string | undefined;
      let depth = 1;
      for (; j < src.length; j++) {
        const d = src[j];
        if (q) {
          if (d === q) q = undefined;
        } else if (d === '"' || d === "'") q = d;
        else if (d === '[') depth++;
        else if (d === ']' && --depth === 0) break;
      }
      if (j >= src.length) throw new JsonPathError(`unterminated array`);
      segs.push(parseBracket(src.slice(i + 1, j)));
      i = j + 1;
      continue;
    }
    if (c === '*') {
      segs.push({ t: 'wild' });
      i++;
      continue;
    }
    // A bare identifier at the start (`{metadata.name}` is not valid kubectl JSONPath, but a field after `..` is).
    let name = '';
    while (i < src.length && src[i] !== '.' && src[i] !== '[') name += src[i++];
    segs.push({ t: 'field', names: [name] });
  }
  return segs;
}

function parseActions(parts: ReturnType<typeof splitTemplate>, at: { i: number }, inRange: boolean): Action[] {
  const out: Action[] = [];
  while (at.i < parts.length) {
    const p = parts[at.i++];
    if (p.t === 'text') {
      out.push({ t: 'text', text: p.text });
      continue;
    }
    const src = p.src.trim();
    if (src === 'end') {
      if (!inRange) throw new JsonPathError('not in range, nothing to end');
      return out;
    }
    if (src.startsWith('range ') || src === 'range') {
      const segs = parsePath(src.slice(5).trim());
      const body = parseActions(parts, at, true);
      out.push({ t: 'range', segs, body });
      continue;
    }
    const items = splitWords(src).map((w) =>
      w.startsWith('"') || w.startsWith("'") ? { t: 'text' as const, text: unquote(w) } : { t: 'path' as const, segs: parsePath(w) },
    );
    out.push({ t: 'paths', items });
  }
  if (inRange) throw new JsonPathError('unclosed range');
  return out;
}

export interface JsonPath {
  actions: Action[];
}

export function parseJsonPath(template: string): JsonPath {
  return { actions: parseActions(splitTemplate(template), { i: 0 }, false) };
}

// ---------------------------------------------------------------------------
// Evaluation

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function sliceArray(a: unknown[], s: Slice): unknown[] {
  const len = a.length;
  let start = s.start ?? 0;
  if (start < 0) start += len;
  let end: number;
  if (s.index) end = start + 1;
  else {
    end = s.end ?? len;
    if (s.end !== undefined && s.end < 0) end += len;
  }
  if (end === start) return [];
  if (start >= len || start < 0) throw new JsonPathError(`array index out of bounds: index ${start}, length ${len}`);
  if (end > len || end < 0) throw new JsonPathError(`array index out of bounds: index ${end - 1}, length ${len}`);
  if (start > end) throw new JsonPathError(`starting index ${start} is greater than ending index ${end}`);
  const step = s.step ?? 1;
  if (step <= 0) throw new JsonPathError('step must be > 0');
  const out: unknown[] = [];
  for (let i = start; i < end; i += step) out.push(a[i]);
  return out;
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  if (Array.isArray(v)) for (const x of v) descendants(x, out);
  else if (isObj(v)) for (const k of Object.keys(v).sort()) descendants(v[k], out);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '==': return a === b;
      case '!=': return a !== b;
      case '<': return a < b;
      case '>': return a > b;
      case '<=': return a <= b;
      case '>=': return a >= b;
    }
  }
  if (op === '==') return a === b || (typeof a !== 'object' && String(a) === String(b) && typeof a === typeof b);
  if (op === '!=') return !(a === b || (typeof a !== 'object' && String(a) === String(b) && typeof a === typeof b));
  if (typeof a === 'string' && typeof b === 'string') {
    switch (op) {
      case '<': return a < b;
      case '>': return a > b;
      case '<=': return a <= b;
      case '>=': return a >= b;
    }
  }
  throw new JsonPathError(`cannot compare ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`);
}

export function evalPath(segs: Segment[], inputs: unknown[], root: unknown): unknown[] {
  let cur = inputs;
  for (let si = 0; si < segs.length; si++) {
    const seg = segs[si];
    const next: unknown[] = [];
    switch (seg.t) {
      case 'field':
        for (const v of cur) {
          if (!isObj(v)) continue;
          for (const n of seg.names) if (Object.prototype.hasOwnProperty.call(v, n)) next.push(v[n]);
        }
        break;
      case 'wild':
        for (const v of cur) {
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) for (const k of Object.keys(v).sort()) next.push(v[k]);
        }
        break;
      case 'recursive':
        for (const v of cur) descendants(v, next);
        break;
      case 'slices':
        for (const v of cur) {
          if (!Array.isArray(v)) continue;
          for (const s of seg.slices) next.push(...sliceArray(v, s));
        }
        break;
      case 'filter':
        for (const v of cur) {
          const items = Array.isArray(v) ? v : [];
          for (const item of items) {
            const lefts = evalPath(seg.left, [item], root);
            if (seg.op === 'exists') {
              if (lefts.length > 0) next.push(item);
              continue;
            }
            const rights = seg.right.t === 'lit' ? [seg.right.value] : evalPath(seg.right.segs, [item], root);
            if (lefts.length && rights.length && lefts.some((l) => rights.some((r) => compare(l, seg.op, r)))) next.push(item);
          }
        }
        break;
    }
    cur = next;
  }
  return cur;
}

/** How one value prints: strings raw, maps and lists as JSON, other scalars as Go's fmt prints them. */
export function jsonPathText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return goJson(v);
  return String(v);
}

function run(actions: Action[], data: unknown, root: unknown): string {
  let out = '';
  for (const a of actions) {
    if (a.t === 'text') out += a.text;
    else if (a.t === 'paths') {
      for (const item of a.items) {
        if (item.t === 'text') {
          out += item.text;
          continue;
        }
        const start = item.segs.length === 0 ? [data] : [data];
        const results = evalPath(item.segs, start, root);
        out += results.map(jsonPathText).join(' ');
      }
    } else {
      const items = evalPath(a.segs, [data], root);
      // As client-go: ranging over one list value iterates its elements.
      const list = items.length === 1 && Array.isArray(items[0]) ? (items[0] as unknown[]) : items;
      for (const item of list) out += run(a.body, item, root);
    }
  }
  return out;
}

/** Execute a template against data (kubectl: the object, or a List of them). */
export function executeJsonPath(template: string | JsonPath, data: unknown): string {
  const jp = typeof template === 'string' ? parseJsonPath(template) : template;
  return run(jp.actions, data, data);
}

/**
 * kubectl's RelaxedJSONPathExpression (custom-columns, --sort-by): `{}` and
 * the leading `.` are optional: `metadata.name` → `{.metadata.name}`.
 */
export function relaxedJsonPath(expr: string): string {
  let e = expr.trim();
  if (e.startsWith('{') && e.endsWith('}')) e = e.slice(1, -1);
  if (!e.startsWith('.') && !e.startsWith('$') && !e.startsWith('[')) e = '.' + e;
  return `{${e}}`;
}

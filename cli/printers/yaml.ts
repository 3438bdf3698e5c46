// `-o yaml` and `-o json` byte for byte as kubectl prints them. kubectl
// marshals objects to JSON and then to YAML with go-yaml v2
// (sigs.k8s.io/yaml), so this is go-yaml v2's emitter for JSON values:
// keys in its natural sort order, sequences not indented under their key,
// strings plain when they read back as strings, double-quoted when they
// would read as another type ("80", "true", timestamps), single-quoted when
// they hold indicator characters, literal blocks for multi-line text, and
// long lines folded at spaces past column 80. JSON is Go's
// json.MarshalIndent with 4 spaces: sorted keys and `<`, `>`, `&` escaped.

// ---------------------------------------------------------------------------
// JSON

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(byteCompare)) out[k] = sortKeysDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function byteCompare(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Go's encoding/json HTML-safe escaping of a JSON text. */
export function goJsonEscape(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** json.Marshal: compact, sorted keys, HTML-escaped (what kubectl stores in last-applied-configuration). */
export function goJson(v: unknown): string {
  return goJsonEscape(JSON.stringify(sortKeysDeep(v)));
}

/** kubectl -o json: json.MarshalIndent(obj, "", "    ") plus a newline. */
export function toJson(v: unknown): string {
  return goJsonEscape(JSON.stringify(sortKeysDeep(v), null, 4)) + '\n';
}

// ---------------------------------------------------------------------------
// go-yaml v2 key order (keyList.Less)

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));
}

// ---------------------------------------------------------------------------
// Scalar analysis (yaml_emitter_analyze_scalar and resolve)

const RESOLVES_NON_STRING = new Set([
  '', '~', 'null', 'Null', 'NULL',
  'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE',
  'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<',
]);

/** Whether a plain scalar with this text would read back as something other than a string (go-yaml v2 resolve). */
function resolvesNonString(s: string): boolean {
  if (RESOLVES_NON_STRING.has(s)) return true;
  const c = s[0];
  if (!(isDigit(c) || c === '+' || c === '-' || c === '.')) return false;
  if (/^\d{4}-\d{1,2}-\d{1,2}(([Tt]| +)\d{1,2}:\d{1,2}:\d{1,2}(\.\d*)?(Z|[+-]\d{1,2}(:\d{2})?)?)?$/.test(s)) return true;
  const plain = s.replace(/_/g, '');
  // strconv.ParseInt/ParseUint with base 0
  if (/^[+-]?(0[xX][0-9a-fA-F]+|0[oO]?[0-7]*|0[bB][01]+|[1-9][0-9]*|0)$/.test(plain)) return true;
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  return false;
}

/** yaml_emitter_is_printable with unicode output (go-yaml v2 sets unicode). */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

const isSpace = (c: string | undefined) => c === ' ';
const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\x85' || c === '\u2028' || c === '\u2029';
const isBlankz = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || isBreak(c);

function analyze(value: string): Analysis {
  if (value === '') return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  const chars = [...value];
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const followedByWhitespace = isBlankz(chars[i + 1]);
    if (i === 0) {
      switch (c) {
        case '#': case ',': case '[': case ']': case '{': case '}': case '&': case '*': case '!': case '|': case '>': case "'": case '"': case '%': case '@': case '`':
          flowIndicators = true;
          blockIndicators = true;
          break;
        case '?': case ':':
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case '-':
          if (followedByWhitespace) {
            flowIndicators = true;
            blockIndicators = true;
          }
          break;
      }
    } else {
      switch (c) {
        case ',': case '?': case '[': case ']': case '{': case '}':
          flowIndicators = true;
          break;
        case ':':
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case '#':
          if (precededByWhitespace) {
            flowIndicators = true;
            blockIndicators = true;
          }
          break;
      }
    }
    const cp = c.codePointAt(0)!;
    if (!isPrintable(cp) || (cp > 0x7f && cp === 0xfeff)) specialCharacters = true;
    if (isBreak(c)) lineBreaks = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlain = false;
    a.blockPlain = false;
  }
  if (trailingSpace) a.block = false;
  if (breakSpace) {
    a.flowPlain = false;
    a.blockPlain = false;
    a.singleQuoted = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlain = false;
    a.blockPlain = false;
    a.singleQuoted = false;
    a.block = false;
  }
  if (lineBreaks) {
    a.flowPlain = false;
    a.blockPlain = false;
  }
  if (flowIndicators) a.flowPlain = false;
  if (blockIndicators) a.blockPlain = false;
  return a;
}

// ---------------------------------------------------------------------------
// Writing scalars

const BEST_WIDTH = 80;

class Emitter {
  out = '';
  column = 0;

  write(s: string): void {
    this.out += s;
    const nl = s.lastIndexOf('\n');
    this.column = nl >= 0 ? [...s.slice(nl + 1)].length : this.column + [...s].length;
  }

  newline(indent: number): void {
    this.write('\n' + ' '.repeat(indent));
  }

  plain(value: string, indent: number, allowBreaks: boolean): void {
    const chars = [...value];
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpace(chars[i + 1])) this.newline(indent);
        else this.write(c);
        spaces = true;
      } else {
        this.write(c);
        spaces = false;
      }
    }
  }

  singleQuoted(value: string, indent: number, allowBreaks: boolean): void {
    const chars = [...value];
    this.write("'");
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1 && !isSpace(chars[i + 1])) this.newline(indent);
        else this.write(c);
        spaces = true;
      } else {
        this.write(c === "'" ? "''" : c);
        spaces = false;
      }
    }
    this.write("'");
  }

  doubleQuoted(value: string, indent: number, allowBreaks: boolean): void {
    const chars = [...value];
    this.write('"');
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      const cp = c.codePointAt(0)!;
      if (!isPrintable(cp) || c === '\ufeff' || isBreak(c) || c === '"' || c === '\\') {
        const esc: Record<string, string> = {
          '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\x0b': 'v', '\f': 'f', '\r': 'r', '\x1b': 'e', '"': '"', '\\': '\\',
          '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P',
        };
        if (esc[c] !== undefined) this.write('\\' + esc[c]);
        else if (cp <= 0xff) this.write('\\x' + cp.toString(16).toUpperCase().padStart(2, '0'));
        else if (cp <= 0xffff) this.write('\\u' + cp.toString(16).toUpperCase().padStart(4, '0'));
        else this.write('\\U' + cp.toString(16).toUpperCase().padStart(8, '0'));
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
          this.newline(indent);
          if (isSpace(chars[i + 1])) this.write('\\');
        } else this.write(c);
        spaces = true;
      } else {
        this.write(c);
        spaces = false;
      }
    }
    this.write('"');
  }

  literal(value: string, indent: number): void {
    let hints = '|';
    if (isSpace(value[0]) || isBreak(value[0])) hints += '2';
    const last = value[value.length - 1];
    if (!isBreak(last)) hints += '-';
    else if (value.length === 1 || isBreak(value[value.length - 2])) hints += '+';
    this.write(hints);
    // Content lines; a final line break is implied by the chomping hint.
    const body = value.endsWith('\n') ? value.slice(0, -1) : value;
    for (const line of body.split('\n')) {
      this.write('\n');
      if (line !== '') this.write(' '.repeat(indent) + line);
    }
  }

  /** A string value. `simpleKey`: a mapping key (never folded, never a block). */
  str(value: string, indent: number, simpleKey: boolean): void {
    const a = analyze(value);
    const allowBreaks = !simpleKey;
    if (!resolvesNonString(value) && !a.multiline && a.blockPlain && value !== '') return this.plain(value, indent, allowBreaks);
    if (resolvesNonString(value) && !a.multiline) return this.doubleQuoted(value, indent, allowBreaks);
    if (a.multiline && !simpleKey && a.block) return this.literal(value, indent);
    if (a.singleQuoted && !a.multiline) return this.singleQuoted(value, indent, allowBreaks);
    return this.doubleQuoted(value, indent, allowBreaks);
  }
}

// ---------------------------------------------------------------------------
// Nodes

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function isEmptyCollection(v: unknown): boolean {
  return (Array.isArray(v) && v.length === 0) || (!!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

function scalar(e: Emitter, v: unknown, indent: number): void {
  if (v === null || v === undefined) e.write('null');
  else if (typeof v === 'string') e.str(v, indent, false);
  else if (typeof v === 'number') e.write(formatNumber(v));
  else e.write(String(v));
}

/** Numbers as go-yaml prints JSON's int64 and float64. */
function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return n > 0 ? '.inf' : n < 0 ? '-.inf' : '.nan';
  // strconv.FormatFloat(f, 'g', -1, 64)
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(n);
}

function emitMap(e: Emitter, o: Record<string, unknown>, indent: number): void {
  let first = true;
  for (const k of sortedKeys(o)) {
    const v = o[k];
    if (v === undefined) continue;
    if (!first) e.newline(indent);
    first = false;
    e.str(k, indent, true);
    e.write(':');
    emitValue(e, v, indent, 'map');
  }
}

function emitSeq(e: Emitter, a: unknown[], indent: number): void {
  a.forEach((v, i) => {
    if (i > 0) e.newline(indent);
    e.write('-');
    emitValue(e, v === undefined ? null : v, indent, 'seq');
  });
}

/** The value after `key:` or `-`. */
function emitValue(e: Emitter, v: unknown, indent: number, parent: 'map' | 'seq'): void {
  if (isScalar(v)) {
    e.write(' ');
    scalar(e, v, indent + 2);
    return;
  }
  if (isEmptyCollection(v)) {
    e.write(Array.isArray(v) ? ' []' : ' {}');
    return;
  }
  if (Array.isArray(v)) {
    if (parent === 'map') {
      e.newline(indent);
      emitSeq(e, v, indent);
    } else {
      e.write(' ');
      emitSeq(e, v, indent + 2);
    }
    return;
  }
  if (parent === 'map') {
    e.newline(indent + 2);
    emitMap(e, v as Record<string, unknown>, indent + 2);
  } else {
    e.write(' ');
    emitMap(e, v as Record<string, unknown>, indent + 2);
  }
}

/** kubectl -o yaml for one object (a document without `---`). */
export function toYaml(v: unknown): string {
  const e = new Emitter();
  if (isScalar(v)) scalar(e, v, 0);
  else if (isEmptyCollection(v)) e.write(Array.isArray(v) ? '[]' : '{}');
  else if (Array.isArray(v)) emitSeq(e, v, 0);
  else emitMap(e, v as Record<string, unknown>, 0);
  return e.out + '\n';
}

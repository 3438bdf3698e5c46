// Label selectors, after k8s.io/apimachinery pkg/labels/selector.go and
// pkg/apis/meta/v1/helpers.go (LabelSelectorAsSelector). Error messages are
// Kubernetes' own, so they can be returned to clients unchanged.

import { labelValueErrors, qualifiedNameErrors } from './validation.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | '=' | '==' | '!=' | 'Gt' | 'Lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** The AND of its requirements; [] matches everything. `null` (where allowed) matches nothing. */
export type Selector = Requirement[];

export type Labels = Record<string, string> | undefined | null;

/** A selector that failed to parse or validate; `message` is Kubernetes' text. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

/** The shape of metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** One field.Error, as Kubernetes reports it: `message` is the detail text. */
export interface FieldError {
  field: string;
  message: string;
  type: string;
  value?: unknown;
}

// ---- field.Error formatting -------------------------------------------------

/** Go's %q, close enough for the strings that reach an error message. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** field.Error.ErrorBody(): `Invalid value: "x": detail`. */
export function fieldErrorBody(e: FieldError): string {
  const label: Record<string, string> = {
    FieldValueInvalid: 'Invalid value',
    FieldValueTypeInvalid: 'Invalid value',
    FieldValueNotSupported: 'Unsupported value',
    FieldValueRequired: 'Required value',
  };
  const kind = label[e.type] ?? e.type;
  let body = kind;
  if (e.type !== 'FieldValueRequired') {
    // strings are %q-quoted; anything else is rendered as JSON (a nil slice is `null`).
    body += ': ' + (typeof e.value === 'string' ? quote(e.value) : JSON.stringify(e.value ?? null));
  }
  return e.message ? `${body}: ${e.message}` : body;
}

/** field.Error.Error(): `path: Invalid value: "x": detail`. */
export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** utilerrors.Aggregate.Error(): one message alone, several as `[a, b]`, duplicates dropped. */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

function invalid(field: string, value: unknown, message: string): FieldError {
  return { field, value, message, type: 'FieldValueInvalid' };
}

// ---- requirements -----------------------------------------------------------

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64), or undefined. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/**
 * labels.NewRequirement: validates the key, the value count for the operator
 * and each value; all problems are reported together, as a field.ErrorList
 * aggregate (`key: ...`, `values: ...`, `values[0][key]: ...`).
 */
function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const errs: FieldError[] = [];
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length) errs.push(invalid('key', key, keyErrs.join('; ')));
  // The bad value of `values` is a []string: JSON, with an empty (nil) slice as null.
  const badValues = values.length ? values : null;
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) errs.push(invalid('values', badValues, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', badValues, 'exact-match compatibility requires one single value'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length !== 0) errs.push(invalid('values', badValues, 'values set must be empty for exists and does not exist'));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) errs.push(invalid('values', badValues, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const valueErrs = labelValueErrors(v);
    if (valueErrs.length) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length) throw new SelectorError(aggregate(errs.map(fieldErrorString)));
  return { key, operator, values };
}

/** Selector.Add sorts requirements by key (stable here, so equal keys keep their order). */
function sortByKey(reqs: Requirement[]): Requirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function has(labels: Labels, key: string): boolean {
  return labels != null && Object.prototype.hasOwnProperty.call(labels, key);
}

/** Requirement.Matches */
function requirementMatches(r: Requirement, labels: Labels): boolean {
  switch (r.operator) {
    case 'In':
    case '=':
    case '==':
      return has(labels, r.key) && r.values.includes(labels![r.key]);
    case 'NotIn':
    case '!=':
      return !has(labels, r.key) || !r.values.includes(labels![r.key]);
    case 'Exists':
      return has(labels, r.key);
    case 'DoesNotExist':
      return !has(labels, r.key);
    case 'Gt':
    case 'Lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels![r.key]);
      const bound = parseInt64(r.values[0]);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'Gt' ? actual > bound : actual < bound;
    }
  }
}

/** Every requirement holds. A null selector (LabelSelectorAsSelector(nil)) matches nothing. */
export function matchesSelector(selector: Selector | null, labels: Labels): boolean {
  if (selector === null) return false;
  return selector.every((r) => requirementMatches(r, labels));
}

// ---- the string syntax (?labelSelector=, kubectl -l) ------------------------

type Token =
  | 'Error'
  | 'EndOfString'
  | 'ClosedPar'
  | 'Comma'
  | 'DoesNotExist'
  | 'DoubleEquals'
  | 'Equals'
  | 'GreaterThan'
  | 'Identifier'
  | 'In'
  | 'LessThan'
  | 'NotEquals'
  | 'NotIn'
  | 'OpenPar';

interface Item {
  tok: Token;
  lit: string;
}

const LITERAL_TOKENS = new Map<string, Token>([
  [')', 'ClosedPar'],
  [',', 'Comma'],
  ['!', 'DoesNotExist'],
  ['==', 'DoubleEquals'],
  ['=', 'Equals'],
  ['>', 'GreaterThan'],
  ['in', 'In'],
  ['<', 'LessThan'],
  ['!=', 'NotEquals'],
  ['notin', 'NotIn'],
  ['(', 'OpenPar'],
]);

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c);

/** The Lexer: identifiers/keywords, and the longest operator a run of symbols spells. */
function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'EndOfString', lit: '' });
      return items;
    }
    if (isSpecial(s[pos])) {
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buf += s[pos];
        const tok = LITERAL_TOKENS.get(buf);
        if (tok) last = { tok, lit: buf };
        else if (last) break;
        pos++;
      }
      items.push(last ?? { tok: 'Error', lit: `error expected: keyword found '${buf}'` });
    } else {
      const start = pos;
      while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos])) pos++;
      const lit = s.slice(start, pos);
      items.push({ tok: LITERAL_TOKENS.get(lit) ?? 'Identifier', lit });
    }
  }
}

/** 'in' and 'notin' are plain identifiers where a value (or key) is expected. */
type Context = 'KeyAndOperator' | 'Values';

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  lookahead(ctx: Context): Item {
    const item = this.items[Math.min(this.position, this.items.length - 1)];
    return ctx === 'Values' && (item.tok === 'In' || item.tok === 'NotIn') ? { tok: 'Identifier', lit: item.lit } : item;
  }

  consume(ctx: Context): Item {
    const item = this.lookahead(ctx);
    this.position++;
    return item;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead('Values');
      if (tok === 'EndOfString') return reqs;
      if (tok !== 'Identifier' && tok !== 'DoesNotExist') {
        throw new SelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      try {
        reqs.push(this.parseRequirement());
      } catch (e) {
        throw new SelectorError(`unable to parse requirement: ${(e as Error).message}`);
      }
      const next = this.consume('Values');
      if (next.tok === 'EndOfString') return reqs;
      if (next.tok !== 'Comma') throw new SelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead('Values');
      if (after.tok !== 'Identifier' && after.tok !== 'DoesNotExist') {
        throw new SelectorError(`found '${after.lit}', expected: identifier after ','`);
      }
    }
  }

  private parseRequirement(): Requirement {
    let { tok, lit } = this.consume('Values');
    let operator: Operator | undefined;
    if (tok === 'DoesNotExist') {
      operator = 'DoesNotExist';
      ({ tok, lit } = this.consume('Values'));
    }
    if (tok !== 'Identifier') throw new Error(`found '${lit}', expected: identifier`);
    const key = lit;
    const keyErrs = qualifiedNameErrors(key);
    if (keyErrs.length) throw new Error(fieldErrorString(invalid('<nil>', key, keyErrs.join('; '))));
    const next = this.lookahead('Values').tok;
    if (operator === undefined && (next === 'EndOfString' || next === 'Comma')) operator = 'Exists';
    // `!key` never takes an operator: whatever follows it is the caller's problem.
    if (operator === 'Exists' || operator === 'DoesNotExist') return newRequirement(key, operator, []);

    operator = this.parseOperator();
    const values = operator === 'In' || operator === 'NotIn' ? this.parseValues() : this.parseExactValue();
    // sets.String.List(): values come out sorted and deduplicated.
    return newRequirement(key, operator, [...new Set(values)].sort());
  }

  private parseOperator(): Operator {
    const { tok, lit } = this.consume('KeyAndOperator');
    const ops: Partial<Record<Token, Operator>> = {
      In: 'In',
      NotIn: 'NotIn',
      Equals: '=',
      DoubleEquals: '==',
      NotEquals: '!=',
      GreaterThan: 'Gt',
      LessThan: 'Lt',
    };
    const op = ops[tok];
    if (!op) throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    return op;
  }

  /** `(a, b, ...)`; empty entries are the empty value, `()` is {""}. */
  private parseValues(): string[] {
    const open = this.consume('Values');
    if (open.tok !== 'OpenPar') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead('Values');
    if (tok === 'ClosedPar') {
      this.consume('Values');
      return [''];
    }
    if (tok !== 'Identifier' && tok !== 'Comma') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume('Values').tok !== 'ClosedPar') throw new Error(`found '${lit}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): string[] {
    const values: string[] = [];
    for (;;) {
      const { tok, lit } = this.consume('Values');
      if (tok === 'Identifier') {
        values.push(lit);
        const next = this.lookahead('Values');
        if (next.tok === 'Comma') continue;
        if (next.tok === 'ClosedPar') return values;
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === 'Comma') {
        if (values.length === 0) values.push(''); // "(,"
        const next = this.lookahead('Values').tok;
        if (next === 'ClosedPar') {
          values.push(''); // ",)"
          return values;
        }
        if (next === 'Comma') {
          this.consume('Values');
          values.push(''); // ",,"
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  /** The single value after =, ==, !=, > or <; nothing at all is the empty value. */
  private parseExactValue(): string[] {
    const next = this.lookahead('Values').tok;
    if (next === 'EndOfString' || next === 'Comma') return [''];
    const { tok, lit } = this.consume('Values');
    if (tok === 'Identifier') return [lit];
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/**
 * labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * `a>5`, `a<5`, comma separated. "" matches everything. Requirements come back
 * sorted by key. Throws SelectorError with Kubernetes' message.
 */
export function parseLabelSelector(text: string): Selector {
  return sortByKey(new Parser(lex(text)).parse());
}

// ---- metav1.LabelSelector ---------------------------------------------------

const EXPRESSION_OPERATORS: Record<string, Operator> = {
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
};

/**
 * metav1.LabelSelectorAsSelector: a nil selector gives `null` (matches
 * nothing), `{}` gives [] (matches everything). Throws SelectorError.
 */
export function selectorFromLabelSelector(ls: LabelSelector | undefined | null): Selector | null {
  if (ls == null) return null;
  const matchLabels = ls.matchLabels ?? {};
  const expressions = ls.matchExpressions ?? [];
  const reqs: Requirement[] = [];
  for (const key of Object.keys(matchLabels).sort()) reqs.push(newRequirement(key, '=', [matchLabels[key]]));
  for (const expr of expressions) {
    const op = Object.prototype.hasOwnProperty.call(EXPRESSION_OPERATORS, expr.operator)
      ? EXPRESSION_OPERATORS[expr.operator]
      : undefined;
    if (!op) throw new SelectorError(`${quote(String(expr.operator))} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return sortByKey(reqs);
}

// ---- map selectors (Service / ReplicationController spec.selector) ----------

/** labels.SelectorFromSet(sel).Matches: every pair present; empty/undefined matches everything. */
export function matchesMap(selector: Record<string, string> | undefined | null, labels: Labels): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => has(labels, k) && labels![k] === v);
}

/**
 * A Service's or ReplicationController's `spec.selector`: like matchesMap, but
 * an empty or missing selector selects nothing (a Service without a selector
 * gets no endpoints from the controller).
 */
export function selectorMapMatches(selector: Record<string, string> | undefined | null, labels: Labels): boolean {
  return selector != null && Object.keys(selector).length > 0 && matchesMap(selector, labels);
}

// ---- formatting -------------------------------------------------------------

/** Requirement.String(); values of in/notin printed sorted. */
function formatRequirement(r: Requirement): string {
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'In':
      return `${r.key} in (${values})`;
    case 'NotIn':
      return `${r.key} notin (${values})`;
    case 'Gt':
      return `${r.key}>${values}`;
    case 'Lt':
      return `${r.key}<${values}`;
    default:
      return `${r.key}${r.operator}${values}`;
  }
}

/** Selector.String(), e.g. `app=nginx,tier in (a,b)`; "" for everything or nothing. */
export function formatSelector(selector: Selector | null): string {
  return (selector ?? []).map(formatRequirement).join(',');
}

/** labels.FormatLabels, the `--show-labels` column: `a=b,c=d` by key, `<none>` when empty. */
export function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

// ---- metadata.labels validation ---------------------------------------------

/**
 * metav1validation.ValidateLabels: each bad key or value gives one
 * FieldValueInvalid per message, all at `fieldPath` (keys in sorted order).
 */
export function validateLabels(labels: unknown, fieldPath: string): FieldError[] {
  if (labels == null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [{ field: fieldPath, value: labels, type: 'FieldValueTypeInvalid', message: 'must be a map of string keys to string values' }];
  }
  const errs: FieldError[] = [];
  const map = labels as Record<string, unknown>;
  for (const key of Object.keys(map).sort()) {
    for (const msg of qualifiedNameErrors(key)) errs.push(invalid(fieldPath, key, msg));
    const value = map[key];
    if (typeof value !== 'string') {
      errs.push({ field: `${fieldPath}[${key}]`, value, type: 'FieldValueTypeInvalid', message: 'must be a string' });
      continue;
    }
    for (const msg of labelValueErrors(value)) errs.push(invalid(fieldPath, value, msg));
  }
  return errs;
}

// Field selectors (`?fieldSelector=metadata.name=x,status.phase!=Running`),
// after k8s.io/apimachinery pkg/fields/selector.go, and the per-kind field
// label conversion funcs of pkg/apis/core/v1/conversion.go.

import { SelectorError } from './labels.js';
import type { KubeObject } from './types.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '==' | '!=';
  value: string;
}

// Tried in this order at each position of a term; the leftmost match wins.
const TERM_OPERATORS = ['!=', '==', '='] as const;

/** fields.EscapeValue: `\`, `,` and `=` are backslash-escaped in values. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue; throws SelectorError on a bad escape or a bare `,`/`=`. */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go prints the rune with %v, i.e. as its code point number.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** splitTerms: split on commas not escaped by a backslash. */
function splitTerms(selector: string): string[] {
  if (selector === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** splitTerm: cut at the leftmost operator. */
function splitTerm(term: string): { lhs: string; op: FieldRequirement['operator']; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector: comma-separated `field=value`, `field==value`,
 * `field!=value`. Terms come back sorted (as Kubernetes sorts them); empty
 * terms are skipped; nothing is trimmed. Throws SelectorError.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const part of splitTerms(text).sort()) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    reqs.push({ field: term.lhs, operator: term.op, value: unescapeFieldValue(term.rhs) });
  }
  return reqs;
}

/** Selector.String(): `f=v` (for = and ==) or `f!=v`, values escaped. */
export function formatFieldSelector(reqs: FieldRequirement[]): string {
  return reqs.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
}

// ---- per-kind support -------------------------------------------------------

const META = ['metadata.name', 'metadata.namespace'];

/**
 * Kinds with their own field label conversion func. Cluster-scoped Node and
 * Namespace do not accept metadata.namespace, exactly as in Kubernetes.
 */
const KIND_FIELDS = new Map<string, string[]>([
  [
    'Pod',
    [
      ...META,
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  ],
  [
    'Event',
    [
      ...META,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  ],
  ['Namespace', ['metadata.name', 'status.phase']],
  ['Node', ['metadata.name', 'spec.unschedulable']],
  ['ReplicaSet', [...META, 'status.replicas']],
  ['ReplicationController', [...META, 'status.replicas']],
  ['Secret', [...META, 'type']],
  ['Service', [...META, 'spec.clusterIP', 'spec.type']],
]);

/** The field labels the apiserver accepts in a field selector for `kind`. */
export function fieldsSupported(kind: string): string[] {
  return [...(KIND_FIELDS.get(kind) ?? META)];
}

/**
 * The apiserver's rejection of the first unsupported field, or undefined.
 * Kinds with a conversion func say `field label not supported: f`; the rest
 * use runtime.DefaultMetaV1FieldSelectorConversion's message.
 */
export function checkFieldsSupported(reqs: FieldRequirement[], kind: string): string | undefined {
  const supported = fieldsSupported(kind);
  const bad = reqs.find((r) => !supported.includes(r.field));
  if (!bad) return undefined;
  if (KIND_FIELDS.has(kind)) return `field label not supported: ${bad.field}`;
  return `${JSON.stringify(bad.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

// ---- matching ---------------------------------------------------------------

/** Go zero values the typed structs would report for fields that are absent here. */
const ZERO_VALUES: Record<string, Record<string, string>> = {
  Pod: { 'spec.hostNetwork': 'false' },
  Node: { 'spec.unschedulable': 'false' },
  ReplicaSet: { 'status.replicas': '0' },
  ReplicationController: { 'status.replicas': '0' },
};

function readPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * The string a field selector compares for `field` of `obj`: the dotted path,
 * booleans and numbers in their string form, missing as '' (or the kind's Go
 * zero value). An Event's `source` is source.component, else reportingComponent.
 */
export function fieldValue(obj: KubeObject, field: string): string {
  let v =
    obj.kind === 'Event' && field === 'source'
      ? readPath(obj, 'source.component') || readPath(obj, 'reportingComponent')
      : readPath(obj, field);
  if (v === undefined || v === null) v = ZERO_VALUES[obj.kind ?? '']?.[field] ?? '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** All requirements hold (= and == compare equal, != unequal); [] matches everything. */
export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== (r.operator === '!='));
}

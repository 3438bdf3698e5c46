// JSON Patch (RFC 6902): what `kubectl patch --type json` sends with
// Content-Type `application/json-patch+json`. Paths are JSON Pointers
// (RFC 6901). Error messages follow the ones Kubernetes returns (from
// evanphx/json-patch), e.g.
//   replace operation does not apply: doc is missing path: "/spec/foo"
//   testing value /spec/replicas failed

import { PatchError } from './errors.js';
import { deepClone, deepEqual, getOwn, hasOwn, isJsonObject, setOwn, type JsonObject } from './merge-patch.js';

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from: string;
  value: unknown;
}

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;
const NEEDS_VALUE = new Set(['add', 'replace', 'test']);
const NEEDS_FROM = new Set(['move', 'copy']);

/** Applies the operations in order to a copy of `doc`; throws PatchError on the first failure. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('invalid JSON patch: expected an array of operations');
  let result = deepClone(doc);
  for (const raw of ops) result = applyOperation(result, parseOperation(raw));
  return result;
}

function parseOperation(raw: unknown): Operation {
  if (!isJsonObject(raw)) throw new PatchError(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
  const op = getOwn(raw, 'op');
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    throw new PatchError(`unexpected kind: ${JSON.stringify(op)} in operation ${JSON.stringify(raw)}`);
  }
  const path = getOwn(raw, 'path');
  if (typeof path !== 'string') throw new PatchError(`${op} operation: missing or invalid "path"`);
  const from = getOwn(raw, 'from');
  if (NEEDS_FROM.has(op) && typeof from !== 'string') throw new PatchError(`${op} operation: missing or invalid "from"`);
  if (NEEDS_VALUE.has(op) && !hasOwn(raw, 'value')) throw new PatchError(`${op} operation: missing "value"`);
  return { op: op as Operation['op'], path, from: typeof from === 'string' ? from : '', value: getOwn(raw, 'value') };
}

function applyOperation(doc: unknown, o: Operation): unknown {
  switch (o.op) {
    case 'add':
      return add(doc, o.path, deepClone(o.value), 'add');
    case 'remove':
      return remove(doc, o.path, 'remove');
    case 'replace':
      return replace(doc, o);
    case 'move':
      return move(doc, o);
    case 'copy':
      return add(doc, o.path, deepClone(lookupFrom(doc, o)), 'copy');
    case 'test':
      return test(doc, o);
  }
}

/** Splits a JSON Pointer into unescaped reference tokens (~1 is "/", ~0 is "~"). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}: must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~([^01]|$)/.test(token)) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}: bad "~" escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** Array index per RFC 6901: "0" or digits without a leading zero; -1 when not an index. */
function arrayIndex(token: string): number {
  return /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : -1;
}

type Found = { found: true; value: unknown } | { found: false };

function child(container: unknown, token: string): Found {
  if (Array.isArray(container)) {
    const i = arrayIndex(token);
    return i >= 0 && i < container.length ? { found: true, value: container[i] } : { found: false };
  }
  if (isJsonObject(container) && hasOwn(container, token)) return { found: true, value: container[token] };
  return { found: false };
}

function lookup(doc: unknown, tokens: string[]): Found {
  let current: Found = { found: true, value: doc };
  for (const token of tokens) {
    if (!current.found) break;
    current = child(current.value, token);
  }
  return current;
}

function missing(op: string, path: string): PatchError {
  return new PatchError(`${op} operation does not apply: doc is missing path: ${JSON.stringify(path)}`);
}

/** The container holding the last token of `path`, plus that token. */
function parentOf(doc: unknown, path: string, op: string): { parent: unknown; token: string } {
  const tokens = parsePointer(path);
  const parent = lookup(doc, tokens.slice(0, -1));
  if (!parent.found) throw missing(op, path);
  return { parent: parent.value, token: tokens[tokens.length - 1] };
}

function add(doc: unknown, path: string, value: unknown, op: string): unknown {
  if (path === '') return value;
  const { parent, token } = parentOf(doc, path, op);
  if (Array.isArray(parent)) {
    const i = token === '-' ? parent.length : arrayIndex(token);
    if (i < 0 || i > parent.length) throw new PatchError(`${op} operation does not apply: index out of bounds: ${JSON.stringify(path)}`);
    parent.splice(i, 0, value);
  } else if (isJsonObject(parent)) {
    setOwn(parent, token, value);
  } else {
    throw missing(op, path);
  }
  return doc;
}

function remove(doc: unknown, path: string, op: string): unknown {
  if (path === '') throw new PatchError(`${op} operation does not apply: cannot remove the whole document`);
  const { parent, token } = parentOf(doc, path, op);
  if (!child(parent, token).found) throw missing(op, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token), 1);
  else delete (parent as JsonObject)[token];
  return doc;
}

function replace(doc: unknown, o: Operation): unknown {
  if (o.path === '') return deepClone(o.value);
  const { parent, token } = parentOf(doc, o.path, 'replace');
  if (!child(parent, token).found) throw missing('replace', o.path);
  if (Array.isArray(parent)) parent[arrayIndex(token)] = deepClone(o.value);
  else setOwn(parent as JsonObject, token, deepClone(o.value));
  return doc;
}

function lookupFrom(doc: unknown, o: Operation): unknown {
  const found = lookup(doc, parsePointer(o.from));
  if (!found.found) throw new PatchError(`${o.op} operation does not apply: doc is missing from path: ${JSON.stringify(o.from)}`);
  return found.value;
}

function move(doc: unknown, o: Operation): unknown {
  const value = lookupFrom(doc, o);
  if (o.from === o.path) return doc;
  if (o.path.startsWith(`${o.from}/`)) {
    throw new PatchError(`move operation does not apply: cannot move ${JSON.stringify(o.from)} into its own child ${JSON.stringify(o.path)}`);
  }
  return add(remove(doc, o.from, 'move'), o.path, value, 'move');
}

function test(doc: unknown, o: Operation): unknown {
  const found = lookup(doc, parsePointer(o.path));
  if (!found.found || !deepEqual(found.value, o.value)) throw new PatchError(`testing value ${o.path} failed`);
  return doc;
}

// JSON merge patch (RFC 7386): what `kubectl patch --type merge` sends with
// Content-Type `application/merge-patch+json`. Also the small JSON helpers the
// other patch modules share (deep copy / equality / own-property access that
// is safe for a key named "__proto__").
import { deepEqual } from '../deep-equal.js';
import { PatchError } from './errors.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasOwn(obj: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** obj[key] if it is an own property, else undefined (never Object.prototype members). */
export function getOwn(obj: JsonObject, key: string): unknown {
  return hasOwn(obj, key) ? obj[key] : undefined;
}

/** obj[key] = value as an own data property, also for the key "__proto__". */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => deepClone(item)) as T;
  if (!isJsonObject(value)) return value;
  const copy: JsonObject = {};
  for (const [key, item] of Object.entries(value)) setOwn(copy, key, deepClone(item));
  return copy as T;
}

/** Structural equality of JSON values: the project's one definition. */
export { deepEqual };

/**
 * Applies an RFC 7386 merge patch: objects merge recursively, `null` deletes a
 * member, any other value (arrays included) replaces. Inputs are not mutated.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return deepClone(patch);
  const result = isJsonObject(target) ? deepClone(target) : {};
  mergeInto(result, patch);
  return result;
}

/** RFC 7386 MergePatch, in place on `target` (which the caller owns). */
function mergeInto(target: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isJsonObject(value)) {
      const current = getOwn(target, key);
      const child = isJsonObject(current) ? current : {};
      mergeInto(child, value);
      setOwn(target, key, child);
    } else {
      setOwn(target, key, deepClone(value));
    }
  }
}

/**
 * The merge patch that turns `original` into `modified`: removed members
 * become `null`, changed objects recurse, other changed values are sent whole.
 * (RFC 7386 cannot express a member whose new value is `null`.)
 */
export function createMergePatch(original: unknown, modified: unknown): JsonObject {
  if (!isJsonObject(modified)) throw new PatchError('cannot create a merge patch: the modified document is not a JSON object');
  const before = isJsonObject(original) ? original : {};
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) {
    if (!hasOwn(modified, key)) setOwn(patch, key, null);
  }
  for (const [key, value] of Object.entries(modified)) {
    const old = getOwn(before, key);
    if (hasOwn(before, key) && deepEqual(old, value)) continue;
    setOwn(patch, key, isJsonObject(old) && isJsonObject(value) ? createMergePatch(old, value) : deepClone(value));
  }
  return patch;
}

// Kubernetes strategic merge patch: what `kubectl apply`, `kubectl edit` and
// `kubectl patch` (default `--type strategic`) send with Content-Type
// `application/strategic-merge-patch+json`. Modelled on
// k8s.io/apimachinery/pkg/util/strategicpatch/patch.go.
//
// It is JSON merge patch (objects merge, `null` deletes) except for lists:
// Kubernetes reads each list's behaviour from Go struct tags
// (`patchStrategy:"merge" patchMergeKey:"name"`). We have no Go structs, so the
// behaviour is looked up by field name in the tables below, which cover the
// lists kubectl touches:
//
//   merged by key (elements with the same key value are merged as maps):
//     containers, initContainers, ephemeralContainers  -> name
//     env, volumes, imagePullSecrets                   -> name
//     volumeMounts -> mountPath     volumeDevices -> devicePath
//     conditions   -> type          ownerReferences -> uid
//     hostAliases  -> ip
//     ports        -> containerPort when the elements have it (container
//                     ports), port when they have it (service ports)
//     addresses    -> type, only when the elements are objects with `type`
//                     (node status addresses; endpoint addresses are atomic)
//   merged as a set of primitives: finalizers
//   atomic (the patch's list replaces the whole list): everything else,
//     e.g. tolerations, args, command, subsets.
//
// Directives supported when applying:
//   {"$patch": "replace"}   in a map: the map replaces the original map;
//                           as a list element: the list (minus the directive)
//                           replaces the original list.
//   {"$patch": "delete"}    as a keyed-list element (with the merge key):
//                           removes the elements with that key; in a map:
//                           removes the map. (The documented behaviour; the Go
//                           code leaves `{}` there, kubernetes/kubernetes#89140.)
//   "$retainKeys": [...]    keys of the original map not listed are cleared.
//   "$deleteFromPrimitiveList/<field>": [...]  values removed from a set list.
//   "$setElementOrder/<field>": [...]  final order of a merged list (see
//                           orderList, Kubernetes' normalizeElementOrder).
// `null` deletes a key; nulls in new subtrees are dropped (IgnoreUnmatchedNulls).

import { PatchError } from './errors.js';
import { deepClone, deepEqual, getOwn, hasOwn, isJsonObject, setOwn, type JsonObject } from './merge-patch.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const SET_ELEMENT_ORDER = '$setElementOrder/';

/** Lists merged by a fixed key (Kubernetes' patchMergeKey tags). */
const MERGE_KEYS: ReadonlyMap<string, string> = new Map([
  ['containers', 'name'],
  ['initContainers', 'name'],
  ['ephemeralContainers', 'name'],
  ['env', 'name'],
  ['volumes', 'name'],
  ['volumeMounts', 'mountPath'],
  ['volumeDevices', 'devicePath'],
  ['imagePullSecrets', 'name'],
  ['conditions', 'type'],
  ['ownerReferences', 'uid'],
  ['hostAliases', 'ip'],
]);

/** Lists whose merge key depends on the element shape: the first candidate present wins. */
const SHAPE_MERGE_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ['ports', ['containerPort', 'port']],
  ['addresses', ['type']],
]);

/** Lists of primitives merged as sets. */
const SET_LISTS: ReadonlySet<string> = new Set(['finalizers']);

type ListStrategy = { kind: 'atomic' } | { kind: 'set' } | { kind: 'keyed'; key: string };

const ATOMIC: ListStrategy = { kind: 'atomic' };

/** Marker returned by mergeMap for `$patch: delete`: the caller drops the key. */
const DELETED = Symbol('deleted');
type Merged = JsonObject | typeof DELETED;

// ---------------------------------------------------------------------------
// List strategy lookup

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

/** How the list `field` merges, judged from the field name and the elements in `lists`. */
function listStrategy(field: string, lists: unknown[][]): ListStrategy {
  const items = lists.flat();
  if (SET_LISTS.has(field)) return items.every(isPrimitive) ? { kind: 'set' } : ATOMIC;
  if (!items.every(isJsonObject)) return ATOMIC;
  const key = MERGE_KEYS.get(field) ?? shapeMergeKey(field, items as JsonObject[]);
  return key === undefined ? ATOMIC : { kind: 'keyed', key };
}

function shapeMergeKey(field: string, items: JsonObject[]): string | undefined {
  const candidates = SHAPE_MERGE_KEYS.get(field);
  if (!candidates) return undefined;
  const found = candidates.find((key) => items.some((item) => hasOwn(item, key)));
  if (found !== undefined) return found;
  // Only directive elements (e.g. [{"$patch": "replace"}]): still a merge list.
  return items.some((item) => hasOwn(item, DIRECTIVE)) ? candidates[0] : undefined;
}

function mergeKeyOf(item: unknown, key: string): unknown {
  if (!isJsonObject(item) || !hasOwn(item, key)) {
    throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
  }
  return item[key];
}

/** Identity of a list element: its merge key value, or the value itself in a set. */
function identityFn(strategy: ListStrategy): (item: unknown) => unknown {
  if (strategy.kind !== 'keyed') return (item) => item;
  const key = strategy.key;
  return (item) => (isJsonObject(item) ? getOwn(item, key) : undefined);
}

// ---------------------------------------------------------------------------
// Applying a patch

/**
 * Applies a strategic merge patch to `original` (inputs are not mutated).
 * Throws PatchError on malformed directives.
 */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  const result = mergeMap(isJsonObject(original) ? deepClone(original) : {}, patch);
  return result === DELETED ? {} : result;
}

/** Kubernetes' mergeMap: merges `patch` into `original` (owned by us, mutated in place). */
function mergeMap(original: JsonObject, patch: JsonObject): Merged {
  if (hasOwn(patch, DIRECTIVE)) return mapDirective(patch);
  applyRetainKeys(original, patch);
  const ordered = applySetElementOrder(original, patch);
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!ordered.has(key)) mergeField(original, key, value);
  }
  applyDeleteFromPrimitiveLists(original, patch);
  return original;
}

/** Kubernetes' handleDirectiveInMergeMap. */
function mapDirective(patch: JsonObject): Merged {
  const directive = patch[DIRECTIVE];
  if (directive === 'delete') return DELETED;
  if (directive === 'replace') {
    const rest = Object.fromEntries(Object.entries(patch).filter(([key]) => key !== DIRECTIVE));
    return mergeMap({}, rest);
  }
  throw new PatchError(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
}

function mergeField(target: JsonObject, key: string, value: unknown): void {
  if (value === null) {
    delete target[key];
    return;
  }
  const merged = mergeValue(key, getOwn(target, key), value);
  if (merged === DELETED) delete target[key];
  else setOwn(target, key, merged);
}

/** Objects and lists recurse (into an empty one when the types differ); scalars replace. */
function mergeValue(key: string, current: unknown, value: unknown): unknown {
  if (isJsonObject(value)) return mergeMap(isJsonObject(current) ? current : {}, value);
  if (Array.isArray(value)) return mergeList(key, Array.isArray(current) ? current : [], value);
  return value;
}

/** Kubernetes' applyRetainKeysDirective. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  if (!Array.isArray(retain) || !retain.every((key) => typeof key === 'string')) {
    throw new PatchError('invalid patch format of retainKeys: expected a list of field names');
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!retain.includes(key)) throw new PatchError(`invalid patch format of retainKeys: field ${JSON.stringify(key)} is not in the $retainKeys list`);
  }
  for (const key of Object.keys(original)) {
    if (!retain.includes(key)) delete original[key];
  }
}

/**
 * Kubernetes' mergePatchIntoOriginal: merges each list that has a
 * `$setElementOrder/<field>` directive, in the directive's order. Returns the
 * fields handled so the main loop skips them.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject): Set<string> {
  const handled = new Set<string>();
  for (const [directiveKey, order] of Object.entries(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = directiveKey.slice(SET_ELEMENT_ORDER.length);
    const current = getOwn(original, field);
    const patchList = getOwn(patch, field);
    if (!Array.isArray(order)) throw new PatchError(`invalid patch format of setElementOrder list: ${directiveKey} is not a list`);
    if (patchList !== undefined && !Array.isArray(patchList)) {
      throw new PatchError(`invalid patch: ${field} must be a list when ${directiveKey} is given`);
    }
    if (!Array.isArray(current) && patchList === undefined) continue;
    handled.add(field);
    const base = Array.isArray(current) ? current : [];
    if (patchList === undefined && listStrategy(field, [base, order]).kind === 'atomic') continue;
    setOwn(original, field, mergeList(field, base, patchList ?? [], order));
  }
  return handled;
}

/** `$deleteFromPrimitiveList/<field>`: removes the listed values (Kubernetes' deleteFromSlice). */
function applyDeleteFromPrimitiveLists(original: JsonObject, patch: JsonObject): void {
  for (const [directiveKey, values] of Object.entries(patch)) {
    if (!directiveKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!Array.isArray(values)) throw new PatchError(`invalid patch format of primitive list: ${directiveKey} is not a list`);
    const field = directiveKey.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const current = getOwn(original, field);
    if (Array.isArray(current)) setOwn(original, field, current.filter((item) => !values.includes(item)));
  }
}

/**
 * Merges list `field` of the original with the patch's list. `order` is the
 * `$setElementOrder` list when given, else the patch's own order is used.
 */
function mergeList(field: string, original: unknown[], patch: unknown[], order?: unknown[]): unknown[] {
  const strategy = listStrategy(field, [original, patch, order ?? []]);
  if (strategy.kind === 'atomic') return deepClone(patch);
  if (strategy.kind === 'set') return mergeSetList(original, patch, order);
  return mergeKeyedList(strategy.key, original, patch, order);
}

function mergeSetList(original: unknown[], patch: unknown[], order?: unknown[]): unknown[] {
  if (order) validateOrder(patch, order, (item) => item);
  const merged = [...original, ...patch].filter((item, i, all) => all.indexOf(item) === i);
  return orderList(merged, order ?? patch, original, (item) => item);
}

/** Kubernetes' mergeSlice for lists of maps with a merge key. */
function mergeKeyedList(key: string, original: unknown[], patch: unknown[], order?: unknown[]): unknown[] {
  const { replace, deleted, items } = splitSpecialElements(key, patch);
  const identity = identityFn({ kind: 'keyed', key });
  if (order) {
    for (const entry of order) mergeKeyOf(entry, key);
    validateOrder(items, order, identity);
  }
  const base = replace ? [] : original.filter((item) => !deleted.includes(identity(item)));
  const merged = [...base];
  for (const item of items) {
    const value = mergeKeyOf(item, key);
    const i = merged.findIndex((existing) => identity(existing) === value);
    const result = mergeMap(i >= 0 ? (merged[i] as JsonObject) : {}, item as JsonObject);
    if (result === DELETED) {
      if (i >= 0) merged.splice(i, 1);
    } else if (i >= 0) {
      merged[i] = result;
    } else {
      merged.push(result);
    }
  }
  return orderList(merged, order ?? items, base, identity);
}

/**
 * Kubernetes' mergeSliceWithSpecialElements: picks out `{"$patch": "replace"}`
 * and `{"$patch": "delete", <key>: v}` elements from a keyed patch list.
 */
function splitSpecialElements(key: string, patch: unknown[]): { replace: boolean; deleted: unknown[]; items: JsonObject[] } {
  let replace = false;
  const deleted: unknown[] = [];
  const items: JsonObject[] = [];
  for (const element of patch as JsonObject[]) {
    if (!hasOwn(element, DIRECTIVE)) {
      items.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'replace') replace = true;
    else if (directive === 'delete') deleted.push(mergeKeyOf(element, key));
    else if (directive === 'merge') throw new PatchError('merging lists cannot yet be specified in the patch');
    else throw new PatchError(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(element)}`);
  }
  return { replace, deleted, items };
}

/**
 * Kubernetes' validatePatchWithSetOrderList: every patch element must appear
 * in the `$setElementOrder` list, in the same relative order.
 */
function validateOrder(items: unknown[], order: unknown[], identity: (item: unknown) => unknown): void {
  if (order.length === 0) return;
  const orderIds = order.map(identity);
  let from = 0;
  for (const item of items) {
    const at = orderIds.indexOf(identity(item), from);
    if (at < 0) {
      throw new PatchError(`the order in patch list ${JSON.stringify(items)} doesn't match $setElementOrder list ${JSON.stringify(order)}`);
    }
    from = at + 1;
  }
}

/**
 * Kubernetes' normalizeElementOrder: elements named by `order` are sorted by
 * it; the others ("server-only") keep their relative order from
 * `serverOrder`; the two runs are then interleaved by mergeSortedSlice, which
 * puts a server-only element before a patch element only when both are in
 * `serverOrder` and it came first there (so new elements go before server-only
 * ones that are not ordered before them).
 */
function orderList(merged: unknown[], order: unknown[], serverOrder: unknown[], identity: (item: unknown) => unknown): unknown[] {
  const orderIds = order.map(identity);
  const serverIds = serverOrder.map(identity);
  const inPatch = sortByIndex(merged.filter((item) => orderIds.includes(identity(item))), orderIds, identity);
  const serverOnly = sortByIndex(merged.filter((item) => !orderIds.includes(identity(item))), serverIds, identity);
  return mergeSorted(serverOnly, inPatch, serverIds, identity);
}

function sortByIndex(items: unknown[], ids: unknown[], identity: (item: unknown) => unknown): unknown[] {
  const rank = (item: unknown): number => {
    const i = ids.indexOf(identity(item));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...items].sort((a, b) => rank(a) - rank(b)); // stable
}

/** Kubernetes' mergeSortedSlice. */
function mergeSorted(left: unknown[], right: unknown[], serverIds: unknown[], identity: (item: unknown) => unknown): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const li = serverIds.indexOf(identity(left[i]));
      const ri = serverIds.indexOf(identity(right[j]));
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Computing a three-way patch (kubectl apply)

interface DiffOptions {
  /** Do not emit deletions (fields of `original` missing from `modified`). */
  ignoreDeletions?: boolean;
  /** Do not emit additions and changes. */
  ignoreChangesAndAdditions?: boolean;
}

/**
 * The patch `kubectl apply` sends (Kubernetes' CreateThreeWayMergePatch with
 * overwrite=true): changes and additions are computed from `current` to
 * `modified`, deletions from `lastApplied` to `modified` (so fields set by
 * others are kept), and the two patches are merged. `{}` when nothing changes.
 */
export function createThreeWayMergePatch(lastApplied: unknown, modified: unknown, current: unknown): JsonObject {
  const last = isJsonObject(lastApplied) ? lastApplied : {};
  const mod = isJsonObject(modified) ? modified : {};
  const cur = isJsonObject(current) ? current : {};
  const delta = diffMaps(cur, mod, { ignoreDeletions: true });
  const deletions = diffMaps(last, mod, { ignoreChangesAndAdditions: true });
  return mergePatches(deletions, delta);
}

type JsonKind = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' | 'other';

function kindOf(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isJsonObject(value)) return 'object';
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' ? type : 'other';
}

/** Kubernetes' diffMaps: the patch turning `original` into `modified`. */
function diffMaps(original: JsonObject, modified: JsonObject, opts: DiffOptions): JsonObject {
  const patch: JsonObject = {};
  for (const [key, value] of Object.entries(modified)) {
    const old = getOwn(original, key);
    if (!hasOwn(original, key) || kindOf(old) !== kindOf(value)) {
      if (!opts.ignoreChangesAndAdditions) setOwn(patch, key, deepClone(value));
    } else if (isJsonObject(old)) {
      const sub = diffMaps(old, value as JsonObject, opts);
      if (Object.keys(sub).length > 0) setOwn(patch, key, sub);
    } else if (Array.isArray(old)) {
      diffListField(key, old, value as unknown[], patch, opts);
    } else if (!opts.ignoreChangesAndAdditions && old !== value) {
      setOwn(patch, key, value);
    }
  }
  if (!opts.ignoreDeletions) {
    for (const key of Object.keys(original)) {
      if (!hasOwn(modified, key)) setOwn(patch, key, null);
    }
  }
  return patch;
}

/** Kubernetes' handleSliceDiff: atomic lists are sent whole, merge lists as a diff. */
function diffListField(field: string, original: unknown[], modified: unknown[], patch: JsonObject, opts: DiffOptions): void {
  const strategy = listStrategy(field, [original, modified]);
  if (strategy.kind === 'atomic') {
    if (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified)) setOwn(patch, field, deepClone(modified));
    return;
  }
  const { changes, deletions, order } = diffLists(strategy, original, modified, opts);
  if (changes.length > 0) setOwn(patch, field, changes);
  if (deletions.length > 0) setOwn(patch, DELETE_FROM_PRIMITIVE_LIST + field, deletions);
  if (order) setOwn(patch, SET_ELEMENT_ORDER + field, order);
}

interface ListDiff {
  changes: unknown[];
  deletions: unknown[];
  order?: unknown[];
}

/** Kubernetes' diffLists, including when it emits the `$setElementOrder` list. */
function diffLists(strategy: ListStrategy, original: unknown[], modified: unknown[], opts: DiffOptions): ListDiff {
  if (original.length === 0) {
    const add = modified.length > 0 && !opts.ignoreChangesAndAdditions;
    return { changes: add ? deepClone(modified) : [], deletions: [] };
  }
  return strategy.kind === 'keyed'
    ? diffKeyedLists(strategy.key, original, modified, opts)
    : diffSetLists(original, modified, opts);
}

function diffKeyedLists(key: string, original: unknown[], modified: unknown[], opts: DiffOptions): ListDiff {
  const changes: unknown[] = [];
  const modifiedIds = modified.map((item) => mergeKeyOf(item, key));
  const originalIds = original.map((item) => mergeKeyOf(item, key));
  modified.forEach((item, i) => {
    const at = originalIds.indexOf(modifiedIds[i]);
    if (at < 0) {
      if (!opts.ignoreChangesAndAdditions) changes.push(deepClone(item));
      return;
    }
    const sub = diffMaps(original[at] as JsonObject, item as JsonObject, opts);
    if (Object.keys(sub).length > 0) changes.push({ ...sub, [key]: modifiedIds[i] });
  });
  if (!opts.ignoreDeletions) {
    for (const id of originalIds) {
      if (!modifiedIds.includes(id)) changes.push({ [DIRECTIVE]: 'delete', [key]: id });
    }
  }
  const orderSame = deepEqual(originalIds, modifiedIds);
  const wantOrder =
    (!opts.ignoreChangesAndAdditions && (changes.length > 0 || !orderSame)) || (!opts.ignoreDeletions && changes.length > 0);
  const order = wantOrder ? modifiedIds.map((id) => ({ [key]: id })) : undefined;
  return { changes, deletions: [], order };
}

function diffSetLists(original: unknown[], modified: unknown[], opts: DiffOptions): ListDiff {
  const unique = (items: unknown[]) => items.filter((item, i) => items.indexOf(item) === i);
  const additions = opts.ignoreChangesAndAdditions ? [] : unique(modified.filter((item) => !original.includes(item)));
  const deletions = opts.ignoreDeletions ? [] : unique(original.filter((item) => !modified.includes(item)));
  const wantOrder = deletions.length > 0 || (!opts.ignoreChangesAndAdditions && !deepEqual(original, modified));
  return { changes: additions, deletions, order: wantOrder ? deepClone(modified) : undefined };
}

/**
 * Merges the deletions patch with the changes patch (Kubernetes calls mergeMap
 * with MergeParallelList=false for this). The two never set the same scalar,
 * so the changes patch wins where both have a value.
 */
function mergePatches(a: JsonObject, b: JsonObject): JsonObject {
  const result = deepClone(a);
  for (const [key, value] of Object.entries(b)) {
    const existing = getOwn(result, key);
    if (isJsonObject(existing) && isJsonObject(value)) {
      setOwn(result, key, mergePatches(existing, value));
    } else if (Array.isArray(existing) && Array.isArray(value) && !key.startsWith('$')) {
      const order = getOwn(b, SET_ELEMENT_ORDER + key) ?? getOwn(a, SET_ELEMENT_ORDER + key);
      setOwn(result, key, mergePatchLists(key, existing, value, Array.isArray(order) ? order : undefined));
    } else {
      setOwn(result, key, deepClone(value));
    }
  }
  return result;
}

/** Keyed elements for the same key are merged; deletions go last, as kubectl sends them. */
function mergePatchLists(field: string, a: unknown[], b: unknown[], order?: unknown[]): unknown[] {
  const strategy = listStrategy(field, [a, b]);
  if (strategy.kind === 'set') return [...a, ...b].filter((item, i, all) => all.indexOf(item) === i);
  if (strategy.kind === 'atomic') return deepClone(b);
  const identity = identityFn(strategy);
  const merged = b.map((item) => {
    const match = a.find((other) => identity(other) === identity(item));
    return match ? mergePatches(match as JsonObject, item as JsonObject) : deepClone(item);
  });
  merged.push(...a.filter((item) => !b.some((other) => identity(other) === identity(item))).map((item) => deepClone(item)));
  const isDelete = (item: unknown) => isJsonObject(item) && item[DIRECTIVE] === 'delete';
  const kept = merged.filter((item) => !isDelete(item));
  const ordered = order ? sortByIndex(kept, order.map(identity), identity) : kept;
  return [...ordered, ...merged.filter(isDelete)];
}

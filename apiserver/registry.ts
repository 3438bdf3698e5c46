// The generic registry: get, list, create, update, patch, delete and watch
// for every resource type, with Kubernetes' semantics (system metadata,
// optimistic concurrency, status subresources, graceful deletion and
// finalizers, generation). Kind-specific rules live in defaults.ts,
// validate.ts and services.ts; this file knows no HTTP.
import { randomUUID } from 'node:crypto';
import type { KubeList, KubeObject, WatchEvent } from '../api/types.js';
import { apiVersionOf, findByPlural, type ResourceType } from '../api/resources.js';
import { ApiError, errors, fieldErrors, type FieldError } from '../api/status.js';
import { clone, deepEqual } from '../api/deep-equal.js';
import { matchesSelector, parseLabelSelector, type Selector, SelectorError } from '../api/labels.js';
import { checkFieldsSupported, matchesFields, parseFieldSelector, type FieldRequirement } from '../api/fields.js';
import { applyMergePatch } from '../api/patch/merge-patch.js';
import { applyJsonPatch } from '../api/patch/json-patch.js';
import { applyStrategicMergePatch } from '../api/patch/strategic.js';
import { PatchError } from '../api/patch/errors.js';
import { checkShape, ShapeError } from '../api/shape.js';
import type { AllocationChange, CommittedChange, Storage } from './storage.js';
import type { WatchHub } from './watch.js';
import { applyDefaults, initialStatus } from './defaults.js';
import { validateObject, validateUpdate } from './validate.js';
import { allocateServiceAddresses, prepareServiceUpdate, serviceAllocations, type ServiceAllocConfig } from './services.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** `status`: only status changes; `binding`: the scheduler's assignment of spec.nodeName. */
  subresource?: 'status' | 'binding';
}

export type PatchType = 'merge' | 'json' | 'strategic';

/** Filters applied to lists and watches. */
export interface Filter {
  namespace?: string;
  labels: Selector;
  fields: FieldRequirement[];
}

export const resourceKey = (r: ResourceType) => (r.group ? `${r.group}/${r.plural}` : r.plural);
const objKey = (ns: string | undefined, name: string) => (ns ? `${ns}/${name}` : name);

// As Kubernetes' SimpleNameGenerator: 5 characters without vowels or look-alikes.
const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += nameAlphabet[Math.floor(Math.random() * nameAlphabet.length)];
  return s;
}

/** RFC 3339 at second precision, as Kubernetes' metav1.Time marshals. */
export function nowTimestamp(at = Date.now()): string {
  return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class Registry {
  constructor(
    readonly storage: Storage,
    readonly hub: WatchHub,
    private readonly serviceCfg: ServiceAllocConfig,
  ) {}

  // ---- reads ----

  get(r: ResourceType, ns: string | undefined, name: string): KubeObject {
    const obj = this.storage.get(resourceKey(r), objKey(r.namespaced ? ns : undefined, name));
    if (!obj) throw errors.notFound(r, name);
    return withTypeMeta(r, obj);
  }

  parseFilter(r: ResourceType, ns: string | undefined, opts: ListOptions): Filter {
    let labels: Selector = [];
    let fields: FieldRequirement[] = [];
    try {
      if (opts.labelSelector) labels = parseLabelSelector(opts.labelSelector);
      if (opts.fieldSelector) fields = parseFieldSelector(opts.fieldSelector);
    } catch (e) {
      if (e instanceof SelectorError || e instanceof Error) throw errors.badRequest(`unable to parse requirement: ${e.message}`);
      throw e;
    }
    const unsupported = checkFieldsSupported(fields, r.kind);
    if (unsupported) throw errors.badRequest(unsupported);
    return { namespace: r.namespaced ? ns : undefined, labels, fields };
  }

  matches(f: Filter, obj: KubeObject): boolean {
    if (f.namespace !== undefined && obj.metadata.namespace !== f.namespace) return false;
    return matchesSelector(f.labels, obj.metadata.labels) && matchesFields(f.fields, obj);
  }

  list(r: ResourceType, ns: string | undefined, opts: ListOptions = {}): KubeList {
    const f = this.parseFilter(r, ns, opts);
    const rv = this.storage.currentRv();
    let items = this.storage.list(resourceKey(r), f.namespace).filter((o) => this.matches(f, o));
    let cont: string | undefined;
    let remaining: number | undefined;
    // Chunked lists (kubectl sends limit=500): the continue token names where the next chunk starts.
    if (opts.continue) {
      const start = decodeContinue(opts.continue);
      if (start.rv < this.hub.oldestRv()) {
        throw errors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      items = items.filter((o) => objKey(o.metadata.namespace, o.metadata.name!) > start.key);
    }
    if (opts.limit && opts.limit > 0 && items.length > opts.limit) {
      remaining = items.length - opts.limit;
      items = items.slice(0, opts.limit);
      const last = items[items.length - 1];
      cont = Buffer.from(JSON.stringify({ rv, key: objKey(last.metadata.namespace, last.metadata.name!) })).toString('base64');
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(rv) };
    if (cont) {
      metadata.continue = cont;
      metadata.remainingItemCount = remaining;
    }
    return { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata, items: items.map((o) => withTypeMeta(r, o)) };
  }

  // ---- writes ----

  async create(r: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = this.checkBody(r, ns, body);
    // A fresh copy per run: a shared backend re-runs the function after losing a race.
    return this.storage.exclusive(() => this.createLocked(r, clone(obj), opts));
  }

  async update(r: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    const body0 = this.checkBody(r, ns, body);
    if (body0.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${body0.metadata.name}) does not match the name on the URL (${name})`);
    }
    return this.storage.exclusive(async () => {
      const obj = clone(body0);
      const old = this.storage.get(resourceKey(r), objKey(obj.metadata.namespace, name));
      if (!old) {
        // As Kubernetes, a few kinds may be created by PUT (kubelets and controllers do so).
        if (['Endpoints', 'Event', 'Lease', 'Node'].includes(r.kind) && !opts.subresource) return this.createLocked(r, obj, opts);
        throw errors.notFound(r, name);
      }
      const rv = obj.metadata.resourceVersion;
      if (rv && rv !== old.metadata.resourceVersion) throw errors.conflict(r, name);
      return this.writeUpdate(r, obj, old, opts);
    });
  }

  async patch(
    r: ResourceType,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    return this.storage.exclusive(async () => {
      const old = this.storage.get(resourceKey(r), objKey(r.namespaced ? ns : undefined, name));
      if (!old) throw errors.notFound(r, name);
      const current = withTypeMeta(r, old);
      let patched: unknown;
      try {
        if (type === 'json') patched = applyJsonPatch(current, patch);
        else if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
          throw errors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
        } else if (type === 'merge') patched = applyMergePatch(current, patch);
        else patched = applyStrategicMergePatch(current, patch);
      } catch (e) {
        if (e instanceof PatchError) throw new ApiError({ ...errors.badRequest(e.message).status, code: 422, reason: 'Invalid' });
        throw e;
      }
      const obj = this.checkBody(r, ns, patched);
      if (obj.metadata.name !== name) throw errors.badRequest('metadata.name: Invalid value: the name of a patched object may not change');
      const rv = obj.metadata.resourceVersion;
      if (rv && rv !== old.metadata.resourceVersion) throw errors.conflict(r, name);
      return this.writeUpdate(r, obj, old, opts);
    });
  }

  /** Delete with graceful deletion and finalizers; returns the object as it now is. */
  async delete(r: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    return this.storage.exclusive(() => this.deleteLocked(r, ns, name, opts));
  }

  async deleteCollection(r: ResourceType, ns: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KubeList> {
    const list = this.list(r, ns, { labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    const items: KubeObject[] = [];
    for (const o of list.items) {
      try {
        items.push(await this.delete(r, o.metadata.namespace, o.metadata.name!, opts));
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return { ...list, items };
  }

  // ---- helpers for subresources ----

  /** Read-modify-write under the write lock, for subresources such as binding and scale. */
  async modify(r: ResourceType, ns: string | undefined, name: string, fn: (o: KubeObject) => KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.storage.exclusive(async () => {
      const old = this.storage.get(resourceKey(r), objKey(r.namespaced ? ns : undefined, name));
      if (!old) throw errors.notFound(r, name);
      return this.writeUpdate(r, fn(withTypeMeta(r, clone(old))), old, opts);
    });
  }

  // ---- internals ----

  private async createLocked(r: ResourceType, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const m = obj.metadata;
    if (r.namespaced) this.checkNamespaceOpen(m.namespace!);
    const exists = (name: string) => this.storage.get(resourceKey(r), objKey(m.namespace, name)) !== undefined;
    if (!m.name && m.generateName) {
      for (let i = 0; i < 8 && (!m.name || exists(m.name)); i++) m.name = `${m.generateName}${randomSuffix()}`;
    }
    if (m.name && exists(m.name)) throw errors.alreadyExists(r, m.name);
    m.uid = randomUUID();
    m.creationTimestamp = nowTimestamp();
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'selfLink', 'managedFields']) delete m[k];
    if (r.hasGeneration) m.generation = 1;
    applyDefaults(obj);
    // As the registries' PrepareForCreate: a new object's status is the server's, not the client's (nodes excepted: the kubelet reports it).
    if (r.subresources.includes('status') && obj.kind !== 'Node') {
      const st = initialStatus(obj);
      if (st === undefined) delete obj.status;
      else obj.status = st;
    }
    const errs = validateObject(obj);
    const allocations = this.allocate(r, obj, undefined, errs);
    if (errs.length) throw errors.invalid(r, m.name ?? m.generateName ?? '', errs);
    if (opts.dryRun) return withTypeMeta(r, obj);
    const c = await this.storage.commit({ resource: resourceKey(r), key: objKey(m.namespace, m.name!), obj }, allocations);
    return withTypeMeta(r, c.obj);
  }

  private async writeUpdate(r: ResourceType, obj: KubeObject, old: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const m = obj.metadata;
    if (m.uid && m.uid !== old.metadata.uid) {
      throw errors.conflict(r, m.name!, `Precondition failed: UID in precondition: ${m.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    // System-owned metadata is kept from the stored object.
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
      if (old.metadata[k] === undefined) delete m[k];
      else m[k] = old.metadata[k];
    }
    if (r.namespaced) m.namespace = old.metadata.namespace;
    const hasStatus = r.subresources.includes('status');
    if (opts.subresource === 'status') {
      // As ResetObjectMetaForStatus: a status write changes only status.
      const status = obj.status;
      const next = clone(old);
      next.status = status;
      return this.finishUpdate(r, next, old, opts);
    }
    if (hasStatus && r.kind !== 'Namespace' && opts.subresource !== 'binding') {
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    }
    applyDefaults(obj);
    if (r.kind === 'Service') prepareServiceUpdate(obj, old);
    if (r.hasGeneration && !deepEqual(obj.spec, old.spec)) m.generation = (old.metadata.generation ?? 0) + 1;
    return this.finishUpdate(r, obj, old, opts);
  }

  private async finishUpdate(r: ResourceType, obj: KubeObject, old: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const m = obj.metadata;
    const errs = [...validateObject(obj), ...(opts.subresource === 'binding' ? [] : validateUpdate(obj, old))];
    const allocations = this.allocate(r, obj, old, errs);
    if (errs.length) throw errors.invalid(r, m.name!, errs);
    if (opts.dryRun) return withTypeMeta(r, obj);
    // The last finalizer removed from an object being deleted: now it goes.
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && !this.deletionWaits(r, obj)) {
      return this.commitDelete(r, obj, allocations);
    }
    // A write that changes nothing is not a write: no new resourceVersion, no watch event.
    const cmpOld = { ...old, metadata: { ...old.metadata, resourceVersion: undefined } };
    const cmpNew = { ...obj, metadata: { ...m, resourceVersion: undefined } };
    if (deepEqual(cmpNew, cmpOld)) return withTypeMeta(r, old);
    const c = await this.storage.commit({ resource: resourceKey(r), key: objKey(m.namespace, m.name!), obj }, allocations);
    return withTypeMeta(r, c.obj);
  }

  private async deleteLocked(r: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions): Promise<KubeObject> {
    const key = objKey(r.namespaced ? ns : undefined, name);
    const old = this.storage.get(resourceKey(r), key);
    if (!old) throw errors.notFound(r, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw errors.conflict(r, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    const obj = clone(old);
    const m = obj.metadata;
    // Propagation is recorded as a finalizer the garbage collector acts on, as Kubernetes does.
    const policy = opts.propagationPolicy;
    const finalizers = new Set(m.finalizers ?? []);
    if (policy === 'Orphan') finalizers.add('orphan');
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (r.kind === 'Namespace') finalizers.add('kubernetes-namespace');
    const grace = this.gracePeriod(r, old, opts);
    if (finalizers.size === 0 && grace === 0) {
      if (opts.dryRun) return withTypeMeta(r, old);
      return this.commitDelete(r, obj, []);
    }
    if (m.deletionTimestamp) {
      // Already being deleted: a shorter grace period may still speed it up (as kubectl delete --grace-period=0 --force).
      if (grace === 0 && r.kind === 'Pod' && (m.finalizers ?? []).length === 0) return this.commitDelete(r, obj, []);
      // With finalizers still on it, the shorter grace period is recorded, so the pod goes as soon as
      // the last finalizer does (the kubelet's one delete is not lost while the GC finishes).
      if (grace === 0 && r.kind === 'Pod' && (m.deletionGracePeriodSeconds ?? 0) > 0) {
        if (opts.dryRun) return withTypeMeta(r, old);
        m.deletionGracePeriodSeconds = 0;
        const c = await this.storage.commit({ resource: resourceKey(r), key, obj });
        return withTypeMeta(r, c.obj);
      }
      return withTypeMeta(r, old);
    }
    m.deletionTimestamp = nowTimestamp(Date.now() + grace * 1000);
    m.deletionGracePeriodSeconds = grace;
    m.finalizers = [...finalizers].filter((f) => f !== 'kubernetes-namespace');
    if (m.finalizers.length === 0) delete m.finalizers;
    if (r.kind === 'Namespace') obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
    if (opts.dryRun) return withTypeMeta(r, obj);
    const c = await this.storage.commit({ resource: resourceKey(r), key, obj });
    return withTypeMeta(r, c.obj);
  }

  /**
   * Pods bound to a node are deleted gracefully: the kubelet stops them and
   * removes the object (as Kubernetes); unbound or finished pods go at once.
   */
  private gracePeriod(r: ResourceType, obj: KubeObject, opts: DeleteOptions): number {
    if (r.kind !== 'Pod') return 0;
    if (!obj.spec?.nodeName || ['Succeeded', 'Failed'].includes(obj.status?.phase)) return 0;
    const g = opts.gracePeriodSeconds ?? obj.spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  /**
   * Deletion that waits for someone besides metadata.finalizers: a pod on a
   * node for its kubelet (which deletes it with grace 0), a namespace for its
   * contents to go (spec.finalizers, emptied by the namespace finalizer).
   */
  private deletionWaits(r: ResourceType, obj: KubeObject): boolean {
    if (r.kind === 'Pod') return !!obj.spec?.nodeName && (obj.metadata.deletionGracePeriodSeconds ?? 0) > 0;
    if (r.kind === 'Namespace') return (obj.spec?.finalizers ?? []).length > 0;
    return false;
  }

  private async commitDelete(r: ResourceType, obj: KubeObject, allocations: AllocationChange[]): Promise<KubeObject> {
    const m = obj.metadata;
    const release = serviceAllocations(r.kind === 'Service' ? obj : undefined).map((key) => ({ key, owner: undefined }));
    const all = [...allocations.filter((a) => a.owner === undefined), ...release];
    const unique = [...new Map(all.map((a) => [a.key, a])).values()];
    const c = await this.storage.commit({ resource: resourceKey(r), key: objKey(m.namespace, m.name!), obj: undefined }, unique);
    return withTypeMeta(r, c.obj);
  }

  private allocate(r: ResourceType, obj: KubeObject, old: KubeObject | undefined, errs: FieldError[]): AllocationChange[] {
    if (r.kind !== 'Service' || errs.length) return [];
    const res = allocateServiceAddresses(obj, old, this.serviceCfg, { owner: (k) => this.storage.allocationOwner(k) });
    errs.push(...res.errors);
    return res.allocations;
  }

  private checkNamespaceOpen(ns: string): void {
    const nsObj = this.storage.get('namespaces', ns);
    const nsType = findByPlural('', 'namespaces')!;
    if (!nsObj) throw errors.notFound(nsType, ns);
    if (nsObj.metadata.deletionTimestamp) {
      throw errors.forbidden(`unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  /** Check a request body's shape and namespace; returns a working copy. */
  private checkBody(r: ResourceType, ns: string | undefined, body: unknown): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw errors.badRequest(`the body of the request must be a ${r.kind} object`);
    }
    const obj = clone(body) as KubeObject;
    // As the decode into Go types: a field of the wrong JSON type is a 400, before any code reads it.
    try {
      checkShape(r.kind, obj);
    } catch (e) {
      if (e instanceof ShapeError) throw errors.badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: ${e.message}`);
      throw e;
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(r)) {
      throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`);
    }
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${r.kind})`);
    }
    if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) obj.metadata = {};
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    if (r.namespaced) {
      if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = ns ?? obj.metadata.namespace;
      if (!obj.metadata.namespace) throw errors.badRequest('the namespace of the object is required');
    } else delete obj.metadata.namespace;
    if (obj.metadata.name !== undefined && typeof obj.metadata.name !== 'string') {
      throw errors.invalid(r, String(obj.metadata.name), [fieldErrors.invalid('metadata.name', obj.metadata.name, 'must be a string')]);
    }
    return obj;
  }
}

/** A list's continue token, as Kubernetes checks it: base64 JSON naming the list's resourceVersion and the last key. */
function decodeContinue(token: string): { rv: number; key: string } {
  let start: unknown;
  try {
    start = JSON.parse(Buffer.from(token, 'base64').toString());
  } catch {
    throw errors.badRequest('continue key is not valid: illegal base64 data');
  }
  const s = start as { rv?: unknown; key?: unknown } | null;
  if (typeof s !== 'object' || s === null || !Number.isSafeInteger(s.rv) || (s.rv as number) < 0 || typeof s.key !== 'string') {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: s.rv as number, key: s.key };
}

/** Every object read carries its apiVersion and kind. */
export function withTypeMeta(r: ResourceType, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(r), kind: r.kind, ...obj, metadata: obj.metadata };
}

/** A committed change as the watch event a filtered watcher should see (or none). */
export function watchEventFor(c: CommittedChange, filter: (o: KubeObject) => boolean): WatchEvent | undefined {
  const now = filter(c.obj);
  if (c.type === 'DELETED') return now ? { type: 'DELETED', object: c.obj } : undefined;
  const before = c.old ? filter(c.old) : false;
  // As the watch cache: an object that starts or stops matching the selector is ADDED or DELETED for this watcher.
  if (now && before) return { type: 'MODIFIED', object: c.obj };
  if (now) return { type: 'ADDED', object: c.obj };
  if (before) return { type: 'DELETED', object: c.obj };
  return undefined;
}

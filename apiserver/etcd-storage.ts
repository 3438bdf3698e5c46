// Storage on etcd v3 (Debian's etcd 3.4), shared by any number of API
// servers, as kube-apiserver uses it:
// - keys as kube-apiserver lays them out (etcd-keys.ts), JSON values;
// - resourceVersion = the key's mod_revision; a list's = etcd's revision;
// - a write is one etcd transaction: compare the object's mod_revision with
//   the one this server read (create: 0) and every newly allocated value's
//   key with 0 (nobody holds it), then put/delete the object and the
//   allocation keys together; so two API servers can never both write over
//   one version or hand out one ClusterIP or nodePort twice;
// - a mirror of /registry/ in memory, filled by one range read at start and
//   kept current by one etcd watch over the whole keyspace from the next
//   revision (every revision arrives, in order, whoever wrote it): reads,
//   lists and the watch cache (WatchHub) are served from it, as kube-apiserver's
//   watch cache does;
// - before a write, a linearizable read of etcd's revision and a wait until
//   the mirror has reached it (as kube-apiserver's consistent reads from
//   cache), so the checks run against the newest state; a transaction that
//   still loses a race is re-run (StaleStorageError), as GuaranteedUpdate does.
//
// The etcd3 client (@grpc/grpc-js) takes ~0.3-0.7 s to load: it is imported
// only when an API server is started with --storage etcd.
import type { KubeObject } from '../api/types.js';
import { ApiError, statusFailure } from '../api/status.js';
import { resourceTypes } from '../api/resources.js';
import {
  type AllocationChange,
  type CommittedChange,
  type ObjectChange,
  type Storage,
  StaleStorageError,
} from './storage.js';
import { allocationEtcdKey, allocationKeyOf, EtcdKeyMap, objectEtcdKey, REGISTRY_PREFIX } from './etcd-keys.js';

export interface EtcdStorageOptions {
  /** Client URLs (`--etcd-servers`). */
  endpoints: string[];
  /** PEM contents: the CA that signed the members' certificates, and this client's certificate and key. */
  tls?: { ca: string; cert: string; key: string };
  /** Times a write is re-run after losing a race before it fails (default 100). */
  maxRetries?: number;
  /** Writes in flight at once (default 64). */
  maxInFlight?: number;
}

type Etcd3 = import('etcd3').Etcd3;
type Watcher = import('etcd3').Watcher;
type IKeyValue = import('etcd3').IKeyValue;

interface WatchEventLike {
  type: 'Put' | 'Delete' | string | number;
  kv: IKeyValue;
  prev_kv?: IKeyValue;
}

const keyMap = new EtcdKeyMap(resourceTypes.map((r) => ({ resource: r.group ? `${r.group}/${r.plural}` : r.plural, namespaced: r.namespaced })));

/** A stored value as the object the registry sees: resourceVersion from the key's mod_revision. */
function decode(kv: IKeyValue, rv?: string): KubeObject {
  const obj = JSON.parse(kv.value.toString()) as KubeObject;
  obj.metadata = { ...obj.metadata, resourceVersion: rv ?? String(kv.mod_revision) };
  return obj;
}

function encode(obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return JSON.stringify({ ...obj, metadata });
}

/** etcd's default --max-request-bytes (mk8s up does not change it). */
const etcdMaxRequestBytes = 1.5 * 1024 * 1024;
/** Room for the transaction's compares, the allocation keys and gRPC framing. */
const requestOverheadBytes = 16 * 1024;
const tooLarge = () => new ApiError({ ...statusFailure(500, '', 'etcdserver: request is too large'), reason: undefined });

export class EtcdStorage implements Storage {
  private client!: Etcd3;
  private watcher: Watcher | undefined;
  private objects = new Map<string, Map<string, KubeObject>>();
  private allocs = new Map<string, string>();
  /** The newest etcd revision the mirror holds. */
  private rv = 0;
  private inFlight = 0;
  private slots: (() => void)[] = [];
  private listeners: ((c: CommittedChange) => void)[] = [];
  private rvWaiters = new Set<{ rv: number; resolve: () => void; reject: (e: Error) => void }>();
  /** Recent committed changes by revision (a commit returns its own, which the watch may deliver first). */
  private recent = new Map<number, CommittedChange>();
  private failed: Error | undefined;
  private closed = false;

  constructor(private readonly o: EtcdStorageOptions) {}

  async open(): Promise<void> {
    const { Etcd3, Range } = await import('etcd3');
    const tls = this.o.tls;
    this.client = new Etcd3({
      hosts: this.o.endpoints,
      ...(tls ? { credentials: { rootCertificate: Buffer.from(tls.ca), certChain: Buffer.from(tls.cert), privateKey: Buffer.from(tls.key) } } : {}),
    });
    const res = await this.client.getAll().prefix(REGISTRY_PREFIX).exec();
    this.rv = Number(res.header!.revision);
    for (const kv of res.kvs ?? []) this.applyPut(kv);
    const watcher = await this.client
      .watch()
      .inRange(new Range('\0', '\0'))
      .withPreviousKV()
      .startRevision(String(this.rv + 1))
      .create();
    this.watcher = watcher;
    watcher.on('data', (r) => this.onWatch(r.events as unknown as WatchEventLike[]));
    watcher.on('error', (e: Error) => {
      // A watch that cannot resume (its revision compacted while disconnected) leaves the mirror behind for good.
      this.failed = new Error(`etcd watch failed: ${e.message}`);
      for (const w of this.rvWaiters) w.reject(this.failed);
    });
  }

  async close(): Promise<void> {
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
    this.client?.close();
  }

  currentRv(): number {
    return this.rv;
  }

  onCommit(fn: (c: CommittedChange) => void): void {
    this.listeners.push(fn);
  }

  get(resource: string, key: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(key);
  }

  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    const b = this.objects.get(resource);
    if (!b) return out;
    for (const obj of b.values()) if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    return out.sort((a, b) => {
      const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
      const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  resources(): string[] {
    return [...this.objects.keys()];
  }

  allocationOwner(key: string): string | undefined {
    return this.allocs.get(key);
  }

  allocationsWithPrefix(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.allocs) if (k.startsWith(prefix)) out.set(k, v);
    return out;
  }

  /**
   * Writes here run concurrently (up to `maxInFlight`), as they do across API
   * servers anyway: each transaction checks in etcd everything it relies on
   * (the object's mod_revision, its new allocations free), and a write that
   * loses a race is re-run from a fresh state. Concurrent transactions share
   * etcd's WAL fsyncs, which one-at-a-time writes would pay for each.
   */
  async exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.inFlight >= (this.o.maxInFlight ?? 64)) await new Promise<void>((r) => this.slots.push(r));
    else this.inFlight++;
    try {
      const max = this.o.maxRetries ?? 100;
      for (let i = 0; ; i++) {
        await this.sync();
        try {
          return await fn();
        } catch (e) {
          if (!(e instanceof StaleStorageError) || i >= max) throw e;
        }
      }
    } finally {
      const next = this.slots.shift();
      if (next) next();
      else this.inFlight--;
    }
  }

  /** Bring the mirror up to etcd's current revision (a linearizable read, then the watch catches up). */
  async sync(): Promise<void> {
    // A range over one key that does not exist: cheap, and linearizable, so its header revision is the newest.
    const res = await this.client.get(`${REGISTRY_PREFIX}\0sync`).exec();
    await this.waitForRv(Number(res.header!.revision));
  }

  async commit(change: ObjectChange, allocations: AllocationChange[] = []): Promise<CommittedChange> {
    const key = objectEtcdKey(change.resource, change.key);
    const old = this.get(change.resource, change.key);
    if (!change.obj && !old) throw new Error(`storage: delete of missing ${change.resource} ${change.key}`);
    const expected = old ? Number(old.metadata.resourceVersion) : 0;
    let txn = this.client.if(key, 'Mod', '==', expected);
    for (const a of allocations) if (a.owner !== undefined) txn = txn.and(allocationEtcdKey(a.key), 'Create', '==', 0);
    const value = change.obj ? encode(change.obj) : undefined;
    // etcd refuses a request over its --max-request-bytes (1.5 MiB by default), and kube-apiserver passes etcd's words on
    // as a 500. Refused here before it is sent: the etcd3 client takes RESOURCE_EXHAUSTED for a sick host, retries it and
    // opens its circuit breaker, which would fail every request of this server for seconds after one oversized object.
    if (value !== undefined && Buffer.byteLength(value) + Buffer.byteLength(key) + requestOverheadBytes > etcdMaxRequestBytes) throw tooLarge();
    const ops = [value !== undefined ? this.client.put(key).value(value) : this.client.delete().key(key)];
    for (const a of allocations) {
      const k = allocationEtcdKey(a.key);
      ops.push(a.owner === undefined ? this.client.delete().key(k) : this.client.put(k).value(a.owner));
    }
    let res;
    try {
      res = await txn.then(...ops).commit();
    } catch (e) {
      if (/RESOURCE_EXHAUSTED|request is too large/i.test((e as Error).message)) throw tooLarge();
      throw e;
    }
    if (!res.succeeded) throw new StaleStorageError(`${key} or one of its allocations changed in etcd`);
    const rv = Number(res.header!.revision);
    await this.waitForRv(rv);
    const c = this.recent.get(rv);
    if (!c) throw new Error(`etcd revision ${rv} of ${key} was not seen on the watch`);
    return c;
  }

  private waitForRv(rv: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.rv >= rv) return Promise.resolve();
    return new Promise((resolve, reject) => this.rvWaiters.add({ rv, resolve, reject }));
  }

  private applyPut(kv: IKeyValue): void {
    const k = kv.key.toString();
    const alloc = allocationKeyOf(k);
    if (alloc !== undefined) {
      this.allocs.set(alloc, kv.value.toString());
      return;
    }
    const at = keyMap.parse(k);
    if (at) this.bucket(at.resource).set(at.key, decode(kv));
  }

  /** One watch response: events of one or more revisions, in order; each of ours is one transaction. */
  private onWatch(events: WatchEventLike[]): void {
    if (this.closed) return;
    for (const ev of events) {
      const rev = Number(ev.kv.mod_revision);
      const k = ev.kv.key.toString();
      const deleted = ev.type === 'Delete' || ev.type === 1;
      const alloc = allocationKeyOf(k);
      if (alloc !== undefined) {
        if (deleted) this.allocs.delete(alloc);
        else this.allocs.set(alloc, ev.kv.value.toString());
      } else {
        const at = keyMap.parse(k);
        if (at) this.applyObjectEvent(at.resource, at.key, ev, deleted, rev);
      }
      if (rev > this.rv) this.rv = rev;
    }
    // Waiters resolve after the whole response: a transaction's allocation keys are in by then too.
    for (const w of this.rvWaiters) {
      if (w.rv <= this.rv) {
        this.rvWaiters.delete(w);
        w.resolve();
      }
    }
  }

  private applyObjectEvent(resource: string, key: string, ev: WatchEventLike, deleted: boolean, rev: number): void {
    const b = this.bucket(resource);
    const old = b.get(key);
    let committed: CommittedChange;
    if (deleted) {
      if (!old) return;
      b.delete(key);
      committed = { rv: rev, type: 'DELETED', resource, key, obj: { ...old, metadata: { ...old.metadata, resourceVersion: String(rev) } }, old };
    } else {
      let obj: KubeObject;
      try {
        obj = decode(ev.kv);
      } catch {
        return; // not JSON (written by hand with etcdctl): not an object
      }
      b.set(key, obj);
      committed = { rv: rev, type: old ? 'MODIFIED' : 'ADDED', resource, key, obj, old };
    }
    this.recent.set(rev, committed);
    if (this.recent.size > 4096) this.recent.delete(this.recent.keys().next().value!);
    for (const l of this.listeners) l(committed);
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }
}

// Durable storage: LevelDB holds every object, every IP/port allocation and
// the global resourceVersion counter. Each change is one atomic batch (the
// object, its allocations and the counter together), so a kill -9 at any
// moment leaves either the whole change or none of it. All objects are also
// kept in memory: reads and lists never touch the disk.
//
// Durability, decided: batches are written without fsync by default. A
// crash of the server process (kill -9, OOM) loses nothing it acknowledged —
// the write is in the kernel's page cache (test/apiserver/durability.test.ts:
// every acknowledged write survives repeated kill -9). A power loss or kernel
// crash may lose the writes of the last few seconds before it (until the
// kernel writes back dirty pages, up to ~30 s by default), but never part of
// one: LevelDB's log records are checksummed, so recovery ends at the last
// whole batch and the store comes back as a consistent earlier state (objects
// with their allocations, the resourceVersion counter with them). Clients
// that saw a newer resourceVersion then get "Too large resource version" on
// watch and relist. An fsync per write costs ~3.4 ms here against ~0.08 ms
// (measured on this VM's ext4), which would cap a busy lab at ~300 writes/s
// (writes are serialised); the `syncWrites` option of startApiServer (Storage's
// `sync`) buys etcd's fsync-per-write guarantee where that matters more.
// The database directory and its files are private (0700 / 0600).
import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import type { KubeObject } from '../api/types.js';

/** One object change inside a commit. `obj` undefined means delete. */
export interface ObjectChange {
  /** Resource key, e.g. `pods` or `apps/deployments`. */
  resource: string;
  /** `ns/name` or `name`. */
  key: string;
  obj: KubeObject | undefined;
}

/** One allocation change: `owner` undefined releases it. */
export interface AllocationChange {
  /** e.g. `clusterip/10.96.0.5`, `nodeport/tcp/31117`. */
  key: string;
  owner: string | undefined;
}

export interface CommittedChange {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: string;
  key: string;
  /** The object as stored; for a deletion, the last state stamped with the deletion's resourceVersion (as etcd3 reports it). */
  obj: KubeObject;
  /** The previous state, if any. */
  old: KubeObject | undefined;
}

/**
 * What the registry stores through: objects with resourceVersions, the
 * allocation table, and commits of one object change with its allocation
 * changes as one atomic write. Reads are served from memory (a mirror kept
 * current by the backend); writes run inside exclusive(), which a backend
 * shared with other API servers (EtcdStorage) first brings up to date and
 * re-runs when its commit loses a race (StaleStorageError), so `fn` must
 * compute everything it writes afresh from the storage on each run.
 */
export interface Storage {
  open(): Promise<void>;
  close(): Promise<void>;
  /** The newest resourceVersion seen (written here or, for etcd, anywhere). */
  currentRv(): number;
  /** Called for every committed change, in resourceVersion order (for etcd: those of every API server). */
  onCommit(fn: (c: CommittedChange) => void): void;
  get(resource: string, key: string): KubeObject | undefined;
  /** Objects of a resource, optionally of one namespace, in key order. */
  list(resource: string, namespace?: string): KubeObject[];
  resources(): string[];
  allocationOwner(key: string): string | undefined;
  allocationsWithPrefix(prefix: string): Map<string, string>;
  /** Run `fn` with exclusive write access: read-check-write sequences cannot interleave. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Write one object change with its allocation changes atomically; call inside exclusive(). */
  commit(change: ObjectChange, allocations?: AllocationChange[]): Promise<CommittedChange>;
}

/** A commit lost a race with another writer (another API server): exclusive() runs its function again. */
export class StaleStorageError extends Error {}

const OBJ = 'o\x00';
const ALLOC = 'a\x00';
const RV_KEY = 'm\x00rv';

/** The embedded default: LevelDB in the API server's data dir. */
export class LevelStorage implements Storage {
  private db: Level<string, string>;
  private objects = new Map<string, Map<string, KubeObject>>();
  private allocs = new Map<string, string>();
  private rv = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private listeners: ((c: CommittedChange) => void)[] = [];

  private readonly sync: boolean;

  constructor(
    private readonly dir: string,
    opts: { sync?: boolean } = {},
  ) {
    this.db = new Level<string, string>(dir, { valueEncoding: 'utf8' });
    this.sync = opts.sync ?? false;
  }

  async open(): Promise<void> {
    await this.db.open();
    // LevelDB creates its files with the process umask: the directory (0700) keeps them private, the files follow.
    await chmod(this.dir, 0o700);
    for (const f of await readdir(this.dir)) await chmod(join(this.dir, f), 0o600).catch(() => undefined);
    for await (const [k, v] of this.db.iterator()) {
      if (k === RV_KEY) this.rv = Number(v);
      else if (k.startsWith(OBJ)) {
        const [resource, key] = k.slice(OBJ.length).split('\x00');
        this.bucket(resource).set(key, JSON.parse(v));
      } else if (k.startsWith(ALLOC)) this.allocs.set(k.slice(ALLOC.length), v);
    }
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.db.close();
  }

  /** The newest resourceVersion written. */
  currentRv(): number {
    return this.rv;
  }

  onCommit(fn: (c: CommittedChange) => void): void {
    this.listeners.push(fn);
  }

  get(resource: string, key: string): KubeObject | undefined {
    return this.objects.get(resource)?.get(key);
  }

  /** Objects of a resource, optionally of one namespace, in key order. */
  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    const b = this.objects.get(resource);
    if (!b) return out;
    for (const obj of b.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out.sort((a, b) => keyCompare(a, b));
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
   * Run `fn` with exclusive write access: read-check-write sequences
   * (optimistic concurrency, allocation) cannot interleave.
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Write one object change with its allocation changes as one atomic batch,
   * stamping the object with the next resourceVersion. Call inside exclusive().
   */
  async commit(change: ObjectChange, allocations: AllocationChange[] = []): Promise<CommittedChange> {
    const rv = this.rv + 1;
    const ops: { type: 'put' | 'del'; key: string; value?: string }[] = [];
    const dbKey = OBJ + change.resource + '\x00' + change.key;
    let stored: KubeObject | undefined;
    if (change.obj) {
      stored = { ...change.obj, metadata: { ...change.obj.metadata, resourceVersion: String(rv) } };
      ops.push({ type: 'put', key: dbKey, value: JSON.stringify(stored) });
    } else {
      ops.push({ type: 'del', key: dbKey });
    }
    for (const a of allocations) {
      if (a.owner === undefined) ops.push({ type: 'del', key: ALLOC + a.key });
      else ops.push({ type: 'put', key: ALLOC + a.key, value: a.owner });
    }
    ops.push({ type: 'put', key: RV_KEY, value: String(rv) });
    const b = this.bucket(change.resource);
    const old = b.get(change.key);
    if (!stored && !old) throw new Error(`storage: delete of missing ${change.resource} ${change.key}`);
    await this.db.batch(ops as any, { sync: this.sync });

    this.rv = rv;
    if (stored) b.set(change.key, stored);
    else b.delete(change.key);
    for (const a of allocations) {
      if (a.owner === undefined) this.allocs.delete(a.key);
      else this.allocs.set(a.key, a.owner);
    }
    const obj = stored ?? { ...old!, metadata: { ...old!.metadata, resourceVersion: String(rv) } };
    const type = !stored ? 'DELETED' : old ? 'MODIFIED' : 'ADDED';
    const committed: CommittedChange = { rv, type, resource: change.resource, key: change.key, obj, old };
    for (const l of this.listeners) l(committed);
    return committed;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }
}

function keyCompare(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

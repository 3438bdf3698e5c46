// Test and benchmark fixtures (testkit/: shared by test/ and bench/): a real API server on a temp data dir and an ephemeral port,
// and a client for it. Every test that starts one closes it, also on failure
// (ava's t.teardown).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../apiserver/server.js';
import { Client } from '../client/http.js';
import { startTestEtcd, testStorageIsEtcd, type TestEtcd } from './etcd.js';

export interface TestApi {
  server: ApiServer;
  client: Client;
  dataDir: string;
  /** The etcd it stores in, when the test process runs against etcd (MK8S_TEST_STORAGE=etcd). */
  etcd?: TestEtcd;
  close(): Promise<void>;
}

/** The etcd of each data dir (a restart on the same data dir uses the same etcd and its data). */
const etcds = new Map<string, TestEtcd>();

/** The etcd for a data dir, started on first use (only when this process runs against etcd). */
export async function etcdFor(dataDir: string): Promise<TestEtcd | undefined> {
  if (!testStorageIsEtcd()) return undefined;
  let e = etcds.get(dataDir);
  if (!e) etcds.set(dataDir, (e = await startTestEtcd(dataDir)));
  return e;
}

export async function tempDir(prefix = 'mk8s-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startTestApi(opts: Partial<ApiServerOptions> = {}): Promise<TestApi> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const etcd = opts.etcd ? undefined : await etcdFor(dataDir);
  const server = await startApiServer({
    port: 0,
    logger: pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }),
    ...(etcd ? { etcd: { endpoints: [etcd.url] } } : {}),
    ...opts,
    dataDir,
  });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  return {
    server,
    client,
    dataDir,
    etcd,
    async close() {
      client.close();
      await server.close();
      if (!opts.dataDir) {
        if (etcd) {
          await etcd.kill();
          etcds.delete(dataDir);
        }
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Poll until fn returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs}ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Temp dirs for one test file, all removed after its tests:
 * `const scratch = scratchDirs(test);` then `await scratch('mk8s-pki-')`.
 */
export function scratchDirs(t: { after: { always(fn: () => Promise<void>): void } }): (prefix: string) => Promise<string> {
  const dirs: string[] = [];
  t.after.always(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async (prefix) => {
    const d = await tempDir(prefix);
    dirs.push(d);
    return d;
  };
}

// A real etcd (Debian's etcd-server 3.4) for tests and benchmarks: one member
// on a loopback address of its own (127.0.x.y, ports 23798/23799, so test
// files running at once never collide), plain http, its data in the given
// directory; started through the launcher's argv and killed by PID (at the
// latest when the test process exits).
//
// Test files run against etcd by setting MK8S_TEST_STORAGE=etcd before their
// first startTestApi (see test/apiserver/*.etcd.test.ts): every startTestApi
// then gets an etcd of its own, kept per data dir, so a restart on the same
// data dir finds its data again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { clientUrl, etcdMemberArgv, waitEtcdHealthy, type EtcdClusterSpec } from '../cluster/etcd.js';

export interface TestEtcd {
  url: string;
  child: ChildProcess;
  dataDir: string;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Start it again on the same data dir and address (after kill). */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** Whether tests in this process run against etcd. */
export function testStorageIsEtcd(): boolean {
  return process.env.MK8S_TEST_STORAGE === 'etcd';
}

/** A loopback address derived from the directory (the same directory, the same address). */
export function loopbackFor(dir: string): string {
  const h = createHash('sha256').update(dir).digest();
  return `127.${1 + (h[0] % 250)}.${h[1]}.${1 + (h[2] % 250)}`;
}

export async function startTestEtcd(dir: string, opts: { ip?: string; clientPort?: number; peerPort?: number } = {}): Promise<TestEtcd> {
  const dataDir = join(dir, 'etcd');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const member = { name: 'test', ip: opts.ip ?? loopbackFor(dir), clientPort: opts.clientPort ?? 23798, peerPort: opts.peerPort ?? 23799, dataDir, log: '' };
  const spec: EtcdClusterSpec = { token: 'mk8s-test', members: [member] };
  const argv = etcdMemberArgv(spec, member);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  let output = '';
  const e: TestEtcd = {
    url: clientUrl(member),
    child: undefined as unknown as ChildProcess,
    dataDir,
    kill: () =>
      new Promise<void>((resolve) => {
        const c = e.child;
        running.delete(c);
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        c.ref(); // kept alive until the exit is seen
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      }),
    restart: async () => {
      output = '';
      const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr!.on('data', (d: Buffer) => {
        if (output.length < 20_000) output += d.toString();
      });
      // The test process may end with it still running (the exit hook kills it).
      c.unref();
      (c.stderr as unknown as { unref(): void }).unref();
      running.add(c);
      e.child = c;
      await waitEtcdHealthy(spec, 30_000, () => (c.exitCode !== null ? `etcd exited with ${c.exitCode}: ${output.slice(-2000)}` : undefined));
    },
  };
  await e.restart();
  return e;
}

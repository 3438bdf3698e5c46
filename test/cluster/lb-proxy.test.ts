// The API load balancer (cluster/lb-proxy.ts) on loopback in front of real
// API servers sharing one CA and token (as the control-plane nodes of
// `mk8s up --control-planes N` do): TLS passes through, connections are
// spread, a killed backend leaves service at its first refused connection
// with the connection retried on another, and it comes back after `rise`
// good /readyz checks.
import test from 'ava';
import https from 'node:https';
import net from 'node:net';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startTestApi, eventually, scratchDirs } from '../../testkit/api.js';
import { spawnApiServer, killHard, mk8sBin } from '../../testkit/process.js';
import { Client } from '../../client/http.js';
import { startLbProxy } from '../../cluster/lb-proxy.js';
import { findByKind } from '../../api/resources.js';

const scratch = scratchDirs(test);
const namespaces = findByKind('v1', 'Namespace')!;

/** A data dir holding the first server's CA and token, so a second server trusts the same clients. */
async function sharedCredentials(from: string): Promise<string> {
  const dir = await scratch('mk8s-lb-');
  for (const f of ['ca.crt', 'ca.key', 'token']) await copyFile(join(from, f), join(dir, f));
  return dir;
}

test('connections spread over the API servers; kill -9 one: no request lost once settled, it leaves and comes back', async (t) => {
  const a = await startTestApi();
  t.teardown(() => a.close());
  const bDir = await sharedCredentials(a.dataDir);
  let b = await spawnApiServer(['--data-dir', bDir, '--port', '0']);
  t.teardown(() => killHard(b.child));
  const aPort = Number(new URL(a.server.url).port);
  const bPort = Number(new URL(b.url).port);
  const lb = await startLbProxy({ listenHost: '127.0.0.1', listenPort: 0, backends: [{ host: '127.0.0.1', port: aPort }, { host: '127.0.0.1', port: bPort }], intervalMs: 200, caCert: a.server.caCert });
  t.teardown(() => lb.close());
  const aId = `127.0.0.1:${aPort}`;
  const bId = `127.0.0.1:${bPort}`;
  // A new TCP (and TLS) connection per request, so each one is balanced.
  const client = new Client({ ...a.client.config, server: `https://127.0.0.1:${lb.address.port}` }, new https.Agent({ keepAlive: false, ca: a.server.caCert }));
  t.teardown(() => client.close());

  for (let i = 0; i < 10; i++) await client.get(namespaces, undefined, 'default');
  t.is(lb.served.get(aId), 5, 'round robin');
  t.is(lb.served.get(bId), 5, 'round robin');

  // A request loop; kill -9 b in the middle.
  let ok = 0;
  const failures: number[] = [];
  let killedAt = -1;
  for (let i = 0; i < 60; i++) {
    if (i === 20) {
      await killHard(b.child);
      killedAt = i;
    }
    try {
      await client.get(namespaces, undefined, 'default');
      ok++;
    } catch {
      failures.push(i);
    }
  }
  // A request sent after the kill finds b refusing and is retried on a: none fails (the loop is serial, so none was in flight at the kill).
  t.deepEqual(failures, [], `failed requests: ${failures}`);
  t.is(ok, 60);
  t.true(killedAt === 20);
  t.false(lb.pool.get(bId)!.up, 'b out of service at its first refused connection');
  const servedB = lb.served.get(bId);
  for (let i = 0; i < 6; i++) await client.get(namespaces, undefined, 'default');
  t.is(lb.served.get(bId), servedB, 'nothing more sent to b');

  // b back on its port: in service again after two good checks.
  b = await spawnApiServer(['--data-dir', bDir, '--port', String(bPort)]);
  await eventually(() => lb.pool.get(bId)!.up, 10_000, 50);
  const before = lb.served.get(bId) ?? 0;
  for (let i = 0; i < 6; i++) await client.get(namespaces, undefined, 'default');
  t.is((lb.served.get(bId) ?? 0) - before, 3, 'b takes its turn again');
});

test('a backend that fails its checks is taken out and its open connections (watches) are closed, so clients reconnect elsewhere', async (t) => {
  // Two TCP backends that accept and hold connections; the check is a TCP connect.
  const held: net.Socket[] = [];
  const servers = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer((c) => {
            held.push(c);
            c.on('error', () => undefined);
            c.write('hello\n');
          });
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  const lb = await startLbProxy({ listenHost: '127.0.0.1', listenPort: 0, backends: ports.map((port) => ({ host: '127.0.0.1', port })), balance: 'leastconn', intervalMs: 100, timeoutMs: 3000, checkPath: '' });
  t.teardown(async () => {
    await lb.close();
    for (const s of servers) s.close();
    for (const c of held) c.destroy();
  });
  const open = async () => {
    const c = net.connect(lb.address.port, '127.0.0.1');
    c.on('error', () => undefined);
    await new Promise<void>((r) => c.once('data', () => r()));
    return c;
  };
  const clients = [await open(), await open(), await open(), await open()];
  t.deepEqual(lb.pool.backends.map((b) => b.active), [2, 2], 'least connections spreads them');
  // Backend 1 stops accepting (listener closed, its open connections kept): checks fail, it goes down, its sessions are shut.
  servers[1].close();
  const closed = await Promise.all(clients.map((c) => Promise.race([new Promise<boolean>((r) => c.once('close', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 3000))])));
  t.is(closed.filter(Boolean).length, 2, 'the two connections through backend 1 are closed');
  t.false(lb.pool.backends[1].up);
  const again = await open();
  t.deepEqual(lb.pool.backends.map((b) => b.active), [3, 0]);
  for (const c of [...clients, again]) c.destroy();
});

test('the lb-proxy program: one-line error on a bad backend; serves with --listen and --backend', async (t) => {
  const bad = spawn(process.execPath, [join(mk8sBin, '..', '..', 'cluster', 'lb-proxy.js'), '--listen', '127.0.0.1:0', '--backend', 'nohost'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => bad.on('exit', (c) => r(c)));
  t.is(code, 1);
  t.is(err, 'lb-proxy: invalid backend "nohost": want host:port\n');
  const echo = net.createServer((c) => c.pipe(c));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.teardown(() => echo.close());
  const prog = spawn(process.execPath, [join(mk8sBin, '..', '..', 'cluster', 'lb-proxy.js'), '--listen', '127.0.0.1:0', '--backend', `127.0.0.1:${(echo.address() as net.AddressInfo).port}`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MK8S_LOG_LEVEL: 'warn' } });
  t.teardown(() => killHard(prog));
  let out = '';
  prog.stdout!.on('data', (d) => (out += d));
  const m = await eventually(() => /lb-proxy on 127\.0\.0\.1:(\d+) -> /.exec(out), 10_000, 20);
  const c = net.connect(Number(m![1]), '127.0.0.1');
  c.write('ping');
  const got = await new Promise<string>((r) => c.once('data', (d) => r(String(d))));
  t.is(got, 'ping');
  c.destroy();
  const exited = new Promise<number | null>((r) => prog.on('exit', (c2) => r(c2)));
  prog.kill('SIGTERM');
  t.is(await exited, 0);
});

// Connection-level limits and answers, over real TLS sockets on loopback: a
// request body that trickles in times out (408, as a Status); a request
// without credentials is refused before its body is read; the connection
// count is capped; oversized headers and broken requests get Status bodies;
// an `Upgrade:` header on an ordinary request does not hide the resource;
// `bearer` is accepted in any case; the data dir is private.
import test from 'ava';
import tls from 'node:tls';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestApi, type TestApi } from '../../testkit/api.js';
import { testStorageIsEtcd } from '../../testkit/etcd.js';
import { rawRequest } from '../helpers/api-raw.js';

let api: TestApi;
test.before(async () => {
  api = await startTestApi({ requestTimeoutMs: 1500, maxConnections: 20 });
});
test.after.always(async () => {
  await api?.close();
});

interface Conn {
  socket: tls.TLSSocket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

function connect(a: TestApi): Promise<Conn> {
  const u = new URL(a.server.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), ca: a.server.caCert, servername: 'localhost' }, () => {
      let out = '';
      socket.setEncoding('utf8');
      socket.on('data', (d) => (out += d));
      const closed = new Promise<string>((res) => socket.on('close', () => res(out)));
      resolve({ socket, closed });
    });
    socket.on('error', reject);
  });
}

const statusOf = (raw: string) => ({ code: Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1]), body: JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4) || 'null') });

const slowPost = (auth: boolean) =>
  [
    'POST /api/v1/namespaces/default/configmaps HTTP/1.1',
    'Host: localhost',
    ...(auth ? [`Authorization: Bearer ${api.server.token}`] : []),
    'Content-Type: application/json',
    'Content-Length: 1000',
    '',
    '{',
  ].join('\r\n');

test('a request body that trickles in times out with a 408 Status; the connection is closed', async (t) => {
  const conns = await Promise.all([connect(api), connect(api), connect(api)]);
  const start = Date.now();
  for (const c of conns) c.socket.write(slowPost(true));
  // Keep trickling: one byte every 200 ms never completes the body.
  const trickle = setInterval(() => conns.forEach((c) => c.socket.writable && c.socket.write(' ')), 200);
  t.teardown(() => clearInterval(trickle));
  const answers = await Promise.all(conns.map((c) => c.closed));
  const took = Date.now() - start;
  for (const a of answers) {
    const s = statusOf(a);
    t.is(s.code, 408, a);
    t.like(s.body, { kind: 'Status', status: 'Failure', code: 408 });
  }
  t.true(took < 10_000, `closed after ${took} ms`);
});

test('a request without credentials is refused before its body is read, and the connection closed', async (t) => {
  const c = await connect(api);
  c.socket.write(slowPost(false));
  const answer = await c.closed;
  const s = statusOf(answer);
  t.is(s.code, 401);
  t.like(s.body, { kind: 'Status', reason: 'Unauthorized', code: 401 });
});

test('connections beyond the cap are refused at once; the ones held keep working', async (t) => {
  const held: Conn[] = [];
  t.teardown(() => held.forEach((c) => c.socket.destroy()));
  let refused = 0;
  for (let i = 0; i < 25; i++) {
    try {
      const c = await connect(api);
      held.push(c);
    } catch {
      refused++;
    }
  }
  // A connection past the cap is closed by the server straight away (the TLS handshake fails or it ends at once).
  const quick = await Promise.all(held.map((c) => Promise.race([c.closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))])));
  const dropped = refused + quick.filter(Boolean).length;
  t.true(dropped >= 5, `${dropped} of 25 refused`);
  const alive = held.filter((_, i) => !quick[i]);
  t.true(alive.length <= 20);
  for (const c of held) c.socket.destroy();
  await Promise.all(held.map((c) => c.closed));
  const ok = await rawRequest(api, 'GET', '/api/v1/namespaces');
  t.is(ok.code, 200, 'served again once connections are released');
});

test('oversized headers and malformed requests get a Status body', async (t) => {
  const c = await connect(api);
  c.socket.write(`GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  const big = statusOf(await c.closed);
  t.is(big.code, 431);
  t.like(big.body, { kind: 'Status', code: 431 });
  const c2 = await connect(api);
  c2.socket.write('THIS IS NOT HTTP\r\n\r\n');
  const bad = statusOf(await c2.closed);
  t.is(bad.code, 400);
  t.like(bad.body, { kind: 'Status', code: 400, reason: 'BadRequest' });
});

test('an Upgrade header on an ordinary request: the request is served normally', async (t) => {
  const res = await rawRequest(api, 'GET', '/api/v1/namespaces/default', undefined, { Connection: 'Upgrade', Upgrade: 'websocket' });
  t.is(res.code, 200, res.text);
  t.like(res.body, { kind: 'Namespace', metadata: { name: 'default' } });
});

test('the bearer scheme is case-insensitive; a wrong token of any length is refused', async (t) => {
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    t.is((await rawRequest(api, 'GET', '/api/v1/namespaces', undefined, { Authorization: `${scheme} ${api.server.token}` })).code, 200, scheme);
  }
  for (const auth of [`Bearer ${api.server.token.slice(1)}`, `Bearer ${api.server.token}x`, 'Bearer', 'Basic abc', `Bearer  ${api.server.token}`]) {
    t.is((await rawRequest(api, 'GET', '/api/v1/namespaces', undefined, { Authorization: auth })).code, 401, auth);
  }
});

test('the data dir and the database files are private to the server\'s user', async (t) => {
  t.is((await stat(api.dataDir)).mode & 0o777, 0o700);
  // On etcd the objects are in etcd's data dir (etcd makes it 0700 and its files 0600).
  const db = api.etcd ? api.etcd.dataDir : join(api.dataDir, 'db');
  t.is((await stat(db)).mode & 0o777, 0o700);
  for (const f of await readdir(db)) t.is((await stat(join(db, f))).mode & 0o077, 0, `${f} is not readable by others`);
});

// On etcd (limits.etcd.test.ts): what etcd itself refuses reaches the client in etcd's words, and nothing is half-written.
(testStorageIsEtcd() ? test : test.skip)("on etcd, an object over etcd's request limit (1.5 MiB) is refused with etcd's words and nothing is stored", async (t) => {
  const body = JSON.stringify({ metadata: { name: 'too-big' }, data: { v: 'x'.repeat(2 * 1024 * 1024) } });
  const res = await rawRequest(api, 'POST', '/api/v1/namespaces/default/configmaps', body, { 'Content-Type': 'application/json' });
  t.is(res.code, 500, res.text);
  t.like(res.body, { kind: 'Status', status: 'Failure', code: 500, message: 'etcdserver: request is too large' });
  t.is((await rawRequest(api, 'GET', '/api/v1/namespaces/default/configmaps/too-big')).code, 404);
  // The server goes on: a small object is stored at once.
  const ok = await rawRequest(api, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'small' }, data: { v: 'x' } }), { 'Content-Type': 'application/json' });
  t.is(ok.code, 201, ok.text);
});

// The apiserver's node proxy (nodes/NAME[:PORT]/proxy/PATH) against a real
// node status port on loopback (proxy/status-port.ts, the listener the node
// proxy serves /healthz and /rules on): the apiserver dials it over TLS with
// its kubelet client certificate and verifies the node's serving certificate
// against the cluster CA; the status port tells plain HTTP from TLS.
import test from 'ava';
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findByPlural } from '../../api/resources.js';
import { checkNodeClient, peerOf } from '../../api/node-auth.js';
import { ensureCA, ensureCertPair } from '../../apiserver/certs.js';
import { splitSchemeNamePort } from '../../apiserver/kubelet-proxy.js';
import { listenStatusPort, type StatusPort } from '../../proxy/status-port.js';
import { startTestApi, scratchDirs, type TestApi } from '../../testkit/api.js';
import { ApiError } from '../../api/status.js';

/** Temp dirs of this file, removed after its tests. */
const scratch = scratchDirs(test);

const nodes = findByPlural('', 'nodes')!;

/** What the proxy's status port serves, in small: /healthz open, /rules only to the apiserver. */
const handler: http.RequestListener = (req, res) => {
  if (req.url?.startsWith('/rules')) {
    const refused = checkNodeClient(peerOf(req.socket), 'get', 'proxy');
    res.writeHead(refused?.code ?? 200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(refused ?? { rules: [], url: req.url }));
  }
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok');
};

async function nodeAgent(api: TestApi, name: string, caDir?: string): Promise<StatusPort> {
  const ca = await ensureCA(caDir ?? api.dataDir);
  const serving = await ensureCertPair(await scratch('mk8s-node-'), 'node', ca, { commonName: `system:node:${name}`, sans: ['127.0.0.1', name], usage: 'server' });
  // The client CA is always the cluster's: what differs below is whom the apiserver is talking to.
  const sp = await listenStatusPort({ bind: '127.0.0.1', port: 0, handler, tls: { cert: serving.cert, key: serving.key, clientCA: api.server.caCert } });
  await api.client.create(nodes, undefined, {
    metadata: { name },
    status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: sp.port } } },
  });
  return sp;
}

test('splitSchemeNamePort', (t) => {
  t.deepEqual(splitSchemeNamePort('n1'), { scheme: 'https', name: 'n1' });
  t.deepEqual(splitSchemeNamePort('n1:10256'), { scheme: 'https', name: 'n1', port: 10256 });
  t.deepEqual(splitSchemeNamePort('http:n1:10256'), { scheme: 'http', name: 'n1', port: 10256 });
  for (const bad of ['', ':1', 'n1:x', 'n1:0', 'n1:70000', 'ftp:n1:1', 'a:b:c:d']) t.is(splitSchemeNamePort(bad), undefined, bad);
});

test('nodes/NAME/proxy reaches the node over TLS as the apiserver; the node port alone says 401 to anyone else', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const sp = await nodeAgent(api, 'n1');
  t.teardown(() => sp.close());
  // Through the apiserver: the default port is the kubelet's; NAME:PORT names another; the query string goes along.
  const r = await api.client.request('GET', '/api/v1/nodes/n1/proxy/rules', { query: { service: 'default/web' } });
  t.deepEqual(r, { rules: [], url: '/rules?service=default%2Fweb' });
  t.deepEqual(await api.client.request('GET', `/api/v1/nodes/n1:${sp.port}/proxy/rules`), { rules: [], url: '/rules' });
  t.is(await api.client.request('GET', '/api/v1/nodes/n1/proxy/healthz'), 'ok');
  // Plain HTTP through the apiserver when asked for it (http:NAME:PORT): /healthz yes, /rules 401.
  t.is(await api.client.request('GET', `/api/v1/nodes/http:n1:${sp.port}/proxy/healthz`), 'ok');
  const plainRules = await t.throwsAsync(api.client.request('GET', `/api/v1/nodes/http:n1:${sp.port}/proxy/rules`));
  t.is((plainRules as ApiError).code, 401);
  // Errors are Statuses.
  t.is(((await t.throwsAsync(api.client.request('GET', '/api/v1/nodes/nope/proxy/rules'))) as ApiError).code, 404);
  t.is(((await t.throwsAsync(api.client.request('GET', '/api/v1/nodes/n1:99999/proxy/rules'))) as ApiError).code, 400);
  // Without the token: 401 from the apiserver, before any node is asked.
  const anon = await new Promise<number>((resolve, reject) => {
    const u = new URL(api.server.url);
    https.get({ host: u.hostname, port: u.port, path: '/api/v1/nodes/n1/proxy/rules', ca: api.server.caCert, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
  t.is(anon, 401);
  // Straight to the node's port: plain HTTP /healthz is open (as kube-proxy's), /rules is not, over HTTP or TLS.
  const direct = (path: string, tls: boolean) =>
    new Promise<number>((resolve, reject) => {
      const mod = tls ? https : http;
      mod.get({ host: '127.0.0.1', port: sp.port, path, agent: false, ...(tls ? { ca: api.server.caCert } : {}) }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject);
    });
  t.is(await direct('/healthz', false), 200);
  t.is(await direct('/rules', false), 401);
  t.is(await direct('/rules', true), 401);
  const client = { cert: await readFile(join(api.dataDir, 'apiserver-kubelet-client.crt'), 'utf8'), key: await readFile(join(api.dataDir, 'apiserver-kubelet-client.key'), 'utf8') };
  const asApiserver = await new Promise<number>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: sp.port, path: '/rules', ca: api.server.caCert, ...client, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
  t.is(asApiserver, 200);
});

test("a node agent whose serving certificate is not the cluster CA's: the apiserver refuses to talk to it (503)", async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const sp = await nodeAgent(api, 'impostor', await scratch('mk8s-other-ca-'));
  t.teardown(() => sp.close());
  const e = (await t.throwsAsync(api.client.request('GET', '/api/v1/nodes/impostor/proxy/rules'))) as ApiError;
  t.is(e.code, 503);
  t.regex(e.message, /error dialing backend: .*(certificate|self.signed|verify)/i);
});

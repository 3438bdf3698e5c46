// Who may call a node's agents (api/node-auth.ts), and the certificates
// behind it (apiserver/certs.ts): issued by the cluster CA, reissued when the
// CA or the node changed, written 0600; and the TLS layer's verdicts on real
// loopback connections.
import test from 'ava';
import https from 'node:https';
import { stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { checkNodeClient, nodeTlsServerOptions, peerOf, subresourceFor, verbFor, type PeerInfo } from '../../api/node-auth.js';
import { certMatches, ensureCA, ensureCertPair, ensureKubeletClientCert, ensureNodeServingCert, type KeyPair } from '../../apiserver/certs.js';
import { scratchDirs } from '../../testkit/api.js';

/** Temp dirs of this file, removed after its tests. */
const scratch = scratchDirs(test);

const apiserver: PeerInfo = { authorized: true, subject: { CN: 'kube-apiserver-kubelet-client', O: 'system:masters' } };

test('checkNodeClient: only a verified certificate of the apiserver (or system:masters) passes', (t) => {
  t.is(checkNodeClient(apiserver, 'get', 'proxy'), undefined);
  t.is(checkNodeClient({ authorized: true, subject: { CN: 'admin', O: ['x', 'system:masters'] } }, 'get', 'proxy'), undefined);
  t.deepEqual(checkNodeClient({ authorized: false }, 'get', 'proxy'), { code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
  // A certificate the TLS layer did not verify (another CA) counts for nothing, whatever it says.
  t.is(checkNodeClient({ ...apiserver, authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'get', 'proxy')?.code, 401);
  t.is(checkNodeClient({ authorized: true, subject: {} }, 'get', 'proxy')?.code, 401);
  t.deepEqual(checkNodeClient({ authorized: true, subject: { CN: 'someone', O: 'system:nodes' } }, 'create', 'proxy'), {
    code: 403,
    reason: 'Forbidden',
    message: 'Forbidden (user=someone, verb=create, resource=nodes, subresource=proxy)',
  });
  t.is(verbFor('GET'), 'get');
  t.is(verbFor('POST'), 'create');
  t.is(subresourceFor('/exec/ns/p/c'), 'proxy');
  t.is(subresourceFor('/logs/'), 'log');
  t.is(subresourceFor('/metrics'), 'metrics');
});

test('node and client certificates: signed by the cluster CA, 0600, kept while valid, remade when the CA or node changes', async (t) => {
  const dir = await scratch('mk8s-pki-');
  const ca = await ensureCA(dir);
  t.is((await stat(`${dir}/ca.key`)).mode & 0o777, 0o600);
  const node = await ensureNodeServingCert(`${dir}/pki`, ca, { name: 'n1', ip: '172.18.0.2' });
  for (const f of [node.certFile, node.keyFile]) t.is((await stat(f)).mode & 0o777, 0o600, f);
  const x = new X509Certificate(node.cert);
  t.true(x.verify(new X509Certificate(ca.caCert).publicKey));
  t.is(x.subjectAltName, 'IP Address:172.18.0.2, DNS:n1');
  t.true(x.checkIP('172.18.0.2') !== undefined);
  // Kept as is while it matches; remade for another IP.
  t.is((await ensureNodeServingCert(`${dir}/pki`, ca, { name: 'n1', ip: '172.18.0.2' })).cert, node.cert);
  const moved = await ensureNodeServingCert(`${dir}/pki`, ca, { name: 'n1', ip: '172.18.0.9' });
  t.not(moved.cert, node.cert);
  // A new CA (the apiserver data removed): remade, signed by the new one.
  const other = await ensureCA(await scratch('mk8s-pki-other-'));
  t.false(certMatches(moved, other.caCert, { commonName: 'system:node:n1', organizations: ['system:nodes'], sans: ['172.18.0.9', 'n1'], usage: 'server' }));
  const resigned = await ensureNodeServingCert(`${dir}/pki`, other, { name: 'n1', ip: '172.18.0.9' });
  t.true(new X509Certificate(resigned.cert).verify(new X509Certificate(other.caCert).publicKey));
  // Files with looser modes get 0600 when rewritten.
  await writeFile(`${dir}/apiserver-kubelet-client.crt`, 'garbage', { mode: 0o644 });
  const client = await ensureKubeletClientCert(dir, ca);
  t.is((await stat(`${dir}/apiserver-kubelet-client.crt`)).mode & 0o777, 0o600);
  t.regex(new X509Certificate(client.cert).subject, /O=system:masters\nCN=kube-apiserver-kubelet-client/);
});

/** A real TLS server with the node options on loopback: what the TLS layer tells peerOf about each client. */
test('on a real TLS connection: no certificate, another CA, the cluster CA', async (t) => {
  const dir = await scratch('mk8s-pki-tls-');
  const ca = await ensureCA(dir);
  const node = await ensureCertPair(dir, 'node', ca, { commonName: 'system:node:n1', sans: ['127.0.0.1'], usage: 'server' });
  const server = https.createServer(nodeTlsServerOptions({ cert: node.cert, key: node.key, clientCA: ca.caCert }), (req, res) => {
    const f = checkNodeClient(peerOf(req.socket), verbFor(req.method), subresourceFor(req.url ?? '/'));
    res.writeHead(f?.code ?? 200);
    res.end(f?.message ?? 'ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const get = (client?: KeyPair) =>
    new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/exec/a/b/c', ca: ca.caCert, ...(client ?? {}), agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject);
    });
  t.is(await get(), 401);
  const other = await ensureCA(await scratch('mk8s-pki-tls-other-'));
  t.is(await get(await ensureCertPair(dir, 'forged', other, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' })), 401);
  t.is(await get(await ensureCertPair(dir, 'dev', ca, { commonName: 'dev', usage: 'client' })), 403);
  // A serving certificate of the cluster CA is not a client certificate (no clientAuth usage).
  t.is(await get(node), 401);
  t.is(await get(await ensureKubeletClientCert(dir, ca)), 200);
});

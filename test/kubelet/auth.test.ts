// The kubelet's stream port (10250) answers only the API server: a real
// 1-node `mk8s up` cluster, requests straight to the node IP from the host
// (no client certificate, one from another CA, one from the cluster CA for
// another identity, the apiserver's own), and the same streams through the
// apiserver with the real kubectl.
import test from 'ava';
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, scratchDirs } from '../../testkit/api.js';
import { whyNoClusterTests } from '../cluster/machine.js';
import { R, startCluster, type TestCluster } from '../../testkit/cluster.js';
import { ensureCA, ensureCertPair, type KeyPair } from '../../apiserver/certs.js';

/** Temp dirs of this file, removed after its tests. */
const scratch = scratchDirs(test);

let skip: string | undefined;
let c: TestCluster | undefined;
const nodeIP = '172.31.236.2';
let ca = '';
let apiserverClient: KeyPair;

test.before(async () => {
  skip = await whyNoClusterTests();
  if (skip) return;
  c = await startCluster({ name: 'ka', nodes: 1, bridge: 'mk8ska0', nodeCidr: '172.31.236.0/24', podCidr: '10.236.0.0/16', serviceCidr: '10.116.0.0/16' });
  const dir = join(c.home, 'ka', 'apiserver');
  ca = await readFile(join(dir, 'ca.crt'), 'utf8');
  apiserverClient = { cert: await readFile(join(dir, 'apiserver-kubelet-client.crt'), 'utf8'), key: await readFile(join(dir, 'apiserver-kubelet-client.key'), 'utf8') };
  await c.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: secret-keeper}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo the-secret; exec sleep 3600"]
`,
  });
  await eventually(async () => (await c!.client.get(R.pods, 'default', 'secret-keeper')).status?.phase === 'Running', 60_000, 200);
});

test.after.always(async () => {
  await c?.down();
});

interface Answer {
  code: number;
  body: string;
}

/** A GET straight to the kubelet, trusting the cluster CA for its serving certificate. */
function kubeletGet(path: string, client?: KeyPair): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: nodeIP, port: 10250, path, ca, ...(client ?? {}), agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** A WebSocket upgrade for exec straight to the kubelet: the status line of its answer. */
function kubeletExecUpgrade(client?: KeyPair): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: nodeIP, port: 10250, ca, ...(client ?? {}) }, () => {
      s.write(
        'GET /exec/default/secret-keeper/c?command=cat&command=%2Fproc%2F1%2Fenviron&stdout=1 HTTP/1.1\r\n' +
          `Host: ${nodeIP}:10250\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n',
      );
    });
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        resolve(got.split('\r\n')[0]);
        s.destroy();
      }
    });
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timed out')));
  });
}

test('no client certificate: 401 for logs, healthz and an exec upgrade; plain HTTP is not served', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  const logs = await kubeletGet('/containerLogs/default/secret-keeper/c');
  t.is(logs.code, 401);
  t.notRegex(logs.body, /the-secret/);
  t.is(JSON.parse(logs.body).reason, 'Unauthorized');
  t.is((await kubeletGet('/healthz')).code, 401);
  t.is(await kubeletExecUpgrade(), 'HTTP/1.1 401 Unauthorized');
  // The serving certificate is the cluster CA's, for the node IP (the request above verified it); plain HTTP gets nothing.
  const plain = await new Promise<string>((resolve) => {
    const req = http.get({ host: nodeIP, port: 10250, path: '/containerLogs/default/secret-keeper/c', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`HTTP ${res.statusCode} ${body}`));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
  t.regex(plain, /^error: /);
});

test('a client certificate from another CA: 401, even with the apiserver identity', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  const dir = await scratch('mk8s-otherca-');
  const other = await ensureCA(dir);
  const forged = await ensureCertPair(dir, 'forged', other, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
  const r = await kubeletGet('/containerLogs/default/secret-keeper/c', forged);
  t.is(r.code, 401);
  t.notRegex(r.body, /the-secret/);
  t.is(await kubeletExecUpgrade(forged), 'HTTP/1.1 401 Unauthorized');
});

test('a client certificate from the cluster CA for another identity: 403', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  const dir = join(c.home, 'ka', 'apiserver');
  const clusterCA = { caCert: ca, caKey: await readFile(join(dir, 'ca.key'), 'utf8') };
  const someone = await ensureCertPair(await scratch('mk8s-someone-'), 'someone', clusterCA, { commonName: 'someone', organizations: ['developers'], usage: 'client' });
  const r = await kubeletGet('/containerLogs/default/secret-keeper/c', someone);
  t.is(r.code, 403);
  t.regex(r.body, /Forbidden \(user=someone, verb=get, resource=nodes, subresource=proxy\)/);
  t.is(await kubeletExecUpgrade(someone), 'HTTP/1.1 403 Forbidden');
});

test("the apiserver's client certificate is let in, and the streams work through the apiserver", async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(60_000);
  t.is((await kubeletGet('/healthz', apiserverClient)).code, 200);
  const direct = await kubeletGet('/containerLogs/default/secret-keeper/c', apiserverClient);
  t.is(direct.code, 200);
  t.is(direct.body, 'the-secret\n');
  t.is(await kubeletExecUpgrade(apiserverClient), 'HTTP/1.1 101 Switching Protocols');
  const logs = await c.kubectl(['logs', 'secret-keeper']);
  t.is(logs.stdout, 'the-secret\n', logs.stderr);
  const ex = await c.kubectl(['exec', 'secret-keeper', '--', 'echo', 'through the apiserver']);
  t.is(ex.stdout, 'through the apiserver\n', ex.stderr);
  const mk8s = await c.mk8s(['exec', '-i', 'secret-keeper', '--', 'cat'], { input: 'round trip\n' });
  t.is(mk8s.stdout, 'round trip\n', mk8s.stderr);
});

test('the node certificate and key files are 0600', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  const { stat } = await import('node:fs/promises');
  for (const f of ['pki/kubelet-ka-control-plane.crt', 'pki/kubelet-ka-control-plane.key', 'apiserver/apiserver-kubelet-client.key', 'apiserver/apiserver-kubelet-client.crt', 'apiserver/ca.key']) {
    t.is((await stat(join(c.home, 'ka', f))).mode & 0o777, 0o600, f);
  }
});

test("the node proxy's /rules: only through the apiserver (explain-route --live); its /healthz stays open", async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(60_000);
  t.is((await c.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:80'])).code, 0);
  const plain = (path: string) =>
    new Promise<number>((resolve, reject) => {
      http.get({ host: nodeIP, port: 10256, path, agent: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject);
    });
  t.is(await plain('/healthz'), 200);
  t.is(await plain('/rules?service=default/web'), 401);
  const overTls = (client?: KeyPair) =>
    new Promise<Answer>((resolve, reject) => {
      https.get({ host: nodeIP, port: 10256, path: '/rules?service=default/web', ca, ...(client ?? {}), agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode!, body }));
      }).on('error', reject);
    });
  t.is((await overTls()).code, 401);
  const forged = await ensureCertPair(await scratch('mk8s-otherca-'), 'forged', await ensureCA(await scratch('mk8s-otherca-')), { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client' });
  t.is((await overTls(forged)).code, 401);
  // Through the apiserver, as the CLI asks it: the service's rules with their counters.
  const live = await eventually(async () => {
    const r = await c!.mk8s(['explain-route', 'svc/web', '--live']);
    return /has no endpoints/.test(r.stdout.split('Live rules on node')[1] ?? '') ? r : undefined;
  }, 20_000, 500);
  t.is(live!.code, 0, live!.stderr);
  t.notRegex(live!.stdout, /did not answer/);
  const raw = await c.kubectl(['get', '--raw', '/api/v1/nodes/ka-control-plane:10256/proxy/rules?service=default/web']);
  t.is(raw.code, 0, raw.stderr);
  t.is(JSON.parse(raw.stdout).node, 'ka-control-plane');
});

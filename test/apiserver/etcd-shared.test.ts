// Two API servers on one etcd (Debian's etcd 3.4): allocations are claimed in
// the same etcd transaction as the Service, so 300 NodePort Services created
// concurrently through both, from ranges barely larger than needed, get 300
// distinct ClusterIPs and nodePorts; a watch on one server sees the writes
// made through the other, each once, in resourceVersion order; the keys are
// where kube-apiserver puts them, readable with etcdctl.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { findByPlural } from '../../api/resources.js';
import type { KubeObject, WatchEvent } from '../../api/types.js';
import { resourcePath } from '../../client/http.js';
import { startTestApi, eventually, tempDir, type TestApi } from '../../testkit/api.js';
import { startTestEtcd, type TestEtcd } from '../../testkit/etcd.js';
import { etcdctlCommand } from '../../cluster/etcd.js';
import { exec } from '../../cluster/exec.js';

const services = findByPlural('', 'services')!;
const configmaps = findByPlural('', 'configmaps')!;

let etcd: TestEtcd;
let etcdDir: string;
let a: TestApi;
let b: TestApi;

test.before(async () => {
  etcdDir = await tempDir('mk8s-etcd-shared-');
  etcd = await startTestEtcd(etcdDir);
  // Small ranges: 300 Services from 400 ports and 510 addresses, so random picks collide and the transactions must refuse.
  const opts = { etcd: { endpoints: [etcd.url] }, nodePortRange: '30000-30399', serviceCidr: '10.192.0.0/23' };
  [a, b] = await Promise.all([startTestApi(opts), startTestApi(opts)]);
});

test.after.always(async () => {
  await a?.close();
  await b?.close();
  await etcd?.kill();
  await rm(etcdDir, { recursive: true, force: true });
});

test.serial('300 NodePort Services created concurrently through two API servers: no ClusterIP or nodePort twice', async (t) => {
  const n = 300;
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      (i % 2 ? a : b).client.create(services, 'default', { metadata: { name: `np-${i}` }, spec: { type: 'NodePort', selector: { app: `a${i}` }, ports: [{ port: 80 }] } }),
    ),
  );
  const ips = created.map((s) => s.spec.clusterIP as string);
  const ports = created.map((s) => s.spec.ports[0].nodePort as number);
  t.is(new Set(ips).size, n, 'distinct ClusterIPs');
  t.is(new Set(ports).size, n, 'distinct nodePorts');
  // Both servers' views agree with what was handed out, and the allocation keys in etcd are exactly these.
  for (const api of [a, b]) {
    await eventually(async () => (await api.client.list(services, 'default')).items.filter((s: KubeObject) => s.metadata.name!.startsWith('np-')).length === n);
  }
  const ctl = etcdctlCommand([etcd.url], undefined, ['get', '--prefix', '--keys-only', '/registry/ranges/servicenodeports/']);
  const r = await exec(ctl.argv, { env: { ...process.env, ...ctl.env } });
  const keys = r.stdout.split('\n').filter(Boolean);
  t.deepEqual(keys.map((k) => Number(k.split('/').pop())).sort(), [...ports].sort());
});

test.serial('a watch on one server sees writes made through the other, once each, in order; keys as kube-apiserver lays them out', async (t) => {
  const list = await a.client.list(configmaps, 'default');
  const events: WatchEvent[] = [];
  const w = a.client.watch(resourcePath(configmaps, 'default'), { resourceVersion: list.metadata.resourceVersion }, (e) => events.push(e));
  t.teardown(() => w.close());
  const n = 200;
  // Half written one after another through b (their order is known), half concurrently through both.
  for (let i = 0; i < n / 2; i++) await b.client.create(configmaps, 'default', { metadata: { name: `seq-${i}` } });
  await Promise.all(Array.from({ length: n / 2 }, (_, i) => (i % 2 ? a : b).client.create(configmaps, 'default', { metadata: { name: `par-${i}` } })));
  await eventually(() => events.length >= n, 30_000);
  await new Promise((r) => setTimeout(r, 100));
  t.is(events.length, n);
  t.deepEqual(events.slice(0, n / 2).map((e) => e.object.metadata.name), Array.from({ length: n / 2 }, (_, i) => `seq-${i}`));
  const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
  t.true(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]), 'strictly increasing resourceVersions');
  t.is(new Set(events.map((e) => e.object.metadata.name)).size, n);
  // An update through a with b's resourceVersion from before a's write: 409 on both servers.
  const cm = await b.client.get(configmaps, 'default', 'seq-0');
  await a.client.update(configmaps, { ...cm, data: { by: 'a' } });
  await t.throwsAsync(b.client.update(configmaps, { ...cm, data: { by: 'b' } }), { message: /modified/ });
  const get = etcdctlCommand([etcd.url], undefined, ['get', '/registry/configmaps/default/seq-0', '--print-value-only']);
  const stored = JSON.parse((await exec(get.argv, { env: { ...process.env, ...get.env } })).stdout);
  t.is(stored.data.by, 'a');
  t.is(stored.metadata.resourceVersion, undefined, 'resourceVersion is the key\'s mod_revision, not stored');
  const svc = etcdctlCommand([etcd.url], undefined, ['get', '--prefix', '--keys-only', '/registry/services/specs/default/np-1']);
  t.regex((await exec(svc.argv, { env: { ...process.env, ...svc.env } })).stdout, /\/registry\/services\/specs\/default\/np-1\n/);
  const ns = etcdctlCommand([etcd.url], undefined, ['get', '--keys-only', '/registry/namespaces/kube-system']);
  t.regex((await exec(ns.argv, { env: { ...process.env, ...ns.env } })).stdout, /\/registry\/namespaces\/kube-system/);
});

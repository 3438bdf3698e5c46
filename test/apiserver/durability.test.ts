// Durability: 1,000 objects written, the server killed with SIGKILL,
// restarted on the same data dir: every object, every allocation and the
// resourceVersion counter are intact, and resourceVersions keep increasing.
import test from 'ava';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { findByPlural } from '../../api/resources.js';
import { ApiError } from '../../api/status.js';
import { Client } from '../../client/http.js';
import { tempDir } from '../../testkit/api.js';
import { killHard, spawnApiServer } from '../../testkit/process.js';
import { startTestEtcd, testStorageIsEtcd } from '../../testkit/etcd.js';

const configmaps = findByPlural('', 'configmaps')!;
const services = findByPlural('', 'services')!;

test('kill -9 loses nothing that was acknowledged', async (t) => {
  const dataDir = await tempDir();
  // On etcd (durability.etcd.test.ts) etcd is killed with -9 too, and restarted on its data dir.
  const etcd = testStorageIsEtcd() ? await startTestEtcd(dataDir) : undefined;
  const storageArgs = etcd ? ['--storage', 'etcd', '--etcd-servers', etcd.url] : [];
  const first = await spawnApiServer(['--data-dir', dataDir, '--port', '0', ...storageArgs]);
  t.teardown(async () => {
    await killHard(first.child);
    await etcd?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });
  const auth = async () => ({ token: (await readFile(join(dataDir, 'token'), 'utf8')).trim(), caCert: await readFile(join(dataDir, 'ca.crt'), 'utf8') });
  const c1 = new Client({ server: first.url, ...(await auth()) });
  const n = 1000;
  for (let batch = 0; batch < n; batch += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, i) => c1.create(configmaps, 'default', { metadata: { name: `cm-${batch + i}` }, data: { i: String(batch + i) } })));
  }
  const svcs = [];
  for (let i = 0; i < 10; i++) svcs.push(await c1.create(services, 'default', { metadata: { name: `svc-${i}` }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }));
  const listBefore = await c1.list(configmaps, 'default');
  const rvBefore = Number(listBefore.metadata.resourceVersion);
  c1.close();
  await killHard(first.child);
  if (etcd) {
    await etcd.kill();
    await etcd.restart();
  }

  const second = await spawnApiServer(['--data-dir', dataDir, '--port', '0', ...storageArgs]);
  t.teardown(() => killHard(second.child));
  const c2 = new Client({ server: second.url, ...(await auth()) });
  t.teardown(() => c2.close());
  const list = await c2.list(configmaps, 'default');
  t.is(list.items.length, n);
  t.true(list.items.every((o) => o.data.i === o.metadata.name!.slice(3)));
  t.deepEqual(list.items, listBefore.items, 'every object exactly as it was, resourceVersions included');
  // (The restart itself may write once: the `kubernetes` Endpoints follow the new port.)
  t.true(Number(list.metadata.resourceVersion) >= rvBefore, 'the counter survived');
  const next = await c2.create(configmaps, 'default', { metadata: { name: 'after' } });
  t.true(Number(next.metadata.resourceVersion) > rvBefore, 'resourceVersions keep increasing');
  // Allocations survived: each ClusterIP and nodePort is still taken.
  for (const s of svcs) {
    const e = await t.throwsAsync(
      c2.create(services, 'default', { metadata: { name: `clash-${s.metadata.name}` }, spec: { clusterIP: s.spec.clusterIP, ports: [{ port: 80 }] } }),
      { instanceOf: ApiError },
    );
    t.regex(e!.message, /provided IP is already allocated/);
    const e2 = await t.throwsAsync(
      c2.create(services, 'default', { metadata: { name: `clash2-${s.metadata.name}` }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: s.spec.ports[0].nodePort }] } }),
      { instanceOf: ApiError },
    );
    t.regex(e2!.message, /provided port is already allocated/);
  }
});

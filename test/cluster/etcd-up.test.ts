// `mk8s up --storage etcd` on a real cluster: Debian's etcd runs as a
// recorded process with the cluster CA's TLS, the API server stores in it (a
// Service's key is where kube-apiserver puts it, read with `mk8s etcdctl`),
// the controllers work on it (a Deployment gets its Pods), and `mk8s down`
// stops etcd and removes its data.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, upArgs, R, type TestCluster } from '../../testkit/cluster.js';
import { eventually } from '../../testkit/api.js';
import { processAlive } from '../../cluster/state.js';

let c: TestCluster | undefined;

test.after.always(async () => {
  await c?.down();
});

test('mk8s up --storage etcd: etcd recorded, Services in /registry/services/specs, controllers work, down --keep-data keeps them for the next up, down removes etcd', async (t) => {
  c = await startCluster({ name: 'mk8set', nodes: 1, bridge: 'mk8set0', nodeCidr: '172.31.192.0/24', podCidr: '10.192.0.0/16', serviceCidr: '10.193.0.0/16', extra: ['--storage', 'etcd', '--wait', '120'] });
  const state = await c.state();
  const etcd = state.processes.find((p: any) => p.role === 'etcd');
  t.truthy(etcd, 'etcd is a recorded process');
  t.is(state.processes[0].role, 'control-plane');
  t.true(state.processes[0].argv.includes('--etcd-servers'));
  t.regex(c.upOutput, /etcd: https:\/\/172\.31\.192\.1:2379/);

  await c.client.create(R.services, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  const svc = await c.client.get(R.services, 'default', 'web');
  const r = await c.mk8s(['etcdctl', '--name', 'mk8set', 'get', '/registry/services/specs/default/web', '--print-value-only']);
  t.is(r.code, 0, r.stderr);
  const stored = JSON.parse(r.stdout);
  t.is(stored.spec.clusterIP, svc.spec.clusterIP);
  const keys = await c.mk8s(['etcdctl', '--name', 'mk8set', 'get', '--prefix', '--keys-only', '/registry/minions/']);
  t.regex(keys.stdout, /\/registry\/minions\/mk8set-control-plane/);
  // etcdctl without the client certificate is refused (client-cert-auth).
  const bare = await c.mk8s(['etcdctl', '--name', 'mk8set', 'get', 'x', '--cert=', '--key=', '--dial-timeout=2s', '--command-timeout=3s']);
  t.not(bare.code, 0);

  await c.client.create(R.deployments, 'default', { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'mk8s/hello-from:1' }] } } } });
  await eventually(async () => (await c!.podsOf('app=web')).length === 2, 60_000, 500);

  const dir = join(c.home, 'mk8set');
  // down --keep-data keeps etcd's data and says where; up on it again finds the Service as it was.
  const kept = await c.mk8s(['down', '--name', 'mk8set', '--keep-data'], { timeoutMs: 60_000 });
  t.is(kept.code, 0, kept.stderr);
  t.true(kept.stdout.includes(`(API data kept in ${join(dir, 'etcd')})`), kept.stdout);
  t.false(processAlive(etcd, dir), 'etcd stopped');
  t.true(existsSync(join(dir, 'etcd')), 'its data kept');
  const again = await c.mk8s(upArgs(c.params), { timeoutMs: 120_000 });
  t.is(again.code, 0, again.stdout + again.stderr);
  t.is((await c.client.get(R.services, 'default', 'web')).spec.clusterIP, svc.spec.clusterIP, 'the Service, from the kept etcd data');
  const etcdAgain = (await c.state()).processes.find((p: any) => p.role === 'etcd');

  const d = await c.down();
  c = undefined;
  t.is(d.code, 0, d.stderr);
  t.false(processAlive(etcdAgain, dir), 'etcd stopped');
  t.false(existsSync(join(dir, 'etcd')), 'its data removed');
});

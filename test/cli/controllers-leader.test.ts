// Three `mk8s controllers --leader-elect` processes against one API server:
// exactly one runs the controllers (the holder of the Lease
// kube-system/kube-controller-manager); kill -9 it, and another takes over
// within the lease duration and a Deployment scaled meanwhile converges.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestApi, eventually } from '../../testkit/api.js';
import { killHard } from '../../testkit/process.js';
import { findByKind } from '../../api/resources.js';
import { leases } from '../../client/leaderelection.js';
import { mainJs } from './helpers.js';

const deployments = findByKind('apps/v1', 'Deployment')!;
const replicaSets = findByKind('apps/v1', 'ReplicaSet')!;
const pods = findByKind('v1', 'Pod')!;

interface Instance {
  child: ChildProcess;
  out: () => string;
  identity: string;
}

const LEASE_S = 6;
const RETRY_S = 1;

async function startInstance(kubeconfig: string): Promise<Instance> {
  const child = spawn(
    process.execPath,
    [mainJs, 'controllers', '--kubeconfig', kubeconfig, '--leader-elect', '--leader-elect-lease-duration', `${LEASE_S}s`, '--leader-elect-renew-deadline', '4s', '--leader-elect-retry-period', `${RETRY_S}s`],
    { env: { ...process.env, MK8S_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const m = await eventually(() => /leader election on lease kube-system\/kube-controller-manager as (\S+)/.exec(out), 20_000, 50);
  return { child, out: () => out, identity: m![1] };
}

/** Whether an instance has started its controllers (it logs this only as the leader). */
const acting = (i: Instance) => i.out().includes('"msg":"controllers started"');

async function converged(api: Awaited<ReturnType<typeof startTestApi>>, replicas: number): Promise<boolean> {
  const d = await api.client.get(deployments, 'default', 'web');
  const rss = (await api.client.list(replicaSets, 'default')).items;
  const ps = (await api.client.list(pods, 'default', { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
  return rss.length === 1 && rss[0].spec.replicas === replicas && ps.length === replicas && d.status?.replicas === replicas;
}

test('of three instances exactly one acts; kill -9 it and another takes over within the lease duration', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const kc = api.server.kubeconfigPath;
  const all = await Promise.all([startInstance(kc), startInstance(kc), startInstance(kc)]);
  t.teardown(async () => {
    for (const i of all) await killHard(i.child);
  });
  t.is(new Set(all.map((i) => i.identity)).size, 3, 'three identities');
  for (const i of all) t.regex(i.identity, /^.+_[0-9a-f-]{36}$/, 'hostname_uuid as kube-controller-manager');

  const leaderId = await eventually(async () => (await api.client.get(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity, 20_000, 100);
  const leader = all.find((i) => i.identity === leaderId)!;
  t.truthy(leader, `lease held by ${leaderId}, one of ours`);
  await eventually(() => acting(leader), 20_000, 50);

  await api.client.create(deployments, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'mk8s/hello-from' }] } } },
  });
  await eventually(() => converged(api, 2), 30_000, 100);
  t.deepEqual(all.map(acting), all.map((i) => i === leader), 'only the leader started its controllers');

  const lease = await api.client.get(leases, 'kube-system', 'kube-controller-manager');
  t.is(lease.spec.leaseDurationSeconds, LEASE_S);

  // kill -9 the leader, then scale while no one leads.
  await killHard(leader.child);
  const killed = Date.now();
  await api.client.patch(deployments, 'default', 'web', { spec: { replicas: 4 } });
  const rest = all.filter((i) => i !== leader);
  const next = await eventually(async () => {
    const h = (await api.client.get(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity;
    return h !== leaderId ? h : undefined;
  }, 30_000, 50);
  const tookMs = Date.now() - killed;
  const successor = rest.find((i) => i.identity === next);
  t.truthy(successor, `the new holder ${next} is one of the two left`);
  // The others saw the last renewal at most a retry period before the kill, wait out the lease, then try every retryPeriod*(1..2.2); 2 s slack for a loaded machine.
  t.true(tookMs <= (LEASE_S + RETRY_S * 2.2 + 2) * 1000, `taken over ${tookMs} ms after kill -9 (lease ${LEASE_S} s)`);
  await eventually(() => converged(api, 4), 30_000, 100);
  t.deepEqual(rest.map(acting), rest.map((i) => i === successor), 'only the successor started its controllers');
  const after = await api.client.get(leases, 'kube-system', 'kube-controller-manager');
  t.is(after.spec.leaseTransitions, lease.spec.leaseTransitions + 1);

  // SIGTERM: the successor steps down (releases), and the last one takes over at once.
  const last = rest.find((i) => i !== successor)!;
  const exited = new Promise<number | null>((r) => successor!.child.once('exit', (c) => r(c)));
  const termAt = Date.now();
  successor!.child.kill('SIGTERM');
  t.is(await exited, 0);
  await eventually(async () => (await api.client.get(leases, 'kube-system', 'kube-controller-manager')).spec.holderIdentity === last.identity, 15_000, 50);
  t.true(Date.now() - termAt < LEASE_S * 1000, `a released lease is taken before it would have run out (${Date.now() - termAt} ms)`);
});

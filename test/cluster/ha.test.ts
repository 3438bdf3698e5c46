// `mk8s up --storage etcd --control-planes 3`: an HA control plane on real
// network namespaces. Three etcd members and three API servers (one of each
// per control-plane node, in its namespace), the controllers leader-elected,
// cluster/lb-proxy.ts on the host as the kubeconfig's one address. Under a
// request loop through a NodePort Service and a stream of real `kubectl`
// writes, one etcd member and one API server are killed with SIGKILL, on two
// different nodes: the API server (with its in-process controllers) of the
// node whose controllers hold the Lease, and the etcd member of another node
// (the etcd leader when it is not on that node). Writes succeed again within
// seconds, the Service loses no request once settled, the Lease moves to
// another node's controllers, and a Deployment scaled afterwards converges.
// `mk8s down` leaves no process, namespace, link, route or rule behind.
//
// Workers are the control-plane nodes themselves (--nodes 3): fewer
// processes on a small machine, and the pods then live on the very nodes
// whose control-plane parts are killed, which shows the data path does not
// depend on them.
import test from 'ava';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findByPlural } from '../../api/resources.js';
import { eventually } from '../../testkit/api.js';
import { processAlive } from '../../cluster/state.js';
import { exec } from '../../cluster/exec.js';
import { etcdMembers } from '../../cluster/status.js';
import { diffSnapshots, snapshotMachine, whyNoClusterTests } from './machine.js';
import { R, runningPods, startCluster, type ClusterParams, type TestCluster } from '../../testkit/cluster.js';

const params: ClusterParams = {
  name: 'ha',
  nodes: 3,
  bridge: 'mk8sha0',
  nodeCidr: '172.31.200.0/24',
  podCidr: '10.200.0.0/16',
  serviceCidr: '10.201.0.0/16',
  extra: ['--storage', 'etcd', '--control-planes', '3', '--wait', '120'],
};
/** What of a machine snapshot belongs to this cluster (other tests may run beside it). */
const ours = ['mk8sha0', 'ha-control-plane', '172.31.200.', '10.200.', '10.201.', '10.202.', 'MK8S-FORWARD-mk8sha0'];
/** A LoadBalancer pool outside the node network: the host gets an on-link route for it on the bridge (the route is its safety route). */
const outsidePool = '10.202.9.0-10.202.9.7';
const leases = findByPlural('coordination.k8s.io', 'leases')!;

/** After the kill: writes may fail this long (an etcd election, connections to the dead API server). */
const WRITE_OUTAGE_MS = 10_000;
/** After the kill: the Service is settled after this long (it is expected to lose nothing at all). */
const SERVICE_SETTLE_MS = 5_000;

let c: TestCluster | undefined;

test.after.always(async () => {
  await c?.down();
});

const web = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: mk8s/hello-from:1
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
`;

/** One GET with a short timeout: true when it answered 200. */
function get(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(false));
  });
}

interface Sample {
  at: number;
  end: number;
  ok: boolean;
  what: string;
}

/** A loop that runs `step` back to back until stopped, recording each result; `waitFor(n)` resolves once n more have succeeded. */
function loop(step: (i: number) => Promise<{ ok: boolean; what: string }>, pauseMs: number) {
  const samples: Sample[] = [];
  let stopped = false;
  let waiters: { okAfter: number; want: number; resolve: () => void }[] = [];
  const oks = () => samples.filter((s) => s.ok).length;
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      const at = Date.now();
      const r = await step(i);
      samples.push({ at, end: Date.now(), ...r });
      const n = oks();
      waiters = waiters.filter((w) => (n - w.okAfter >= w.want ? (w.resolve(), false) : true));
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    samples,
    /** Until `want` more steps have succeeded from now. */
    waitFor(want: number, timeoutMs: number, what: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${what}: ${want} successes not seen in ${timeoutMs / 1000}s; last: ${samples.at(-1)?.what}`)), timeoutMs);
        waiters.push({ okAfter: oks(), want, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

test('3 control planes: kill -9 an etcd member and the leading API server; writes resume, the Service loses nothing, the controllers move, down leaves nothing', async (t) => {
  t.timeout(240_000);
  const skip = await whyNoClusterTests();
  if (skip) return t.pass(`skipped: ${skip}`);
  const started = Date.now();
  const before = await snapshotMachine();
  c = await startCluster(params);
  const cluster = c;
  t.log(`mk8s up (3 control planes) took ${cluster.upSeconds.toFixed(1)} s`);

  // What runs where.
  const state = await cluster.state();
  const dir = join(cluster.home, params.name);
  const cpNodes = ['ha-control-plane', 'ha-control-plane2', 'ha-control-plane3'];
  const byRole = (role: string) => state.processes.filter((p: any) => p.role === role);
  t.deepEqual(byRole('etcd').map((p: any) => p.node).sort(), cpNodes);
  t.deepEqual(byRole('control-plane').map((p: any) => p.node).sort(), cpNodes);
  t.is(byRole('lb-proxy').length, 1);
  for (const p of [...byRole('etcd'), ...byRole('control-plane')]) {
    t.deepEqual(p.argv.slice(0, 4), ['ip', 'netns', 'exec', p.node], `${p.role} ${p.node} runs in its node's namespace`);
  }
  t.is(new Set(byRole('etcd').map((p: any) => p.argv[p.argv.indexOf('--data-dir') + 1])).size, 3, 'each member its own data dir');
  t.true(byRole('control-plane').every((p: any) => p.argv.includes('--leader-elect')));
  t.is(cluster.client.config.server, 'https://172.31.200.1:6443', 'the kubeconfig lists the load balancer');
  const status = await cluster.mk8s(['status', '--name', params.name]);
  t.is(status.code, 0, status.stdout + status.stderr);
  t.is((status.stdout.match(/https:\/\/172\.31\.200\.\d:2379\s+healthy/g) ?? []).length, 3, status.stdout);
  t.is((status.stdout.match(/healthy\s+leader/g) ?? []).length, 1, status.stdout);

  // The host's pool routes, kept by the pool-routes process on the host (the control planes run in node namespaces).
  t.is(byRole('pool-routes').length, 1);
  await cluster.client.create(findByPlural('', 'namespaces')!, undefined, { metadata: { name: 'mk8s-system' } });
  await cluster.client.create(findByPlural('', 'configmaps')!, 'mk8s-system', { metadata: { name: 'lb-pool' }, data: { ranges: outsidePool } });
  await eventually(async () => (await exec(['ip', '-4', 'route', 'show', 'dev', params.bridge, 'proto', '77'])).stdout.includes('10.202.9.0/29'), 20_000, 100);

  // A Service with pods on every node, answering on a node port.
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: web });
  t.is(applied.code, 0, applied.stderr);
  await runningPods(cluster, 'app=web', 3, 60_000);
  const nodePort: number = (await cluster.client.get(R.services, 'default', 'web')).spec.ports[0].nodePort;
  const nodeIps = ['172.31.200.2', '172.31.200.3', '172.31.200.4'];
  await eventually(() => get(nodeIps[0], nodePort), 20_000, 100);

  const requests = loop(async (i) => {
    const ip = nodeIps[i % nodeIps.length];
    return { ok: await get(ip, nodePort), what: `GET ${ip}:${nodePort}` };
  }, 20);
  const writes = loop(async (i) => {
    const r = await cluster.kubectl(['create', 'configmap', `w-${i}`, `--from-literal=i=${i}`, '--request-timeout=10s'], { timeoutMs: 15_000 });
    return { ok: r.code === 0, what: `configmap w-${i}: ${r.code === 0 ? 'created' : r.stderr.trim()}` };
  }, 0);
  try {
    await Promise.all([requests.waitFor(20, 20_000, 'requests before the kill'), writes.waitFor(5, 30_000, 'writes before the kill')]);

    // Whom to kill: the API server of the node whose controllers lead, the etcd member of another node (the etcd leader if it is not there).
    const lease = await cluster.client.get(leases, 'kube-system', 'kube-controller-manager');
    const holder: string = lease.spec.holderIdentity;
    const apiNode = holder.split('_')[0];
    t.true(cpNodes.includes(apiNode), holder);
    const members = await etcdMembers(state);
    const etcdLeader = members.find((m) => m.leader)?.name;
    const etcdNode = etcdLeader && etcdLeader !== apiNode ? etcdLeader : cpNodes.find((n) => n !== apiNode)!;
    const apiProc = byRole('control-plane').find((p: any) => p.node === apiNode);
    const etcdProc = byRole('etcd').find((p: any) => p.node === etcdNode);
    t.log(`kill -9: control plane (API server + leading controllers) on ${apiNode} pid ${apiProc.pid}; etcd member on ${etcdNode} pid ${etcdProc.pid}${etcdNode === etcdLeader ? ' (the etcd leader)' : ''}`);
    const t0 = Date.now();
    process.kill(apiProc.pid, 'SIGKILL');
    process.kill(etcdProc.pid, 'SIGKILL');
    await eventually(() => !processAlive(apiProc, dir) && !processAlive(etcdProc, dir), 5000, 20);

    // The controllers move: another node's instance takes the Lease once it expires (15 s, kube-controller-manager's default).
    const moved = await eventually(async () => {
      const l = await cluster.client.get(leases, 'kube-system', 'kube-controller-manager');
      const h: string | undefined = l.spec.holderIdentity;
      return h && h !== holder ? h : undefined;
    }, 40_000, 200);
    const movedAfter = Date.now() - t0;
    t.log(`Lease kube-system/kube-controller-manager: ${holder} -> ${moved} after ${(movedAfter / 1000).toFixed(1)} s`);
    t.not(moved!.split('_')[0], apiNode);

    // The killed member shows in status; the other two keep the quorum.
    const after = await etcdMembers(state);
    t.deepEqual(after.filter((m) => !m.healthy).map((m) => m.name), [etcdNode]);
    t.is(after.filter((m) => m.leader).length, 1, JSON.stringify(after));

    // A Deployment scaled now converges: the new leader's controllers act.
    const scaled = await cluster.kubectl(['scale', 'deployment', 'web', '--replicas=5']);
    t.is(scaled.code, 0, scaled.stderr);
    await runningPods(cluster, 'app=web', 5, 60_000);
    t.log(`scaled to 5 and converged ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill`);

    // And both loops keep going for a while after that.
    await Promise.all([requests.waitFor(30, 30_000, 'requests after convergence'), writes.waitFor(5, 30_000, 'writes after convergence')]);
    await Promise.all([requests.stop(), writes.stop()]);

    const wFails = writes.samples.filter((s) => !s.ok);
    // A write in flight at the kill counts as after it (it is the one an etcd election stalls).
    const wAfter = writes.samples.filter((s) => s.end >= t0);
    const slowest = Math.max(...wAfter.map((s) => s.end - s.at));
    t.log(`writes: ${writes.samples.length} (${wAfter.length} after the kill), ${wFails.length} failed${wFails.length ? ` (${wFails.map((s) => `+${((s.at - t0) / 1000).toFixed(1)} s ${s.what}`).join('; ')})` : ''}; slowest after the kill ${slowest} ms`);
    t.deepEqual(wFails.filter((s) => s.end < t0), [], 'no write failed before the kill');
    t.deepEqual(wFails.filter((s) => s.at > t0 + WRITE_OUTAGE_MS), [], `every write started more than ${WRITE_OUTAGE_MS / 1000} s after the kill succeeded`);
    t.true(wAfter.filter((s) => s.ok && s.at > t0 + WRITE_OUTAGE_MS).length >= 5);
    const lastFail = wFails.at(-1);
    if (lastFail) t.log(`writes succeeded again ${((lastFail.end - t0) / 1000).toFixed(1)} s after the kill`);

    const rFails = requests.samples.filter((s) => !s.ok);
    t.log(`requests: ${requests.samples.length}, ${rFails.length} failed${rFails.length ? ` (${rFails.map((s) => `+${((s.at - t0) / 1000).toFixed(1)} s ${s.what}`).join('; ')})` : ''}`);
    t.deepEqual(rFails.filter((s) => s.end < t0 || s.at > t0 + SERVICE_SETTLE_MS), [], 'the Service lost no request once settled');
    t.true(requests.samples.filter((s) => s.ok && s.at > t0 + movedAfter).length >= 30);
  } finally {
    await Promise.all([requests.stop(), writes.stop()]);
  }

  // down: every recorded process ends, and the machine is as before (as far as this cluster goes).
  const recorded = (await cluster.state()).processes;
  const d = await cluster.mk8s(['down', '--name', params.name], { timeoutMs: 120_000 });
  t.is(d.code, 0, d.stdout + d.stderr);
  t.deepEqual(recorded.filter((p: any) => processAlive(p, dir)).map((p: any) => `${p.role} ${p.node ?? ''} ${p.pid}`), [], 'no process left');
  t.false(existsSync(dir), 'the cluster dir (etcd data included) is removed');
  const diff = diffSnapshots(before, await snapshotMachine()).filter((l) => ours.some((o) => l.includes(o)));
  t.deepEqual(diff, [], 'nothing of the cluster is left on the machine');
  t.log(`whole test ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

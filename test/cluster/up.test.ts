// `mk8s up` end to end on real Docker and real network namespaces: a
// 2-node cluster from nothing, a Deployment of pbitty/hello-from whose pods
// reach each other and the host reaches, pod deletion, a kubelet killed and
// restarted, a node lost for good, and `mk8s down` leaving the machine as it
// found it. One cluster shared by the serial tests of this file.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../../cluster/exec.js';
import { eventually } from '../../testkit/api.js';
import { diffSnapshots, snapshotMachine, whyNoClusterTests, type MachineSnapshot } from './machine.js';
import { R, httpFromPod, runningPods, startCluster, type ClusterParams, type TestCluster } from '../../testkit/cluster.js';

const params: ClusterParams = {
  name: 'tc',
  nodes: 2,
  bridge: 'mk8stc0',
  nodeCidr: '172.31.241.0/24',
  podCidr: '10.241.0.0/16',
  serviceCidr: '10.113.0.0/16',
  // The lease is renewed every 10 s: a node is lost after 15 s, its pods evicted 2 s later.
  extra: ['--node-monitor-grace-period', '15', '--pod-eviction-timeout', '2'],
};
/** What of a machine snapshot belongs to this cluster (other tests may run beside it). */
const ours = ['mk8stc0', 'tc-control-plane', 'tc-worker', '172.31.241.', '10.241.', '10.113.', 'MK8S-FORWARD-mk8stc0'];

let skip: string | undefined;
let before: MachineSnapshot;
let c: TestCluster | undefined;

test.before(async () => {
  skip = await whyNoClusterTests();
  if (skip) return;
  before = await snapshotMachine();
  c = await startCluster(params);
});

test.after.always(async () => {
  await c?.down();
});

const hello = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 3
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
      - name: hello
        image: pbitty/hello-from
        ports:
        - containerPort: 80
`;

const inCidr = (ip: string, cidr: string) => ip.startsWith(cidr.split('.').slice(0, 3).join('.') + '.');

test.serial('mk8s up: both nodes Ready with their InternalIP and a docker:// runtime; a second up says it is up', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.log(`mk8s up took ${c.upSeconds.toFixed(1)} s`);
  const wide = await c.mk8s(['get', 'no', '-o', 'wide']);
  t.is(wide.code, 0, wide.stderr);
  for (const [name, ip] of [['tc-control-plane', '172.31.241.2'], ['tc-worker', '172.31.241.3']]) {
    const line = wide.stdout.split('\n').find((l) => l.startsWith(name + ' '));
    t.truthy(line, wide.stdout);
    t.regex(line!, /\sReady\s/);
    t.true(line!.includes(ip), line);
    t.regex(line!, /docker:\/\//);
  }
  const kubectl = await c.kubectl(['get', 'nodes', '-o', 'wide']);
  t.is(kubectl.code, 0, kubectl.stderr);
  t.regex(kubectl.stdout, /tc-control-plane\s+Ready\s+control-plane/);
  const again = await c.mk8s(['up', '--name', 'tc']);
  t.is(again.code, 0);
  t.regex(again.stdout, /already up/);
});

test.serial('a Deployment of pbitty/hello-from: 3 pods on both nodes, each reaching the others and reached by the host', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(120_000);
  const applied = await c.kubectl(['apply', '-f', '-'], { input: hello });
  t.is(applied.code, 0, applied.stderr);
  const pods = await runningPods(c, 'app=hello', 3, 60_000);
  const nodes = (await c.client.list(R.nodes)).items;
  const cidrOf = new Map(nodes.map((n) => [n.metadata.name!, n.spec.podCIDR as string]));
  const ips = pods.map((p) => p.status.podIP as string);
  t.is(new Set(ips).size, 3, 'distinct pod IPs');
  for (const p of pods) t.true(inCidr(p.status.podIP, cidrOf.get(p.spec.nodeName)!), `${p.status.podIP} in ${cidrOf.get(p.spec.nodeName)}`);
  t.is(new Set(pods.map((p) => p.spec.nodeName)).size, 2, 'pods on both nodes');
  // Every pod reaches every other pod by IP, across nodes.
  for (const from of pods) {
    for (const to of pods) {
      if (from === to) continue;
      const r = await httpFromPod(c, from.metadata.name!, to.status.podIP);
      t.is(r.code, 0, r.stderr);
      t.true(r.stdout.includes(`Hello from ${to.metadata.name} (${to.status.podIP})`), r.stdout);
    }
  }
  // The host reaches each pod, and each serves its own name and IP.
  for (const p of pods) {
    const res = await fetch(`http://${p.status.podIP}/`, { signal: AbortSignal.timeout(5000) });
    t.is((await res.text()).trim(), `Hello from ${p.metadata.name} (${p.status.podIP})`);
  }
  // The stand-in is announced with an Event.
  const events = (await c.client.list(R.events, 'default')).items;
  t.true(events.some((e) => e.reason === 'StandIn' && /mk8s\/hello-from:1\.0/.test(e.message)));
});

test.serial('deleting a pod: the replacement gets a new IP; the old containers, veth and IPAM lease are gone', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(90_000);
  const [victim] = await runningPods(c, 'app=hello', 3);
  const { uid } = victim.metadata;
  const node = victim.spec.nodeName as string;
  const oldIP = victim.status.podIP as string;
  const del = await c.kubectl(['delete', 'pod', victim.metadata.name!], { timeoutMs: 60_000 });
  t.is(del.code, 0, del.stderr);
  const pods = await runningPods(c, 'app=hello', 3);
  const replacement = pods.find((p) => !p.metadata.name!.startsWith(victim.metadata.name!) && p.metadata.uid !== uid);
  t.truthy(replacement);
  t.false(pods.some((p) => p.status.podIP === oldIP), 'no pod has the old IP');
  const leftovers = await exec(['docker', 'ps', '-aq', '--filter', `label=io.mk8s.pod-uid=${uid}`]);
  t.is(leftovers.stdout.trim(), '', 'no container of the deleted pod');
  t.false(existsSync(join(c.home, 'tc', 'nodes', node, 'ipam', 'mk8s', oldIP)), 'IPAM lease released');
  // One veth on the node's cni0 per pod of that node.
  const onNode = pods.filter((p) => p.spec.nodeName === node).length;
  const veths = await exec(['ip', 'netns', 'exec', node, 'ip', '-o', 'link', 'show', 'master', 'cni0']);
  t.is(veths.stdout.trim().split('\n').filter(Boolean).length, onNode, veths.stdout);
});

test.serial('kill -9 a node agent (its kubelet) and restart it: running pods keep running with their IPs, no duplicates; orphans are removed', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(90_000);
  const pods = await runningPods(c, 'app=hello', 3);
  const before = new Map(pods.map((p) => [p.metadata.name!, { ip: p.status.podIP, id: p.status.containerStatuses[0].containerID }]));
  const state = await c.state();
  const kubelet = state.processes.find((p: any) => (p.role === 'node' || p.role === 'kubelet') && p.node === 'tc-worker');
  process.kill(kubelet.pid, 'SIGKILL');
  await eventually(() => !alive(kubelet.pid), 5000);
  // While it is down, a pod of its node is force-deleted: its containers become orphans.
  const orphan = pods.find((p) => p.spec.nodeName === 'tc-worker')!;
  before.delete(orphan.metadata.name!);
  const force = await c.kubectl(['delete', 'pod', orphan.metadata.name!, '--grace-period=0', '--force']);
  t.is(force.code, 0, force.stderr);
  const again = await c.mk8s(['up', '--name', 'tc'], { timeoutMs: 90_000 });
  t.is(again.code, 0, again.stdout + again.stderr);
  t.regex(again.stdout, /restarted (node agent|kubelet) on tc-worker/);
  // Let the restarted kubelet sync a few times, then compare.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await runningPods(c, 'app=hello', 3);
  // The orphan's containers, IPAM lease and veth are gone.
  await eventually(async () => (await exec(['docker', 'ps', '-aq', '--filter', `label=io.mk8s.pod-uid=${orphan.metadata.uid}`])).stdout.trim() === '', 15_000, 200);
  t.false(existsSync(join(c.home, 'tc', 'nodes', 'tc-worker', 'ipam', 'mk8s', orphan.status.podIP)), 'orphan IPAM lease released');
  const onWorker = after.filter((p) => p.spec.nodeName === 'tc-worker').length;
  const veths = await exec(['ip', 'netns', 'exec', 'tc-worker', 'ip', '-o', 'link', 'show', 'master', 'cni0']);
  t.is(veths.stdout.trim().split('\n').filter(Boolean).length, onWorker, veths.stdout);
  for (const p of after) {
    if (!before.has(p.metadata.name!)) continue; // the orphan's replacement
    t.deepEqual({ ip: p.status.podIP, id: p.status.containerStatuses[0].containerID }, before.get(p.metadata.name!), p.metadata.name);
    t.is(p.status.containerStatuses[0].restartCount, 0);
    const running = await exec(['docker', 'ps', '-q', '--filter', `label=io.mk8s.pod-uid=${p.metadata.uid}`]);
    t.is(running.stdout.trim().split('\n').length, 2, `pause + app for ${p.metadata.name}`);
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.serial("a node whose agent (its kubelet) stops for good: its pods are recreated on the other node", async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(120_000);
  const state = await c.state();
  const kubelet = state.processes.find((p: any) => (p.role === 'node' || p.role === 'kubelet') && p.node === 'tc-worker');
  process.kill(kubelet.pid, 'SIGTERM');
  const pods = await eventually(async () => {
    const now = await runningPods(c!, 'app=hello', 3, 90_000);
    return now.every((p) => p.spec.nodeName === 'tc-control-plane') ? now : undefined;
  }, 100_000, 500);
  t.true(pods!.every((p) => p.spec.nodeName === 'tc-control-plane'));
  const node = await c.client.get(R.nodes, undefined, 'tc-worker');
  t.not(node.status.conditions.find((x: any) => x.type === 'Ready').status, 'True');
});

test.serial('mk8s down removes everything mk8s up made', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(120_000);
  const home = c.home;
  const r = await c.down();
  c = undefined;
  t.is(r.code, 0, r.stdout + r.stderr);
  const diff = diffSnapshots(before, await snapshotMachine());
  const mine = diff.filter((l) => ours.some((o) => l.includes(o)));
  const others = diff.filter((l) => !mine.includes(l));
  if (others.length) t.log(`changes on the machine not made by this cluster (other tests running?):\n${others.join('\n')}`);
  t.deepEqual(mine, []);
  t.false(existsSync(join(home, 'tc')));
});

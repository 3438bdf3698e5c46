// `docker-compose up -d` end to end with Debian's docker-compose 1.29: the
// image builds through the offline base (images/base-offline.sh), two node
// containers turn Ready, tutorial 000's traffic works (NodePort on both node
// IPs and a LoadBalancer IP from the host, ClusterIP from a pod on the other
// node, DNS from a pod), side by side with an `mk8s up` cluster, a killed
// kubelet recovers under a request loop, a restarted node container brings
// its pods back, and `docker-compose down -v` leaves the host as it was.
// Its own project, ranges, API port and kubeconfig folder, so a user's
// compose cluster (and `mk8s up` clusters) are left alone.
import test from 'ava';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../client/http.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import type { KubeObject } from '../../api/types.js';
import { exec } from '../../cluster/exec.js';
import { eventually } from '../../testkit/api.js';
import { R, isReady, startCluster } from '../../testkit/cluster.js';
import { mk8sBin, repoRoot, run } from '../../testkit/process.js';
import { diffSnapshots, snapshotMachine, whyNoClusterTests } from '../cluster/machine.js';

const NET = '172.29.7';
const env = {
  COMPOSE_PROJECT_NAME: 'mk8s-compose-e2e',
  MK8S_NODE_NET: NET,
  MK8S_POD_CIDR: '10.247.0.0/16',
  MK8S_SERVICE_CIDR: '10.113.0.0/16',
  MK8S_API_PORT: '16443',
};
const nodeIp = { 'node-1': `${NET}.11`, 'node-2': `${NET}.12` } as const;

async function whyNot(): Promise<string | undefined> {
  const why = await whyNoClusterTests();
  if (why) return why;
  if ((await exec(['docker-compose', 'version', '--short'])).code !== 0) return "needs Debian's docker-compose (apt-get install docker-compose)";
  const base = await exec(['docker', 'image', 'inspect', 'node:20-bookworm-slim']);
  if (base.code !== 0 && (await exec(['sh', '-c', 'command -v mmdebstrap'])).code !== 0) return 'needs the node:20-bookworm-slim image or mmdebstrap to make it (images/base-offline.sh)';
  return undefined;
}

let kubeDir = '';
const compose = (args: string[], timeoutMs = 120_000) =>
  run('docker-compose', ['--project-directory', repoRoot, '-f', join(repoRoot, 'docker-compose.yml'), ...args], { env: { ...env, MK8S_KUBECONFIG_DIR: kubeDir }, timeoutMs });
const kubectl = (args: string[], timeoutMs = 30_000) => run('kubectl', ['--kubeconfig', join(kubeDir, 'kubeconfig'), ...args], { timeoutMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An HTTP GET from the host (curl), its body or the error. */
async function get(url: string): Promise<{ ok: boolean; body: string }> {
  const r = await exec(['curl', '-sS', '--max-time', '3', url], { timeoutMs: 5000 });
  return { ok: r.code === 0, body: r.code === 0 ? r.stdout : r.stderr };
}

async function podContainers(): Promise<string[]> {
  const out: string[] = [];
  for (const n of Object.keys(nodeIp)) out.push(...(await exec(['docker', 'ps', '-aq', '--filter', `label=io.mk8s.node=${n}`])).stdout.split('\n').filter(Boolean));
  return out;
}

// The image, in a test of its own (ava's 2-minute inactivity timeout applies per test; .ci/run builds it first).
test.serial('the image builds through the offline base', async (t) => {
  const why = await whyNot();
  if (why) {
    t.log(`skipped: ${why}`);
    t.pass();
    return;
  }
  t.timeout(8 * 60_000);
  let started = Date.now();
  const base = await run(join(repoRoot, 'images', 'base-offline.sh'), [], { timeoutMs: 300_000 });
  t.is(base.code, 0, base.stderr);
  t.log(`images/base-offline.sh: ${((Date.now() - started) / 1000).toFixed(1)} s (${base.stderr.trim().split('\n').pop()})`);
  started = Date.now();
  kubeDir = tmpdir();
  const build = await compose(['build'], 480_000);
  t.is(build.code, 0, build.stderr.slice(-3000));
  t.log(`image build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.serial('docker-compose up: 2 Ready nodes, tutorial 000 traffic, beside mk8s up, kubelet kill and node restart recover, down leaves nothing', async (t) => {
  const why = await whyNot();
  if (why) {
    t.log(`skipped: ${why}`);
    t.pass();
    return;
  }
  t.timeout(5 * 60_000);
  kubeDir = await mkdtemp(join(tmpdir(), 'mk8s-compose-e2e-'));
  // As a clone's .mk8s/ of a user who is not root: the kubeconfig must be theirs.
  await chown(kubeDir, 1000, 1000);
  // A run that died before its cleanup.
  await compose(['down', '-v', '--remove-orphans']);
  const before = await snapshotMachine();

  let client: Client | undefined;
  try {
    const started = Date.now();
    const up = await compose(['up', '-d'], 180_000);
    t.is(up.code, 0, up.stderr.slice(-3000));
    const kubeconfig = join(kubeDir, 'kubeconfig');
    await eventually(() => existsSync(kubeconfig), 60_000, 200);
    client = new Client(loadKubeconfig(kubeconfig));
    const c = client;
    t.regex(loadKubeconfig(kubeconfig).server, /^https:\/\/127\.0\.0\.1:16443$/);
    const st = await stat(kubeconfig);
    t.deepEqual([st.uid, st.gid, st.mode & 0o777], [1000, 1000, 0o600], 'the kubeconfig is the folder owner\'s, readable only by them');
    const readyNodes = async () => (await c.list(R.nodes, undefined)).items.filter((n) => (n.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True')).map((n) => n.metadata.name!);
    await eventually(async () => ((await readyNodes().catch(() => [])).length === 2 ? true : undefined), 120_000, 250);
    const readySeconds = (Date.now() - started) / 1000;
    t.log(`docker-compose up -d -> 2 nodes Ready: ${readySeconds.toFixed(1)} s`);
    t.deepEqual((await readyNodes()).sort(), ['node-1', 'node-2']);

    // The tools: kubectl from the host, mk8s inside the control-plane container.
    const k = await kubectl(['get', 'nodes', '-o', 'wide']);
    t.is(k.code, 0, k.stderr);
    t.regex(k.stdout, new RegExp(`node-2\\s+Ready.*${NET.replace(/\./g, '\\.')}\\.12`));
    const hostMk8s = await run(process.execPath, [mk8sBin, '--kubeconfig', kubeconfig, 'get', 'nodes']);
    t.is(hostMk8s.code, 0, hostMk8s.stderr);
    t.regex(hostMk8s.stdout, /node-1\s+Ready/);
    const inside = await compose(['exec', '-T', 'control-plane', 'mk8s', 'get', 'nodes']);
    t.is(inside.code, 0, inside.stderr);
    t.regex(inside.stdout, /node-1\s+Ready/);

    // Tutorial 000: a 3-replica deployment over both nodes, NodePort 31117, a LoadBalancer.
    t.is((await kubectl(['create', 'deployment', 'hello', '--image=pbitty/hello-from', '--replicas=3', '--port=80'])).code, 0);
    const services = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello' }, spec: { type: 'NodePort', selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 80, nodePort: 31117 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello-lb' }, spec: { type: 'LoadBalancer', selector: { app: 'hello' }, ports: [{ port: 80, targetPort: 80 }] } },
    ];
    const np = await run('kubectl', ['--kubeconfig', join(kubeDir, 'kubeconfig'), 'apply', '--validate=false', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: services }), timeoutMs: 30_000 });
    t.is(np.code, 0, np.stderr);
    const pods = (await eventually(async () => {
      const items = (await c.list(R.pods, 'default', { labelSelector: 'app=hello' })).items.filter((p) => !p.metadata.deletionTimestamp);
      return items.length === 3 && items.every((p) => p.status?.phase === 'Running' && isReady(p)) ? items : undefined;
    }, 120_000, 250))!;
    t.deepEqual([...new Set(pods.map((p) => p.spec.nodeName))].sort(), ['node-1', 'node-2'], 'spread over both nodes');
    for (const ip of Object.values(nodeIp)) {
      const r = await eventually(async () => {
        const g = await get(`http://${ip}:31117/`);
        return g.ok ? g : undefined;
      }, 20_000, 250);
      t.true(r!.ok, `NodePort on ${ip}`);
    }
    const svc = await c.get(R.services, 'default', 'hello');
    const clusterIp = svc.spec.clusterIP as string;
    t.regex(clusterIp, /^10\.113\./);
    // From a pod on node-2 to the ClusterIP, answered by pods on both nodes.
    const client2 = pods.find((p) => p.spec.nodeName === 'node-2')!;
    const answered = new Set<string>();
    for (let i = 0; i < 20 && answered.size < 2; i++) {
      const r = await kubectl(['exec', client2.metadata.name!, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${clusterIp} 80`]);
      t.is(r.code, 0, r.stderr);
      for (const p of pods) if (r.stdout.includes(p.metadata.name!)) answered.add(p.spec.nodeName);
    }
    t.deepEqual([...answered].sort(), ['node-1', 'node-2'], 'ClusterIP reaches pods on the other node');
    const dns = await kubectl(['exec', client2.metadata.name!, '--', 'nslookup', 'hello.default.svc.cluster.local']);
    t.is(dns.code, 0, dns.stderr + dns.stdout);
    t.true(dns.stdout.includes(clusterIp), dns.stdout);
    const lb = (await eventually(async () => (await c.get(R.services, 'default', 'hello-lb')).status?.loadBalancer?.ingress?.[0]?.ip as string | undefined, 30_000, 250))!;
    t.regex(lb, new RegExp(`^${NET.replace(/\./g, '\\.')}\\.2[0-5]\\d$`));
    const lbGet = await eventually(async () => {
      const g = await get(`http://${lb}/`);
      return g.ok ? g : undefined;
    }, 30_000, 250);
    t.true(lbGet!.ok, `LoadBalancer ${lb} from the host`);

    // Side by side with an `mk8s up` cluster (its own test ranges): both work, neither disturbs the other.
    const other = await startCluster({ name: 'mk8s-cmp', nodes: 1, bridge: 'mk8scmp0', nodeCidr: '172.31.207.0/24', podCidr: '10.250.0.0/16', serviceCidr: '10.251.0.0/16' });
    try {
      const otherNodes = await other.kubectl(['get', 'nodes']);
      t.regex(otherNodes.stdout, /mk8s-cmp-control-plane\s+Ready/);
      t.deepEqual((await readyNodes()).sort(), ['node-1', 'node-2'], 'the compose nodes stay Ready');
      for (const ip of Object.values(nodeIp)) t.true((await get(`http://${ip}:31117/`)).ok, `NodePort on ${ip} with mk8s up running`);
    } finally {
      const d = await other.down();
      t.is(d.code, 0, d.stderr);
    }
    t.true((await get(`http://${lb}/`)).ok, 'the LoadBalancer IP still answers after mk8s down');

    // Kill node-2's kubelet (by its PID) under a request loop on node-2's NodePort.
    const containersBefore = (await podContainers()).sort();
    const pid = Number((await compose(['exec', '-T', 'node-2', 'cat', '/run/mk8s-kubelet.pid'])).stdout.trim());
    t.true(pid > 1, 'kubelet pid');
    let loop = true;
    const results: boolean[] = [];
    const requests = (async () => {
      while (loop) {
        results.push((await get(`http://${nodeIp['node-2']}:31117/`)).ok);
        await sleep(100);
      }
    })();
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => {
      const newPid = Number((await compose(['exec', '-T', 'node-2', 'cat', '/run/mk8s-kubelet.pid'])).stdout.trim());
      return newPid && newPid !== pid ? true : undefined;
    }, 30_000, 250);
    // Recovered: node-2 Ready with a heartbeat after the kill, its pods Running, no container more or less.
    await eventually(async () => {
      const n = await c.get(R.nodes, undefined, 'node-2');
      const ready = (n.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
      return ready?.status === 'True' && Date.parse(ready.lastHeartbeatTime) >= Math.floor(killedAt / 1000) * 1000 ? true : undefined;
    }, 60_000, 250);
    const after = (await eventually(async () => {
      const items = (await c.list(R.pods, 'default', { labelSelector: 'app=hello' })).items.filter((p: KubeObject) => !p.metadata.deletionTimestamp);
      return items.length === 3 && items.every((p) => p.status?.phase === 'Running' && isReady(p)) ? items : undefined;
    }, 60_000, 250))!;
    t.deepEqual(after.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'the same pods, adopted by the new kubelet');
    await sleep(1000);
    loop = false;
    await requests;
    t.true(results.length > 5);
    t.true(results.slice(-3).every(Boolean), `requests answer after the restart (${results.filter(Boolean).length}/${results.length} ok)`);
    t.deepEqual((await podContainers()).sort(), containersBefore, 'no container leaked or lost');

    // Restarting node-2's container: it removes its pods on the way down, the new kubelet starts them again.
    const restartedAt = Date.now();
    const restart = await compose(['restart', 'node-2'], 60_000);
    t.is(restart.code, 0, restart.stderr);
    await eventually(async () => {
      const n = await c.get(R.nodes, undefined, 'node-2');
      const ready = (n.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
      return ready?.status === 'True' && Date.parse(ready.lastHeartbeatTime) >= Math.floor(restartedAt / 1000) * 1000 ? true : undefined;
    }, 60_000, 250);
    const onNode2 = pods.filter((p) => p.spec.nodeName === 'node-2').length;
    await eventually(async () => {
      const now = await podContainers();
      const items = (await c.list(R.pods, 'default', { labelSelector: 'app=hello' })).items;
      const fresh = now.filter((id) => !containersBefore.includes(id));
      // Each node-2 pod: a new pause and a new app container; node-1's untouched.
      return now.length === containersBefore.length && fresh.length === 2 * onNode2 && items.length === 3 && items.every((p) => isReady(p)) ? true : undefined;
    }, 60_000, 250);
    const leases = await compose(['exec', '-T', 'node-2', 'sh', '-c', 'ls /var/lib/mk8s/nodes/node-2/ipam/*/ | grep -c "^[0-9]"']);
    t.is(Number(leases.stdout.trim()), onNode2, `node-2's IP leases are its pods' (${leases.stdout.trim()})`);
    const afterRestart = await eventually(async () => {
      const g = await get(`http://${nodeIp['node-2']}:31117/`);
      return g.ok ? g : undefined;
    }, 20_000, 250);
    t.true(afterRestart!.ok, 'NodePort on node-2 after its restart');

    // A node container killed outright cannot remove its pods: `down` still must (the control plane does, after the nodes stop).
    t.true((await podContainers()).length > 0);
    const kill = await compose(['kill', '-s', 'SIGKILL', 'node-1']);
    t.is(kill.code, 0, kill.stderr);
  } finally {
    client?.close();
    const logs = await compose(['logs', '--no-color', '--tail', '40']);
    const started2 = Date.now();
    const down = await compose(['down', '-v'], 180_000);
    t.log(`docker-compose down -v: ${((Date.now() - started2) / 1000).toFixed(1)} s`);
    if (down.code !== 0) t.log(logs.stdout.slice(-6000));
    t.is(down.code, 0, down.stderr);
    await rm(kubeDir, { recursive: true, force: true });
  }
  t.deepEqual(await podContainers(), [], 'no pod containers left');
  // Other test files' clusters and Docker networks come and go meanwhile (ava runs two files at once; the images test makes a
  // Docker network of its own): only what names the compose cluster counts — its ranges (its Docker network's bridge routes
  // are 172.19.0.0/16), its containers, its nodes' labels.
  const ours = /172\.19\.0\.|10\.245\.|10\.128\.|mk8s-compose|io\.mk8s\.node=node-\d/;
  const left = diffSnapshots(before, await snapshotMachine()).filter((l) => ours.test(l));
  t.deepEqual(left, [], 'down leaves the host as before up');
});

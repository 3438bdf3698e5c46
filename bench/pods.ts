// Benchmark (not a test): `mk8s up` time for 1 and 3 nodes, and pod startup
// on real Docker and namespaces, each against a floor measured in the same
// run:
//  - the bare-Docker floor: the same containers a pod needs (a pause
//    container with no Docker network (as the kubelet's), CNI ADD with the real bridge +
//    host-local plugins inside a node's namespace, the app container in the
//    pause container's namespaces), made with the Docker API directly, for 1
//    pod and for N pods at once, and N app containers at once in sandboxes
//    made beforehand (what a warm pool of sandboxes would leave to do);
//  - one pod alone (create → Running+Ready as a watch sees it), one at a time;
//  - a Deployment scaled 0 → N → 0 three times: time until all N are Ready
//    and until all are gone;
//  - N pods created at once: p50 / p99 of create → Ready;
//  - the Docker operations each pod needed until Ready, from the kubelets'
//    /metrics (mk8s_kubelet_pod_startup_docker_operations).
// Prints a markdown table. Needs root and Docker; uses its own MK8S_HOME,
// cluster name, bridge and ranges, and brings every cluster down again.
//   node dist/bench/pods.js [--pods 30] [--quick]   (--quick: no `up --nodes 1`, fewer rounds)
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { findByPlural, type ResourceType } from '../api/resources.js';
import { resourcePath } from '../client/http.js';
import type { KubeObject } from '../api/types.js';
import { Cni } from '../kubelet/cni.js';
import { BUILTIN_IMAGES } from '../images/aliases.js';

const self = fileURLToPath(import.meta.url);
const mk8s = join(dirname(self), '..', 'cli', 'main.js');
const pods: ResourceType = findByPlural('', 'pods')!;
const deployments: ResourceType = findByPlural('apps', 'deployments')!;
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const count = Number(arg('--pods')) || 30;
const quick = process.argv.includes('--quick');

// The bench's own names and addresses (the pod-burst block: 172.31.181.0/24, 10.181-10.183).
const NAME = 'pbbench';
const BRIDGE = 'mk8spb1';
const FLOOR_BRIDGE = 'mk8spb3';
const FLOOR_SUBNET = '10.183.0.0/24';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mk8s, ...args], { env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` });
    });
  });
}

const upArgs = (nodes: number) => ['up', '--nodes', String(nodes), '--name', NAME, '--bridge', BRIDGE, '--node-cidr', '172.31.181.0/24', '--pod-cidr', '10.181.0.0/16', '--service-cidr', '10.182.0.0/16', '--dns-upstream', '127.0.0.1:53'];

async function timedUp(home: string, nodes: number): Promise<number> {
  const started = Date.now();
  const r = await run(upArgs(nodes), { MK8S_HOME: home });
  if (r.code !== 0) throw new Error(`mk8s up --nodes ${nodes} failed:\n${r.out}`);
  return (Date.now() - started) / 1000;
}

const isReady = (p: KubeObject) => p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => pct(xs, 50);

/** Create pods (in waves of `parallel`) and time each from create to Running+Ready, as a watch sees it. */
async function podLatencies(client: Client, prefix: string, n: number, parallel: number): Promise<number[]> {
  const created = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const watch = client.watch(resourcePath(pods, 'default'), {}, (ev) => {
    const name = ev.object.metadata?.name;
    if (!name || !created.has(name) || readyAt.has(name) || !isReady(ev.object)) return;
    readyAt.set(name, Date.now());
    waiters.get(name)?.();
  });
  await sleep(200);
  const one = async (i: number) => {
    const name = `${prefix}-${i}`;
    const done = new Promise<void>((r) => waiters.set(name, r));
    created.set(name, Date.now());
    await client.create(pods, 'default', { metadata: { name, labels: { bench: prefix } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'pbitty/hello-from', ports: [{ containerPort: 80 }] }] } });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`${name} not Ready in 120 s`)), 120_000))]);
  };
  for (let i = 0; i < n; i += parallel) await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, (_, k) => one(i + k)));
  watch.close();
  const out = [...created.keys()].map((k) => (readyAt.get(k)! - created.get(k)!) / 1000);
  // Clean up: delete and wait until they are gone (the kubelets stop them).
  await Promise.all([...created.keys()].map((k) => client.delete(pods, 'default', k, { gracePeriodSeconds: 1 }).catch(() => undefined)));
  for (let i = 0; i < 240; i++) {
    const left = (await client.list(pods, 'default', { labelSelector: `bench=${prefix}` })).items.length;
    if (!left) break;
    await sleep(250);
  }
  return out;
}

/** A Deployment scaled 0 → n → 0, `rounds` times: seconds until all n are Ready, and until all are gone. */
async function deploymentBursts(client: Client, n: number, rounds: number): Promise<{ up: number[]; down: number[] }> {
  const name = 'burst';
  await client.create(deployments, 'default', {
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'pbitty/hello-from', ports: [{ containerPort: 80 }] }] } },
    },
  });
  const live = new Map<string, KubeObject>();
  let check = () => undefined as void;
  const watch = client.watch(resourcePath(pods, 'default'), { labelSelector: `app=${name}` }, (ev) => {
    const key = ev.object.metadata?.name;
    if (!key) return;
    if (ev.type === 'DELETED') live.delete(key);
    else live.set(key, ev.object);
    check();
  });
  const until = (cond: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not in 180 s`)), 180_000);
      check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        check = () => undefined;
        resolve();
      };
      check();
    });
  const up: number[] = [];
  const down: number[] = [];
  try {
    await sleep(200);
    for (let r = 0; r < rounds; r++) {
      let t = Date.now();
      const ready = until(() => [...live.values()].filter((p) => !p.metadata.deletionTimestamp && isReady(p)).length >= n, `${n} Ready`);
      await client.patch(deployments, 'default', name, { spec: { replicas: n } });
      await ready;
      up.push((Date.now() - t) / 1000);
      t = Date.now();
      const gone = until(() => live.size === 0, 'all gone');
      await client.patch(deployments, 'default', name, { spec: { replicas: 0 } });
      await gone;
      down.push((Date.now() - t) / 1000);
    }
  } finally {
    watch.close();
    await client.delete(deployments, 'default', name).catch(() => undefined);
  }
  return { up, down };
}

/** The kubelets' Docker operations per pod until Ready (all nodes together), from their /metrics. */
async function dockerOpsPerPod(client: Client): Promise<{ sum: number; count: number; statusWrites: number } | undefined> {
  const nodes = (await client.list(findByPlural('', 'nodes')!, undefined)).items;
  let sum = 0;
  let n = 0;
  let statusWrites = 0;
  for (const node of nodes) {
    let text: string;
    try {
      text = String(await client.request('GET', `/api/v1/nodes/${node.metadata.name}/proxy/metrics`));
    } catch {
      return undefined;
    }
    const s = /^mk8s_kubelet_pod_startup_docker_operations_sum (\S+)$/m.exec(text);
    const c = /^mk8s_kubelet_pod_startup_docker_operations_count (\S+)$/m.exec(text);
    if (!s || !c) return undefined;
    sum += Number(s[1]);
    n += Number(c[1]);
    statusWrites += Number(/^mk8s_kubelet_pod_status_writes_total (\S+)$/m.exec(text)?.[1] ?? 0);
  }
  return { sum, count: n, statusWrites };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

// ---------------------------------------------------------------- the bare-Docker floor

/**
 * Runs inside a node's network namespace (the bench starts it with `ip netns
 * exec`): pods made with the Docker API directly, on a bridge of their own.
 * Prints {one, burst, burstBounded, burstWarm} in seconds.
 */
async function floorChild(n: number): Promise<void> {
  const docker = new Docker();
  const ipamDir = await mkdtemp(join(tmpdir(), 'mk8s-bench-floor-'));
  const cni = new Cni({ podCidr: FLOOR_SUBNET, ipamDir, bridge: FLOOR_BRIDGE });
  const made: { pause: string; app?: string; ip?: string }[] = [];
  let seq = 0;
  // A pod's sandbox: the pause container, started, and its network (CNI ADD).
  const sandbox = async () => {
    const i = seq++;
    const rec: { pause: string; app?: string; i: number } = { pause: '', i };
    const pause = await docker.createContainer({ name: `mk8s-bench-floor-pause-${process.pid}-${i}`, Image: BUILTIN_IMAGES.pause, Labels: { 'io.mk8s.bench': 'floor' }, NetworkDisabled: true, HostConfig: { IpcMode: 'shareable' } });
    rec.pause = pause.id;
    made.push(rec);
    await pause.start();
    const pid = (await pause.inspect()).State.Pid;
    await cni.add({ containerId: pause.id, netns: `/proc/${pid}/ns/net`, podName: `floor-${i}`, podNamespace: 'bench' });
    return rec;
  };
  // The pod's app container in its sandbox's namespaces.
  const appIn = async (rec: { pause: string; app?: string; i: number }) => {
    const app = await docker.createContainer({
      name: `mk8s-bench-floor-app-${process.pid}-${rec.i}`,
      Image: BUILTIN_IMAGES['hello-from'],
      Labels: { 'io.mk8s.bench': 'floor' },
      HostConfig: { NetworkMode: `container:${rec.pause}`, IpcMode: `container:${rec.pause}` },
    });
    rec.app = app.id;
    await app.start();
  };
  const pod = async () => appIn(await sandbox());
  const clean = async () => {
    await Promise.all(
      made.splice(0).map(async (m) => {
        if (m.app) await docker.getContainer(m.app).remove({ force: true }).catch(() => undefined);
        await cni.del({ containerId: m.pause, netns: '', podName: 'floor', podNamespace: 'bench' }).catch(() => undefined);
        await docker.getContainer(m.pause).remove({ force: true }).catch(() => undefined);
      }),
    );
  };
  const timed = async (f: () => Promise<unknown>) => {
    const t = Date.now();
    await f();
    const s = (Date.now() - t) / 1000;
    await clean();
    return s;
  };
  const bounded = async (total: number, limit: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: limit }, async () => {
      while (next < total) {
        next++;
        await pod();
      }
    }));
  };
  try {
    await timed(pod); // warm-up
    const ones: number[] = [];
    for (let i = 0; i < 5; i++) ones.push(await timed(pod));
    const burst = await timed(() => Promise.all(Array.from({ length: n }, pod)));
    const burstBounded = await timed(() => bounded(n, 6));
    // What a pool of sandboxes made ahead of demand would leave to do: n sandboxes made first (not
    // timed), then the n app containers at once.
    const ready = await Promise.all(Array.from({ length: n }, sandbox));
    const burstWarm = await timed(() => Promise.all(ready.map(appIn)));
    process.stdout.write(JSON.stringify({ one: median(ones), burst, burstBounded, burstWarm }) + '\n');
  } finally {
    await clean();
    await rm(ipamDir, { recursive: true, force: true });
    await new Promise((r) => execFile('ip', ['link', 'del', FLOOR_BRIDGE], () => r(undefined)));
  }
}

function floor(netns: string, n: number): Promise<{ one: number; burst: number; burstBounded: number; burstWarm: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, self, '--floor-child', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`floor child failed (${code}): ${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!));
    });
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (mk8s up)');
  const home = await mkdtemp(join(tmpdir(), 'mk8s-bench-'));
  const rows: string[] = [];
  const row = (what: string, value: string) => {
    rows.push(`| ${what} | ${value} |`);
    process.stderr.write(`${what}: ${value}\n`);
  };
  try {
    if (!quick) {
      const up1 = await timedUp(home, 1);
      await run(['down', '--name', NAME], { MK8S_HOME: home });
      row('`mk8s up --nodes 1` (to all nodes Ready)', `${up1.toFixed(1)} s`);
    }
    const up3 = await timedUp(home, 3);
    row('`mk8s up --nodes 3` (to all nodes Ready)', `${up3.toFixed(1)} s`);
    const client = new Client(loadKubeconfig(join(home, 'kubeconfig')));
    try {
      const f = await floor(`${NAME}-worker`, count);
      row('bare-Docker floor: 1 pod (pause + CNI ADD + app container), median of 5', `${f.one.toFixed(2)} s`);
      row(`bare-Docker floor: ${count} pods at once (one node), all started`, `${f.burst.toFixed(2)} s`);
      row(`bare-Docker floor: ${count} pods, 6 at a time (one node), all started`, `${f.burstBounded.toFixed(2)} s`);
      row(`bare-Docker floor: ${count} pods at once on sandboxes made beforehand (app containers only; what a warm pool would leave)`, `${f.burstWarm.toFixed(2)} s (${(f.burstWarm / Math.min(f.burst, f.burstBounded)).toFixed(2)}× the ${count}-pod floor)`);
      const seq = await podLatencies(client, 'seq', quick ? 8 : count, 1);
      row(`pod create → Running+Ready, one at a time (${seq.length} pods, 3 nodes): p50 / p99`, `${pct(seq, 50).toFixed(2)} s / ${pct(seq, 99).toFixed(2)} s (${(pct(seq, 50) / f.one).toFixed(1)}× floor)`);
      const before = await dockerOpsPerPod(client);
      const d = await deploymentBursts(client, count, quick ? 2 : 3);
      const after = await dockerOpsPerPod(client);
      const floorBurst = Math.min(f.burst, f.burstBounded);
      row(`Deployment \`replicas: 0 → ${count}\` until all Ready (3 nodes), each round`, `${d.up.map((x) => x.toFixed(2)).join(' / ')} s (median ${(median(d.up) / floorBurst).toFixed(1)}× the ${count}-pod floor on one node)`);
      row(`Deployment \`replicas: ${count} → 0\` until all pods gone, each round`, `${d.down.map((x) => x.toFixed(2)).join(' / ')} s`);
      if (before && after && after.count > before.count) {
        const pods = after.count - before.count;
        row('Docker operations per pod until Ready (kubelet metrics)', `${((after.sum - before.sum) / pods).toFixed(1)}`);
        row('pod status writes per pod, start to Ready (kubelet metrics)', `${((after.statusWrites - before.statusWrites) / pods).toFixed(1)}`);
      }
      const burst = await podLatencies(client, 'burst', count, count);
      row(`pod create → Running+Ready, ${count} created at once (3 nodes): p50 / p99`, `${pct(burst, 50).toFixed(2)} s / ${pct(burst, 99).toFixed(2)} s`);
    } finally {
      client.close();
    }
  } finally {
    await run(['down', '--name', NAME], { MK8S_HOME: home });
    await rm(home, { recursive: true, force: true });
  }
  process.stdout.write(['| what | time |', '|---|---|', ...rows].join('\n') + '\n');
}

if (process.argv.includes('--floor-child')) {
  floorChild(Number(arg('--floor-child')) || count).catch((e) => {
    process.stderr.write(`floor failed: ${(e as Error).stack}\n`);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    process.stderr.write(`bench failed: ${(e as Error).message}\n`);
    process.exit(1);
  });
}

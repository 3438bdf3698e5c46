// Benchmark (not a test): `mk8s up` time for 1 and 3 nodes, and pod startup
// latency (create → Running and Ready, as seen by a watch) over 30 pods,
// one at a time and all at once, on real Docker and namespaces. Prints a
// markdown table. Needs root and Docker; uses its own MK8S_HOME, cluster
// name, bridge and ranges, and brings every cluster down again.
//   node dist/bench/pods.js [--pods 30]
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { findByPlural, type ResourceType } from '../api/resources.js';
import { resourcePath } from '../client/http.js';
import type { KubeObject } from '../api/types.js';

const mk8s = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const pods: ResourceType = findByPlural('', 'pods')!;
const count = Number(process.argv[process.argv.indexOf('--pods') + 1]) || 30;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mk8s, ...args], { env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` });
    });
  });
}

const upArgs = (nodes: number) => ['up', '--nodes', String(nodes), '--name', 'bench', '--bridge', 'mk8sb0', '--node-cidr', '172.31.243.0/24', '--pod-cidr', '10.243.0.0/16', '--service-cidr', '10.115.0.0/16'];

async function timedUp(home: string, nodes: number): Promise<number> {
  const started = Date.now();
  const r = await run(upArgs(nodes), { MK8S_HOME: home });
  if (r.code !== 0) throw new Error(`mk8s up --nodes ${nodes} failed:\n${r.out}`);
  return (Date.now() - started) / 1000;
}

const isReady = (p: KubeObject) => p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

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
  for (const k of created.keys()) await client.delete(pods, 'default', k, { gracePeriodSeconds: 1 }).catch(() => undefined);
  for (let i = 0; i < 120; i++) {
    const left = (await client.list(pods, 'default', { labelSelector: `bench=${prefix}` })).items.length;
    if (!left) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (mk8s up)');
  const home = await mkdtemp(join(tmpdir(), 'mk8s-bench-'));
  const rows: string[] = [];
  try {
    const up1 = await timedUp(home, 1);
    await run(['down', '--name', 'bench'], { MK8S_HOME: home });
    const up3 = await timedUp(home, 3);
    rows.push(`| \`mk8s up --nodes 1\` (to all nodes Ready) | ${up1.toFixed(1)} s |`, `| \`mk8s up --nodes 3\` (to all nodes Ready) | ${up3.toFixed(1)} s |`);
    const client = new Client(loadKubeconfig(join(home, 'kubeconfig')));
    try {
      const seq = await podLatencies(client, 'seq', count, 1);
      rows.push(`| pod create → Running+Ready, one at a time (${count} pods, 3 nodes): p50 / p99 | ${pct(seq, 50).toFixed(2)} s / ${pct(seq, 99).toFixed(2)} s |`);
      const burst = await podLatencies(client, 'burst', count, count);
      rows.push(`| pod create → Running+Ready, ${count} created at once (3 nodes): p50 / p99 | ${pct(burst, 50).toFixed(2)} s / ${pct(burst, 99).toFixed(2)} s |`);
    } finally {
      client.close();
    }
  } finally {
    await run(['down', '--name', 'bench'], { MK8S_HOME: home });
    await rm(home, { recursive: true, force: true });
  }
  process.stdout.write(['| what | time |', '|---|---|', ...rows].join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exit(1);
});

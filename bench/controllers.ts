// Controllers benchmark (not a test): a real apiserver on a temp dir, the
// controllers in-process, 5 fake kubelets. Measures
//   1. `replicas: 100` on a Deployment → all 100 pods bound to nodes,
//   2. 100 pods turning Ready → all of them in the Endpoints (and slices).
// Prints a markdown table. Run: node dist/bench/controllers.js [--runs N]
// (MK8S_BENCH_ONLY=scheduler,replicaset,... runs a subset of the controllers.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startApiServer } from '../apiserver/server.js';
import { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import { startControllers } from '../controllers/manager.js';
import { kinds } from '../controllers/kinds.js';
import { FakeKubelet } from '../testkit/fake-kubelet.js';

const N = 100;
const NODES = 5;

function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const until = Date.now() + timeoutMs;
    const tick = () => {
      if (cond()) return resolve(performance.now());
      if (Date.now() > until) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 1);
    };
    tick();
  });
}

interface Run {
  /** GET /healthz round trip p50 on the same client: the machine's speed right now. */
  baseline: number;
  created: number;
  bound: number;
  readyWrites: number;
  endpoints: number;
  slices: number;
}

async function runOnce(): Promise<Run> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mk8s-bench-'));
  const server = await startApiServer({ dataDir, port: 0, logger: pino({ level: 'silent' }) });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  const ready = new Set<string>();
  const kubelets: FakeKubelet[] = [];
  const watchers: Informer[] = [];
  let controllers: { stop(): Promise<void> } | undefined;
  try {
    for (let i = 1; i <= NODES; i++) kubelets.push(await FakeKubelet.start(client, `node${i}`, { index: i, podReady: (p) => ready.has(`${p.metadata.namespace}/${p.metadata.name}`) }));
    controllers = await startControllers({ client, logger: pino({ level: 'silent' }), ...(process.env.MK8S_BENCH_ONLY ? { only: process.env.MK8S_BENCH_ONLY.split(',') } : {}) });
    const pods = new Informer(client, kinds.pods);
    const endpoints = new Informer(client, kinds.endpoints);
    const slices = new Informer(client, kinds.endpointslices);
    watchers.push(pods, endpoints, slices);
    await Promise.all(watchers.map((w) => w.start()));

    const rtts: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      await client.request('GET', '/healthz');
      rtts.push(performance.now() - s);
    }
    const baseline = median(rtts);
    await client.create(kinds.services, 'default', { metadata: { name: 'bench' }, spec: { selector: { app: 'bench' }, ports: [{ port: 80 }] } });
    await client.create(kinds.deployments, 'default', {
      metadata: { name: 'bench' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } } },
    });
    // Let the empty ReplicaSet settle, then ask for 100.
    await waitUntil(() => pods.list('default').length === 0, 5000, 'settle');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    await client.patch(kinds.deployments, 'default', 'bench', { spec: { replicas: N } });
    const created = await waitUntil(() => pods.list('default').length >= N, 30_000, 'pods created');
    const bound = await waitUntil(() => pods.list('default').filter((p) => p.spec?.nodeName).length >= N, 30_000, 'pods bound');
    await waitUntil(() => pods.list('default').filter((p) => p.status?.podIP).length >= N, 30_000, 'pods started');
    const epCount = (ep: any) => (ep?.subsets ?? []).reduce((n: number, s: any) => n + (s.addresses?.length ?? 0), 0);
    const sliceReady = () => slices.list('default').filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'bench').reduce((n, s) => n + (s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length, 0);
    await waitUntil(() => (endpoints.get('default/bench')?.subsets ?? []).reduce((n: number, s: any) => n + (s.notReadyAddresses?.length ?? 0), 0) >= N, 30_000, 'not-ready addresses');

    // All 100 turn Ready (as their readiness probes would), through pods/status.
    const t1 = performance.now();
    const all = pods.list('default');
    for (const p of all) ready.add(`default/${p.metadata.name}`);
    await Promise.all(all.map((p) => kubelets.find((k) => k.name === p.spec.nodeName)!.setPodReady(`default/${p.metadata.name}`, true)));
    const writesDone = performance.now();
    const inEndpoints = await waitUntil(() => epCount(endpoints.get('default/bench')) >= N, 30_000, 'endpoints');
    const inSlices = await waitUntil(() => sliceReady() >= N, 30_000, 'slices');
    return { baseline, created: created - t0, bound: bound - t0, readyWrites: writesDone - t1, endpoints: inEndpoints - t1, slices: inSlices - t1 };
  } finally {
    await Promise.all(watchers.map((w) => w.stop()));
    await Promise.all(kubelets.map((k) => k.stop()));
    await controllers?.stop();
    client.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 3;
  const results: Run[] = [];
  for (let r = 0; r < runs; r++) results.push(await runOnce());
  const row = (label: string, f: (r: Run) => number) => `| ${label} | ${median(results.map(f)).toFixed(0)} | ${results.map((r) => f(r).toFixed(0)).join(' / ')} |`;
  console.log(`mk8s controllers, ${N} replicas on ${NODES} fake nodes, ${runs} run(s), Node ${process.version}\n`);
  console.log('| measurement | median ms | runs ms |');
  console.log('|---|---:|---|');
  console.log(`| baseline: GET /healthz round trip p50 | ${median(results.map((r) => r.baseline)).toFixed(2)} | ${results.map((r) => r.baseline.toFixed(2)).join(' / ')} |`);
  console.log(row('`replicas: 100` → 100 pods created', (r) => r.created));
  console.log(row('`replicas: 100` → 100 pods bound to nodes', (r) => r.bound));
  console.log(row('100 pods turn Ready: the 100 status writes', (r) => r.readyWrites));
  console.log(row('100 pods turn Ready → all 100 in Endpoints `addresses`', (r) => r.endpoints));
  console.log(row('100 pods turn Ready → all 100 ready in EndpointSlices', (r) => r.slices));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

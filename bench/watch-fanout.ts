// bench/watch-fanout: a benchmark, not a test. What open watches cost the
// API server's writes: 20 clients create pods as fast as the server answers
// for a fixed time, first with no watcher, then with 200 watches open on
// those pods (each watcher gets every event). The baseline is the same run's
// no-watcher throughput; the figure is the ratio, and the write latency
// p50/p99 at each step. Writers and watchers run in child processes of their
// own, so their parsing does not eat the server's CPU; every watcher must
// receive every event (a dropped or lagging watcher would flatter the
// server), checked at the end of each step.
//   node dist/bench/watch-fanout.js [--writers 20] [--watchers 0,200] [--seconds 10] [--storage level|etcd]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findByPlural } from '../api/resources.js';
import { Client, resourcePath } from '../client/http.js';
import { startTestApi } from '../testkit/api.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const pods = findByPlural('', 'pods')!;
const self = fileURLToPath(import.meta.url);

interface Cfg {
  server: string;
  token: string;
  caCert: string;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

const pod = (name: string) => ({
  metadata: { name, labels: { app: 'fanout', tier: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'mk8s/hello-from', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'x'.repeat(200) }] }] },
});

/** Child: `n` writers creating pods in namespace `ns` for `seconds`; prints {writes, p50, p99} as JSON. */
async function writers(cfg: Cfg, n: number, seconds: number, ns: string): Promise<void> {
  const client = new Client(cfg);
  const lat: number[] = [];
  let next = 0;
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (performance.now() < until) {
        const s = performance.now();
        try {
          await client.create(pods, ns, pod(`p-${next++}`));
          lat.push(performance.now() - s);
        } catch {
          failed++;
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ writes: lat.length, failed, perSecond: lat.length / wall, p50: pct(lat, 50), p99: pct(lat, 99) }));
  client.close();
}

/** Child: `n` watches on pods of `ns`; prints "ready" once each saw the sentinel, then on stdin end the events each got. */
async function watchers(cfg: Cfg, n: number, ns: string): Promise<void> {
  // A client holds at most 64 sockets: one client per 50 watches, each watch its own connection.
  const clients = Array.from({ length: Math.ceil(n / 50) }, () => new Client(cfg));
  const counts = new Array<number>(n).fill(0);
  const sawSentinel = new Set<number>();
  const ended = new Set<number>();
  let closing = false;
  const handles = Array.from({ length: n }, (_, i) => {
    const h = clients[Math.floor(i / 50)].watch(resourcePath(pods, ns), {}, (ev) => {
      if (ev.object?.metadata?.name === 'sentinel') {
        sawSentinel.add(i);
        if (sawSentinel.size === n) console.log('ready');
      } else if (ev.type === 'ADDED') counts[i]++;
    });
    const end = () => void (closing || ended.add(i));
    h.done.then(end, end);
    return h;
  });
  console.log('watching');
  // The parent writes how many pods were created; wait (at most 60 s) until every watcher has seen them all.
  const expected = Number(await new Promise<string>((r) => createInterface({ input: process.stdin }).once('line', r)));
  const until = Date.now() + 60_000;
  while (Math.min(...counts) < expected && ended.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ min: Math.min(...counts), max: Math.max(...counts), ended: ended.size, cpuS: (cpu.user + cpu.system) / 1e6 }));
  closing = true;
  for (const h of handles) h.close();
  for (const c of clients) c.close();
}

function child(args: string[], cfg: Cfg): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, [self, ...args], { env: { ...process.env, MK8S_BENCH_CFG: JSON.stringify(cfg) }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return { proc, lines };
}

async function waitLine(lines: AsyncIterator<string>, want: (l: string) => boolean): Promise<string> {
  for (;;) {
    const r = await lines.next();
    if (r.done) throw new Error('child ended early');
    if (want(r.value)) return r.value;
  }
}

async function main(): Promise<void> {
  const role = arg('role', '');
  if (role) {
    const cfg = JSON.parse(process.env.MK8S_BENCH_CFG!) as Cfg;
    if (role === 'write') return writers(cfg, Number(arg('n', '20')), Number(arg('seconds', '10')), arg('ns', 'default'));
    return watchers(cfg, Number(arg('n', '200')), arg('ns', 'default'));
  }
  const nWriters = Number(arg('writers', '20'));
  const steps = arg('watchers', '0,200').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  process.env.MK8S_TEST_STORAGE = arg('storage', 'level');
  // One machine, many watches from one address: the per-client watch cap is raised, the drop budget kept.
  const api = await startTestApi({ watchLimits: { bufferBytes: 8 * 1024 * 1024, perClient: 10_000 } });
  const cfg: Cfg = { server: api.server.url, token: api.server.token, caCert: api.server.caCert };
  const rows: string[] = [];
  let baseline = 0;
  try {
    for (const [i, n] of steps.entries()) {
      const ns = `fanout-${i}`;
      await api.client.create(findByPlural('', 'namespaces')!, undefined, { metadata: { name: ns } });
      let w: ReturnType<typeof child> | undefined;
      if (n > 0) {
        w = child(['--role', 'watch', '--n', String(n), '--ns', ns], cfg);
        await waitLine(w.lines, (l) => l === 'watching');
        // Every watch is open once each has seen this pod.
        await api.client.create(pods, ns, pod('sentinel'));
        await waitLine(w.lines, (l) => l === 'ready');
      }
      const cpu0 = process.cpuUsage();
      const wr = child(['--role', 'write', '--n', String(nWriters), '--seconds', String(seconds), '--ns', ns], cfg);
      const res = JSON.parse(await waitLine(wr.lines, (l) => l.startsWith('{')));
      const cpu = process.cpuUsage(cpu0);
      const serverCpu = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
      let delivered = '—';
      if (w) {
        // Let the last events drain, then ask each watcher what it got.
        const expected = res.writes;
        w.proc.stdin!.end(`${expected}\n`);
        const got = JSON.parse(await waitLine(w.lines, (l) => l.startsWith('{')));
        delivered = `${got.min}–${got.max} of ${expected} per watcher${got.ended ? `, ${got.ended} watches ended` : ''} (watchers' process: ${got.cpuS.toFixed(1)} s CPU)`;
      }
      if (n === 0) baseline = res.perSecond;
      const ratio = baseline ? `${((res.perSecond / baseline) * 100).toFixed(0)}%` : '—';
      rows.push(`| ${n} | ${Math.round(res.perSecond)} | ${ratio} | ${res.p50.toFixed(1)} ms | ${res.p99.toFixed(1)} ms | ${serverCpu.toFixed(0)}% | ${delivered} |`);
    }
  } finally {
    await api.close();
  }
  console.log(`\n${nWriters} writers, ${seconds} s per step, storage ${process.env.MK8S_TEST_STORAGE}\n`);
  console.log('| watchers | creates/s | of no-watcher | p50 | p99 | server CPU | events delivered (a watch ended = dropped) |\n|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// bench/watch-fanout: a benchmark, not a test. What open watches cost the
// API server's writes: 20 clients create pods as fast as the server answers
// for a fixed time, first with no watcher, then with 200 watches open on
// those pods (each watcher gets every event). The baseline is the same run's
// no-watcher throughput; the figure is the ratio, and the write latency
// p50/p99 at each step. Writers and watchers run in child processes of their
// own, so their parsing does not eat the server's CPU; every watcher must
// receive every event (a dropped or lagging watcher would flatter the
// server), checked at the end of each step.
//   node dist/bench/watch-fanout.js [--writers 20] [--watchers 0,200] [--seconds 10] [--storage level|etcd] [--batch-ms 5] [--watches-per-ms 10] [--parse] [--floor]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findByPlural } from '../api/resources.js';
import { Client, resourcePath } from '../client/http.js';
import { startTestApi } from '../testkit/api.js';
import { batchWindowFor, defaultWatchLimits, type WatchLimits } from '../apiserver/watch-stream.js';

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

/** A pod; its annotation carries when the writer sent it (ms since the epoch: one clock, one machine), for the delivery delay. */
const pod = (name: string) => ({
  metadata: { name, labels: { app: 'fanout', tier: 'bench' }, annotations: { 'bench/sent': String(Date.now()) } },
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

/**
 * Child: `n` watches on pods of `ns`; prints "ready" once each saw the sentinel, then on stdin end the events each got.
 * A watch here reads its stream as bytes and counts lines (one per event: only creates happen, the sentinel first),
 * parsing only every 10th watcher's events for the delivery delay: 200 watchers that each parse every event take a
 * core of their own on this 2-core machine, and then measure the client rather than the server. `--parse` parses
 * every event, as an informer would (client/http.ts's watch).
 */
async function watchers(cfg: Cfg, n: number, ns: string, parseAll: boolean): Promise<void> {
  const url = new URL(cfg.server);
  const agent = new https.Agent({ keepAlive: false, ca: cfg.caCert, maxSockets: Infinity });
  const clients = parseAll ? Array.from({ length: Math.ceil(n / 50) }, () => new Client(cfg)) : [];
  const counts = new Array<number>(n).fill(0);
  const sawSentinel = new Set<number>();
  const ended = new Set<number>();
  let closing = false;
  // Delivery delays (ms from the writer's send to this watcher's event), a sample of every 10th watcher's.
  const delays: number[] = [];
  const onEvent = (i: number, ev: any) => {
    if (ev.object?.metadata?.name === 'sentinel') {
      sawSentinel.add(i);
      if (sawSentinel.size === n) console.log('ready');
    } else if (ev.type === 'ADDED') {
      counts[i]++;
      if (i % 10 === 0) delays.push(Date.now() - Number(ev.object?.metadata?.annotations?.['bench/sent']));
    }
  };
  const closers: (() => void)[] = [];
  for (let i = 0; i < n; i++) {
    const end = () => void (closing || ended.add(i));
    if (parseAll) {
      const h = clients[Math.floor(i / 50)].watch(resourcePath(pods, ns), {}, (ev) => onEvent(i, ev));
      h.done.then(end, end);
      closers.push(() => h.close());
      continue;
    }
    const req = https.get(
      { host: url.hostname, port: url.port, path: `${resourcePath(pods, ns)}?watch=true`, agent, headers: { Authorization: `Bearer ${cfg.token}` } },
      (res) => {
        let partial = '';
        res.on('data', (chunk: Buffer) => {
          if (i % 10 === 0) {
            const lines = (partial + chunk.toString()).split('\n');
            partial = lines.pop()!;
            for (const l of lines) if (l) onEvent(i, JSON.parse(l));
            return;
          }
          // Count newlines; the first line of the stream is the sentinel.
          let at = -1;
          while ((at = chunk.indexOf(10, at + 1)) !== -1) {
            if (!sawSentinel.has(i)) onEvent(i, { type: 'ADDED', object: { metadata: { name: 'sentinel' } } });
            else counts[i]++;
          }
        });
        res.on('end', end);
        res.on('error', end);
      },
    );
    req.on('error', end);
    closers.push(() => req.destroy());
  }
  console.log('watching');
  // The parent writes how many pods were created; wait (at most 60 s) until every watcher has seen them all.
  const expected = Number(await new Promise<string>((r) => createInterface({ input: process.stdin }).once('line', r)));
  const until = Date.now() + 60_000;
  while (Math.min(...counts) < expected && ended.size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ min: Math.min(...counts), max: Math.max(...counts), ended: ended.size, cpuS: (cpu.user + cpu.system) / 1e6, d50: pct(delays, 50), d99: pct(delays, 99) }));
  closing = true;
  for (const c of closers) c();
  for (const c of clients) c.close();
  agent.destroy();
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

/**
 * The floor: a bare TLS server (no API logic, no storage) that answers each POST with its body and sends every
 * open watch the same line, padded to the bytes of a real event, gathered as the API server gathers them (one write
 * per watcher per batch window). What is left is what the bytes cost: TLS and loopback TCP to 200 sockets.
 */
async function startFloor(cert: string, key: string, eventBytes: number, window: Pick<WatchLimits, 'batchWindowMs' | 'watchesPerWindowMs'>): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<import('node:http').ServerResponse>();
  let pending = '';
  let sentinel = '';
  let scheduled = false;
  let lastWrite = -Infinity;
  const flush = () => {
    scheduled = false;
    lastWrite = performance.now();
    const text = pending;
    pending = '';
    for (const res of open) res.write(text);
  };
  const server = https.createServer({ cert, key }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // As a watch without a resourceVersion starts with the current state: here, the sentinel once it exists.
      if (sentinel) res.write(sentinel);
      else res.flushHeaders();
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const pad = Math.max(0, eventBytes - body.length - 32);
      const obj = JSON.parse(body);
      obj.metadata.annotations = { ...obj.metadata.annotations, pad: 'x'.repeat(pad) };
      const line = `{"type":"ADDED","object":${JSON.stringify(obj)}}\n`;
      if (obj.metadata.name === 'sentinel') sentinel = line;
      pending += line;
      if (!scheduled) {
        scheduled = true;
        const wait = lastWrite + batchWindowFor(window, open.size) - performance.now();
        if (wait > 0) setTimeout(flush, wait);
        else setImmediate(flush);
      }
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const res of open) res.destroy();
        server.close(() => r());
      }),
  };
}

async function main(): Promise<void> {
  const role = arg('role', '');
  if (role) {
    const cfg = JSON.parse(process.env.MK8S_BENCH_CFG!) as Cfg;
    if (role === 'write') return writers(cfg, Number(arg('n', '20')), Number(arg('seconds', '10')), arg('ns', 'default'));
    return watchers(cfg, Number(arg('n', '200')), arg('ns', 'default'), process.argv.includes('--parse'));
  }
  const nWriters = Number(arg('writers', '20'));
  const steps = arg('watchers', '0,200').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  process.env.MK8S_TEST_STORAGE = arg('storage', 'level');
  // One machine, many watches from one address: the per-client watch cap is raised, the drop budget kept.
  const batchWindowMs = Number(arg('batch-ms', String(defaultWatchLimits.batchWindowMs)));
  const watchesPerWindowMs = Number(arg('watches-per-ms', String(defaultWatchLimits.watchesPerWindowMs)));
  const api = await startTestApi({ watchLimits: { bufferBytes: 8 * 1024 * 1024, perClient: 10_000, batchWindowMs, watchesPerWindowMs } });
  const cfg: Cfg = { server: api.server.url, token: api.server.token, caCert: api.server.caCert };
  const parse = process.argv.includes('--parse');
  const rows: string[] = [];
  let baseline = 0;
  /** One step: `n` watchers open (all seen the sentinel), then the writers for `seconds`; a row of the table. */
  const step = async (label: string, cfg: Cfg, client: Client, n: number, ns: string): Promise<void> => {
    let w: ReturnType<typeof child> | undefined;
    if (n > 0) {
      w = child(['--role', 'watch', '--n', String(n), '--ns', ns, ...(parse ? ['--parse'] : [])], cfg);
      await waitLine(w.lines, (l) => l === 'watching');
      // Every watch is open once each has seen this pod.
      await client.create(pods, ns, pod('sentinel'));
      await waitLine(w.lines, (l) => l === 'ready');
    }
    const cpu0 = process.cpuUsage();
    const wr = child(['--role', 'write', '--n', String(nWriters), '--seconds', String(seconds), '--ns', ns], cfg);
    const res = JSON.parse(await waitLine(wr.lines, (l) => l.startsWith('{')));
    const cpu = process.cpuUsage(cpu0);
    const serverCpu = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
    let delivered = '—';
    let delay = '—';
    if (w) {
      // Let the last events drain, then ask each watcher what it got.
      const expected = res.writes;
      w.proc.stdin!.end(`${expected}\n`);
      const got = JSON.parse(await waitLine(w.lines, (l) => l.startsWith('{')));
      delay = `${got.d50} / ${got.d99} ms`;
      delivered = `${got.min}–${got.max} of ${expected} per watcher${got.ended ? `, ${got.ended} watches ended` : ''} (watchers' process: ${got.cpuS.toFixed(1)} s CPU)`;
    }
    if (n === 0 && !baseline) baseline = res.perSecond;
    const ratio = baseline ? `${((res.perSecond / baseline) * 100).toFixed(0)}%` : '—';
    rows.push(`| ${label} | ${n} | ${Math.round(res.perSecond)} | ${ratio} | ${res.p50.toFixed(1)} ms | ${res.p99.toFixed(1)} ms | ${serverCpu.toFixed(0)}% | ${delay} | ${delivered} |`);
  };
  let eventBytes: number;
  let cert: string;
  let key: string;
  try {
    for (const [i, n] of steps.entries()) {
      const ns = `fanout-${i}`;
      await api.client.create(findByPlural('', 'namespaces')!, undefined, { metadata: { name: ns } });
      await step('API server', cfg, api.client, n, ns);
    }
    // A stored pod's size: the bytes one event line carries.
    eventBytes = JSON.stringify({ type: 'ADDED', object: await api.client.get(pods, 'fanout-0', 'sentinel').catch(() => api.client.create(pods, 'fanout-0', pod('sentinel'))) }).length + 1;
    // The floor serves with the API server's certificate (the watchers and writers trust its CA).
    [cert, key] = await Promise.all(['apiserver.crt', 'apiserver.key'].map((f) => readFile(join(api.dataDir, f), 'utf8')));
  } finally {
    await api.close();
  }
  if (process.argv.includes('--floor')) {
    const floor = await startFloor(cert, key, eventBytes, { batchWindowMs, watchesPerWindowMs });
    const fcfg: Cfg = { ...cfg, server: floor.url };
    const fclient = new Client(fcfg);
    try {
      for (const n of steps) await step(`bare TLS floor, ${eventBytes}-byte events`, fcfg, fclient, n, 'floor');
    } finally {
      fclient.close();
      await floor.close();
    }
  }
  console.log(`\n${nWriters} writers, ${seconds} s per step, storage ${process.env.MK8S_TEST_STORAGE}, watch batch window ${batchWindowMs} ms or 1 ms per ${watchesPerWindowMs} watches open, watchers ${process.argv.includes('--parse') ? 'parse every event' : 'count lines (every 10th parses)'}\n`);
  console.log('| server | watchers | creates/s | of no-watcher | p50 | p99 | server CPU | delivery p50 / p99 | events delivered (a watch ended = dropped) |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

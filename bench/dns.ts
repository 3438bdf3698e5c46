// bench/dns: a benchmark, not a test. Queries/s and latency for
// cluster.local A lookups with dnsperf (Debian's `dnsperf`), bounded in rate
// and time, against our DNS server and, in the same run, against dnsmasq
// (a C server; Debian's `dnsmasq-base`) answering the same 1,000 names from
// a hosts file. Everything on loopback.
//   node dist/bench/dns.js [--seconds 5] [--qps 20000]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { KubeObject } from '../api/types.js';
import { startDnsServer } from '../proxy/dns/server.js';
import { buildZone } from '../proxy/dns/zone.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const QPS = arg('qps', 20_000);
const N = 1000;

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => resolve(out));
  });
}

interface Result {
  qps: number;
  avgMs: number;
  p99Ms: number;
  lost: number;
}

async function dnsperf(port: number, queries: string): Promise<Result> {
  const out = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(SECONDS), '-Q', String(QPS), '-c', '4', '-v']);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const lat = [...out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    p99Ms: lat.length ? lat[Math.floor(lat.length * 0.99)] : NaN,
    lost: num(/Queries lost:\s+(\d+)/),
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'mk8s-bench-dns-'));
  const services: KubeObject[] = [];
  const hosts: string[] = [];
  const queries: string[] = [];
  for (let i = 0; i < N; i++) {
    const ip = `10.96.${i >> 8}.${(i & 255) || 1}`;
    services.push({ metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ port: 80 }] } });
    hosts.push(`${ip} svc-${i}.bench.svc.cluster.local`);
    queries.push(`svc-${i}.bench.svc.cluster.local A`);
  }
  await writeFile(join(dir, 'hosts'), hosts.join('\n') + '\n');
  await writeFile(join(dir, 'queries'), queries.join('\n') + '\n');
  const zone = buildZone(services, [], { zone: 'cluster.local', ttl: 5 });
  const ours = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [], zone: () => zone, logger: pino({ level: 'silent' }) });
  const masqPort = ours.port + 1;
  const masq = spawn('dnsmasq', ['--keep-in-foreground', '--no-daemon', `--port=${masqPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${join(dir, 'hosts')}`, '--cache-size=10000', `--pid-file=${join(dir, 'pid')}`, '--user=root'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const a = await dnsperf(ours.port, join(dir, 'queries'));
    const b = await dnsperf(masqPort, join(dir, 'queries'));
    console.log(`dnsperf, ${SECONDS} s at most ${QPS} queries/s, ${N} names, loopback\n`);
    console.log('| server | queries/s | avg latency | p99 latency | lost |\n|---|---|---|---|---|');
    console.log(`| mk8s DNS (Node) | ${a.qps.toFixed(0)} | ${a.avgMs.toFixed(3)} ms | ${a.p99Ms.toFixed(3)} ms | ${a.lost} |`);
    console.log(`| dnsmasq (C, baseline) | ${b.qps.toFixed(0)} | ${b.avgMs.toFixed(3)} ms | ${b.p99Ms.toFixed(3)} ms | ${b.lost} |`);
    console.log(`| ratio mk8s / dnsmasq | ${(a.qps / b.qps).toFixed(2)} | ${(a.avgMs / b.avgMs).toFixed(2)} | ${(a.p99Ms / b.p99Ms).toFixed(2)} | |`);
  } finally {
    masq.kill('SIGTERM');
    await ours.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

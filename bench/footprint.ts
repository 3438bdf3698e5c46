// Benchmark (not a test): the memory of a cluster's mk8s processes (RSS per
// process and in total, from /proc) for 1 and 3 nodes, idle and after churn
// (a round = a Deployment of --pods pods and --services Services created,
// every pod Ready, then all deleted and every pod gone), after round 1 and
// after the last (no growth from churn: within 10%). The baseline, measured
// in the same run: a bare Node process (`node -e "setInterval(()=>{},1e9)"`).
// With --split, 3 nodes are also measured idle with the kubelet and proxy
// apart (`mk8s up --split-node-components`, the layout before the agent).
// Needs root and Docker; its own MK8S_HOME, cluster name, bridge and ranges;
// brings every cluster down again.
//   node dist/bench/footprint.js [--nodes 1,3] [--pods 100] [--services 50] [--rounds 10] [--split]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findByPlural } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { startCluster, type TestCluster } from '../testkit/cluster.js';

const arg = (name: string, dflt: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : dflt);
const nodeCounts = arg('nodes', '1,3').split(',').map(Number);
const podCount = Number(arg('pods', '100'));
const serviceCount = Number(arg('services', '50'));
const rounds = Number(arg('rounds', '10'));
const split = process.argv.includes('--split');
// --snapshots: a V8 heap snapshot of every process after round 1 and after the last round (SIGUSR2;
// run with NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2, which reaches every process `mk8s up` starts:
// each writes Heap.*.heapsnapshot into its working directory).
const snapshots = process.argv.includes('--snapshots');

const R = {
  pods: findByPlural('', 'pods')!,
  services: findByPlural('', 'services')!,
  deployments: findByPlural('apps', 'deployments')!,
};

/** Resident set size of a process, MB (VmRSS in /proc/PID/status). */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Proportional set size, MB (Pss in /proc/PID/smaps_rollup): pages shared with other processes (the node
 * binary and libraries every mk8s process maps) counted as a share, so the sum over processes is what
 * they use together; the sum of RSS counts those pages once per process.
 */
export function pssMB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Where a process's RSS lives (/proc/PID/smaps), MB: `brk` (glibc's main malloc arena), `arenas`
 * (anonymous mappings inside 64 MB-aligned reservations: glibc's per-thread malloc arenas), `anon`
 * (every other anonymous mapping: V8's heap pages, large mallocs, thread stacks) and `file`
 * (the node binary, libraries, mapped files).
 */
export function rssBreakdown(pid: number): { brk: number; arenas: number; anon: number; file: number } {
  const out = { brk: 0, arenas: 0, anon: 0, file: 0 };
  let kind: keyof typeof out = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const [, start, end, inode, path] = head;
      const size = parseInt(end, 16) - parseInt(start, 16);
      if (path === '[heap]') kind = 'brk';
      else if (inode !== '0' || (path && !path.startsWith('['))) kind = 'file';
      // A glibc arena is a 64 MB-aligned mapping of at most 64 MB (its used part rw, the rest PROT_NONE).
      else if (parseInt(start, 16) % (64 << 20) === 0 && size <= 64 << 20) kind = 'arenas';
      else kind = 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]) / 1024;
  }
  return out;
}

async function baselineMB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const mb = rssMB(child.pid!);
  child.kill();
  return mb;
}

interface Sample {
  label: string;
  perProcess: { role: string; node?: string; mb: number; pss: number; where: ReturnType<typeof rssBreakdown> }[];
  total: number;
  totalPss: number;
}

async function sample(c: TestCluster, label: string): Promise<Sample> {
  const state = await c.state();
  const perProcess = state.processes.map((p: any) => ({ role: p.role, node: p.node, mb: rssMB(p.pid), pss: pssMB(p.pid), where: rssBreakdown(p.pid) }));
  return { label, perProcess, total: perProcess.reduce((a: number, p: { mb: number }) => a + p.mb, 0), totalPss: perProcess.reduce((a: number, p: { pss: number }) => a + p.pss, 0) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000}s`);
    await sleep(1000);
  }
}

const ready = (p: KubeObject) => p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True');

/** One round of churn: pods and services up, every pod Ready, then all deleted and gone. */
async function churn(c: TestCluster, round: number): Promise<number> {
  const t0 = Date.now();
  const labels = { app: 'churn' };
  await c.client.create(R.deployments, 'default', {
    metadata: { name: 'churn' },
    spec: {
      replicas: podCount,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'pbitty/hello-from', ports: [{ containerPort: 80 }] }] } },
    },
  });
  for (let i = 0; i < serviceCount; i++) {
    await c.client.create(R.services, 'default', { metadata: { name: `churn-${i}` }, spec: { selector: labels, ports: [{ port: 80 + i, targetPort: 80 }] } });
  }
  const pods = async () => (await c.client.list(R.pods, 'default', { labelSelector: 'app=churn' })).items;
  await until(`round ${round}: ${podCount} pods Ready`, async () => (await pods()).filter(ready).length === podCount, 600_000);
  await c.client.delete(R.deployments, 'default', 'churn');
  for (let i = 0; i < serviceCount; i++) await c.client.delete(R.services, 'default', `churn-${i}`);
  await until(`round ${round}: every pod gone`, async () => (await pods()).length === 0, 600_000);
  return (Date.now() - t0) / 1000;
}

const fmt = (n: number) => n.toFixed(0);

/** SIGUSR2 to every process of the cluster, then wait until none is still writing (RSS settles). */
async function snapshot(c: TestCluster, round: number): Promise<void> {
  const state = await c.state();
  for (const p of state.processes as { pid: number; role: string }[]) {
    process.kill(p.pid, 'SIGUSR2');
    await sleep(8_000); // one at a time: a snapshot stops the process while it is written
    process.stderr.write(`round ${round}: heap snapshot of ${p.role} ${p.pid} requested\n`);
  }
}

function table(samples: Sample[], base: number): string {
  const lines = ['| cluster, when | processes (MB RSS each) | total MB (sum of RSS) | total ÷ bare node | sum of PSS MB |', '|---|---|---:|---:|---:|'];
  for (const s of samples) {
    const each = s.perProcess.map((p) => `${p.role}${p.node ? ` ${p.node.replace(/^nafp-/, '')}` : ''} ${fmt(p.mb)}`).join(', ');
    lines.push(`| ${s.label} | ${each} | ${fmt(s.total)} | ${(s.total / base).toFixed(1)}× | ${fmt(s.totalPss)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const base = await baselineMB();
  const samples: Sample[] = [];
  const params = (nodes: number, extra: string[] = []) => ({ name: 'nafp', nodes, bridge: 'mk8sna1', nodeCidr: '172.31.187.0/24', podCidr: '10.188.0.0/16', serviceCidr: '10.189.0.0/16', extra });
  const growth: string[] = [];
  for (const nodes of nodeCounts) {
    const c = await startCluster(params(nodes));
    try {
      await sleep(10_000); // settle: first syncs, leases, status writes
      samples.push(await sample(c, `${nodes} node(s), idle`));
      process.stderr.write(`${nodes} node(s) idle: ${fmt(samples.at(-1)!.total)} MB (PSS ${fmt(samples.at(-1)!.totalPss)})\n`);
      let first: Sample | undefined;
      for (let r = 1; r <= rounds; r++) {
        const secs = await churn(c, r);
        await sleep(5_000);
        const s = await sample(c, `${nodes} node(s), after ${r} round(s) of ${podCount} pods + ${serviceCount} services`);
        process.stderr.write(`round ${r}: ${secs.toFixed(0)} s, ${fmt(s.total)} MB (PSS ${fmt(s.totalPss)}); ${s.perProcess.map((p) => `${p.role} ${fmt(p.mb)} (brk ${fmt(p.where.brk)}, arenas ${fmt(p.where.arenas)}, anon ${fmt(p.where.anon)}, file ${fmt(p.where.file)})`).join('; ')}\n`);
        if (r === 1) first = s;
        if (snapshots && (r === 1 || r === rounds)) await snapshot(c, r);
        if (r === 1 || r === rounds) samples.push(s);
      }
      const last = samples.at(-1)!;
      if (first && rounds > 1) growth.push(`${nodes} node(s): after ${rounds} rounds ${fmt(last.total)} MB vs ${fmt(first.total)} MB after 1 (${(((last.total - first.total) / first.total) * 100).toFixed(1)}%; PSS ${fmt(last.totalPss)} vs ${fmt(first.totalPss)} MB)`);
    } finally {
      await c.down();
    }
  }
  if (split) {
    const c = await startCluster(params(3, ['--split-node-components']));
    try {
      await sleep(10_000);
      samples.push(await sample(c, '3 nodes, idle, --split-node-components (kubelet + proxy per node)'));
    } finally {
      await c.down();
    }
  }
  process.stdout.write(`Baseline: a bare Node process (node -e "setInterval(()=>{},1e9)") ${fmt(base)} MB RSS; node ${process.version}\n\n`);
  process.stdout.write(`${table(samples, base)}\n\n`);
  if (growth.length) process.stdout.write(`Growth from churn: ${growth.join('; ')}\n`);
  process.stdout.write(`\n${JSON.stringify({ baseMB: base, samples })}\n`);
}

await main();

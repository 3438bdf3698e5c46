// bench/proxy-modes: the iptables and nftables proxy modes side by side, in
// one run, in throwaway network namespaces (root needed): at 1k, 5k and 10k
// services × 3 endpoints, each backend's full sync (from nothing), no-op
// sync, one endpoint removed, one service added and one deleted, each
// against the bare tool (`iptables-restore` / `nft -f`) given exactly the
// text the backend wrote, in the same state (the tools' own floor). Each
// case is capped in time; writes docs/proxy-modes.svg (sync time against
// services, both modes) and prints a markdown table.
// One-change cases: medians of --reps repetitions (default 5), backend and bare alternating; full syncs:
// medians of --full-reps (default 3).
// The nftables backend writes its partial syncs through a long-lived `nft -i` (proxy/nftables/session.ts),
// as the proxy does; before each timed change the session is warmed (its cache reloaded, as it is between a
// proxy's syncs), since the bare tool's replays in between are another program's writes. `--no-session`:
// every write through `nft -f -`.
//   node dist/bench/proxy-modes.js [--sizes 1000,5000,10000] [--modes iptables,nftables] [--cap-s 240] [--reps 5] [--full-reps 3] [--no-session]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.js';
import { execCommand, type Exec } from '../proxy/apply.js';
import type { ProxyBackend } from '../proxy/backend.js';
import { createBackend, nftBinary } from '../proxy/backends.js';
import type { NftablesBackend } from '../proxy/nftables/backend.js';
import { warmLine } from '../proxy/nftables/render.js';
import { NftSession, type NftTransactions } from '../proxy/nftables/session.js';
import { emptyChanges } from '../proxy/changes.js';
import { repoRoot } from '../testkit/process.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const sizes = arg('sizes', '1000,5000,10000').split(',').map(Number);
const capMs = Number(arg('cap-s', '240')) * 1000;
// Each one-change case runs this many times (there and back), backend and bare tool alternating; medians reported.
const reps = Number(arg('reps', '5'));
// Full syncs from nothing: medians of this many (each on a new backend).
const fullReps = Number(arg('full-reps', '3'));
const modes = arg('modes', 'iptables,nftables').split(',') as ('iptables' | 'nftables')[];
const useSession = !process.argv.includes('--no-session');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const node = { name: 'bench-node', ips: ['172.31.168.2'] };
const cfg = { clusterCIDR: '10.168.0.0/16' };

function objects(n: number): { services: KubeObject[]; slices: KubeObject[] } {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    const np = i % 10 === 0;
    services.push({ metadata: { name, namespace: 'bench' }, spec: { type: np ? 'NodePort' : 'ClusterIP', clusterIP: `10.169.${(i >> 8) & 255}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP', nodePort: np ? 30000 + (i % 2700) : undefined }] } });
    slices.push(slice(name, i, 3));
  }
  return { services, slices };
}

function slice(name: string, i: number, eps: number): KubeObject {
  return {
    metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: eps }, (_, k) => ({ addresses: [`10.${170 + k}.${(i >> 8) & 255}.${i & 255}`], nodeName: k === 0 ? 'bench-node' : 'other', conditions: { ready: true } })),
  };
}

interface Call {
  cmd: string;
  args: string[];
  input: string;
}

/** An exec into the namespace that records the writes (iptables-restore, nft -f) so the bare tool can replay them. */
function recorder(ns: string): { exec: Exec; take: () => Call[]; record: (c: Call) => void } {
  let calls: Call[] = [];
  const exec: Exec = (cmd, args, input) => {
    if (/iptables-restore$/.test(cmd) || (/nft$/.test(cmd) && args.includes('-f'))) {
      const call: Call = { cmd, args, input: typeof input === 'string' ? input : '' };
      calls.push(call);
      // Streamed input (a full nftables sync): keep each piece as it passes, so the replay gets the same text.
      if (input && typeof input !== 'string') input = tee(input, (piece) => (call.input += piece));
    }
    return execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
  };
  return { exec, take: () => ((c) => ((calls = []), c))(calls), record: (c) => calls.push(c) };
}

/** A session whose transactions are recorded as the `nft -f -` calls the bare tool replays. */
function recordedSession(ns: string, record: (c: Call) => void): NftSession & NftTransactions {
  const session = new NftSession(['ip', 'netns', 'exec', ns, nftBinary]);
  const apply = session.apply.bind(session);
  session.apply = (text: string) => {
    const r = apply(text);
    if (r) record({ cmd: nftBinary, args: ['-f', '-'], input: text });
    return r;
  };
  return session;
}

async function* tee(input: AsyncIterable<string>, keep: (piece: string) => void): AsyncGenerator<string> {
  for await (const piece of input) {
    keep(piece);
    yield piece;
  }
}

async function replay(ns: string, calls: Call[]): Promise<number> {
  const t0 = performance.now();
  for (const c of calls) {
    const r = await execCommand('ip', ['netns', 'exec', ns, c.cmd, ...c.args], c.input);
    if (r.code !== 0) throw new Error(`bare ${c.cmd} failed: ${r.stderr.slice(0, 300)}`);
  }
  return performance.now() - t0;
}

const fmt = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n.toFixed(0)} ms`);

interface Row {
  mode: string;
  n: number;
  case: string;
  backend: number;
  bare: number;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy-modes needs root (it makes network namespaces)');
  const rows: Row[] = [];
  console.log('| mode | services | case | backend | bare tool, same text | ratio |\n|---|---|---|---|---|---|');
  const push = (r: Row) => {
    rows.push(r);
    console.log(`| ${r.mode} | ${r.n} | ${r.case} | ${fmt(r.backend)} | ${r.bare ? fmt(r.bare) : '—'} | ${r.bare ? (r.backend / r.bare).toFixed(2) : '—'} |`);
  };
  for (const n of sizes) {
    for (const mode of modes) {
      const ns = `mk8s-nft-b${process.pid}`;
      await execCommand('ip', ['netns', 'add', ns]);
      const started = performance.now();
      const sessions: NftSession[] = [];
      try {
        const { exec, take, record } = recorder(ns);
        const make = (): ProxyBackend => {
          if (mode !== 'nftables' || !useSession) return createBackend(mode, exec);
          const s = recordedSession(ns, record);
          sessions.push(s);
          return createBackend(mode, exec, undefined, { nftSession: s });
        };
        // Before a timed change: the session's cache reloaded, as it is between a proxy's syncs.
        const settle = async () => {
          const s = sessions.at(-1);
          if (!s) return; // iptables mode, or nftables without the session: nothing to warm
          const state = (backend as NftablesBackend).applier?.state;
          const line = state && warmLine(state);
          if (line) await s.warm(line);
        };
        let backend: ProxyBackend = make();
        const { services, slices } = objects(n);
        const input = (s: KubeObject[], l: KubeObject[]) => ({ services: s, slices: l, nodes: [], node, cfg });
        const changed = (...names: string[]) => ({ ...emptyChanges(), services: new Set(names.map((x) => `bench/${x}`)) });
        // Full sync from nothing, then the same text through the bare tool on a fresh namespace state;
        // --full-reps times (a new backend each time), medians.
        const fulls: number[] = [];
        const bares: number[] = [];
        for (let k = 0; k < fullReps; k++) {
          backend = make();
          await backend.start();
          const t = performance.now();
          await backend.sync(input(services, slices), { full: true, changed: emptyChanges() });
          fulls.push(performance.now() - t);
          const fullCalls = take();
          await backend.cleanup();
          take();
          bares.push(await replay(ns, fullCalls));
          await backend.cleanup();
          take();
          if (performance.now() - started > capMs) break;
        }
        push({ mode, n, case: 'full sync', backend: median(fulls), bare: median(bares) });
        backend = make();
        await backend.start();
        await backend.sync(input(services, slices), { full: true, changed: emptyChanges() });
        take();
        if (performance.now() - started > capMs) throw new Error(`cap of ${capMs / 1000} s reached`);
        // No-op.
        const t0 = performance.now();
        const noop = await backend.sync(input(services, slices), { full: false, changed: emptyChanges() });
        push({ mode, n, case: `no-op sync${noop.changed ? ' (wrote!)' : ''}`, backend: performance.now() - t0, bare: 0 });
        take();
        // Per repetition: backend A → B timed (recorded), B → A untimed (recorded), then the bare tool replays
        // the same A → B timed and B → A untimed, so both start from the same state every time.
        const step = async (label: string, there: () => Promise<unknown>, back: () => Promise<unknown>) => {
          const ours: number[] = [];
          const bare: number[] = [];
          for (let k = 0; k < reps; k++) {
            await settle();
            const t1 = performance.now();
            await there();
            ours.push(performance.now() - t1);
            const thereCalls = take();
            await back();
            const backCalls = take();
            bare.push(await replay(ns, thereCalls));
            await replay(ns, backCalls);
          }
          push({ mode, n, case: label, backend: median(ours), bare: median(bare) });
        };
        const mid = n >> 1;
        const l1 = [...slices];
        l1[mid] = slice(`svc-${mid}`, mid, 2);
        await step(
          'one endpoint removed',
          () => backend.sync(input(services, l1), { full: false, changed: changed(`svc-${mid}`) }),
          () => backend.sync(input(services, slices), { full: false, changed: changed(`svc-${mid}`) }),
        );
        const extraName = `svc-${n}`;
        const extraSvc: KubeObject = { metadata: { name: extraName, namespace: 'bench' }, spec: { type: 'ClusterIP', clusterIP: `10.169.255.254`, ports: [{ port: 80, protocol: 'TCP' }] } };
        const withExtra = () => backend.sync(input([...services, extraSvc], [...slices, slice(extraName, 65000, 3)]), { full: false, changed: changed(extraName) });
        const withoutExtra = () => backend.sync(input(services, slices), { full: false, changed: changed(extraName) });
        await step('one service added', withExtra, withoutExtra);
        await withExtra();
        take();
        await step('one service deleted', withoutExtra, withExtra);
        await withoutExtra();
        take();
        await backend.cleanup();
      } catch (e) {
        console.log(`| ${mode} | ${n} | stopped: ${(e as Error).message.slice(0, 120)} | | | |`);
      } finally {
        for (const s of sessions) await s.close();
        await execCommand('ip', ['netns', 'del', ns]);
      }
    }
  }
  writeFileSync(join(repoRoot, 'docs', 'proxy-modes.svg'), plot(rows));
  console.log('\nwrote docs/proxy-modes.svg');
}

/** Full-sync time against services, both modes and their bare tools: a hand-rolled SVG line plot. */
function plot(rows: Row[]): string {
  const W = 640;
  const H = 380;
  const L = 70;
  const B = 50;
  const full = rows.filter((r) => r.case === 'full sync');
  const xs = [...new Set(full.map((r) => r.n))].sort((a, b) => a - b);
  const maxY = Math.max(1, ...full.map((r) => Math.max(r.backend, r.bare))) / 1000;
  const x = (n: number) => L + ((W - L - 20) * n) / Math.max(...xs);
  const y = (s: number) => H - B - ((H - B - 20) * s) / maxY;
  const series = [
    { label: 'iptables mode', mode: 'iptables', key: 'backend' as const, color: '#1f77b4', dash: '' },
    { label: 'bare iptables-restore', mode: 'iptables', key: 'bare' as const, color: '#1f77b4', dash: '5,4' },
    { label: 'nftables mode', mode: 'nftables', key: 'backend' as const, color: '#d62728', dash: '' },
    { label: 'bare nft -f', mode: 'nftables', key: 'bare' as const, color: '#d62728', dash: '5,4' },
  ];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  out.push(`<text x="${W / 2}" y="14" text-anchor="middle" font-weight="bold">Full sync time against services (× 3 endpoints)</text>`);
  out.push(`<line x1="${L}" y1="${H - B}" x2="${W - 10}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="20" x2="${L}" y2="${H - B}" stroke="black"/>`);
  for (const n of xs) out.push(`<text x="${x(n)}" y="${H - B + 16}" text-anchor="middle">${n}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    out.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)} s</text><line x1="${L}" y1="${y(v)}" x2="${W - 10}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  out.push(`<text x="${W / 2}" y="${H - 12}" text-anchor="middle">services</text>`);
  series.forEach((s, i) => {
    const pts = full.filter((r) => r.mode === s.mode).sort((a, b) => a.n - b.n).map((r) => `${x(r.n).toFixed(1)},${y(r[s.key] / 1000).toFixed(1)}`);
    if (pts.length) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}" points="${pts.join(' ')}"/>`);
    out.push(`<line x1="${L + 10}" y1="${34 + i * 16}" x2="${L + 40}" y2="${34 + i * 16}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/><text x="${L + 46}" y="${38 + i * 16}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

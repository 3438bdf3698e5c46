// Benchmark (not a test): wall time of `mk8s get pods` against the real
// `kubectl get pods`, same apiserver, same 100 pods, timed by hyperfine (no
// shell in between), with the median and the CPU time (user + system) of
// each, as a markdown table. Run: `node dist/bench/cli.js [runs]`.
//
// mk8s is a Node program, and Node 20 reads $NODE_EXTRA_CA_CERTS at start-up
// (parsing every certificate in that bundle, tens of ms); some machines set
// it for every process. So each way of running mk8s is timed with the
// environment as it is and without that variable (a learner's usual
// machine): `bin/mk8s` (what `npm link`/`mk8s` runs: the sh launcher and the
// one-file dist/cli/mk8s.cjs) and `node dist/cli/main.js` (the modules as tsc
// wrote them: the way before). `node -e 0` is Node's floor. On a busy
// machine the CPU column says more than the wall times.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startApiServer } from '../apiserver/server.js';
import { Client } from '../client/http.js';
import { findByPlural } from '../api/resources.js';

const runs = Number(process.argv[2] ?? 30);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const mainJs = join(root, 'dist', 'cli', 'main.js');
const launcher = join(root, 'bin', 'mk8s');

interface Case {
  name: string;
  argv: string[];
  /** Without NODE_EXTRA_CA_CERTS. */
  bare?: boolean;
}

interface Timing {
  median: number;
  min: number;
  cpu: number;
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** hyperfine -N (no shell): times in ms; CPU is hyperfine's mean user + system. */
function hyperfine(c: Case, dir: string): Promise<Timing> {
  const json = join(dir, 'hyperfine.json');
  const cmd = [...(c.bare ? ['env', '-u', 'NODE_EXTRA_CA_CERTS'] : []), ...c.argv].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    execFile('hyperfine', ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', json, '--style', 'none', cmd], { maxBuffer: 8 * 1024 * 1024 }, async (err) => {
      if (err) return reject(err);
      const r = JSON.parse(await readFile(json, 'utf8')).results[0];
      resolve({ median: r.median * 1000, min: r.min * 1000, cpu: (r.user + r.system) * 1000 });
    });
  });
}

function outputOf(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(argv[0], argv.slice(1), { maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mk8s-bench-cli-'));
  const server = await startApiServer({ dataDir, port: 0, logger: pino({ level: 'silent' }) });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  try {
    const pods = findByPlural('', 'pods')!;
    for (let i = 0; i < 100; i++) {
      const name = `bench-pod-${String(i).padStart(3, '0')}`;
      await client.create(pods, 'default', { metadata: { name, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    }
    const kc = server.kubeconfigPath;
    const extra = !!process.env.NODE_EXTRA_CA_CERTS;
    const get = ['--kubeconfig', kc, 'get', 'pods'];
    const cases: Case[] = [
      { name: '`kubectl get pods`', argv: ['/usr/bin/kubectl', ...get] },
      { name: '`mk8s get pods` (bin/mk8s: launcher + one file)', argv: [launcher, ...get] },
      ...(extra ? [{ name: '`mk8s get pods` (bin/mk8s), without NODE_EXTRA_CA_CERTS', argv: [launcher, ...get], bare: true }] : []),
      { name: '`node dist/cli/main.js get pods` (before: modules, no launcher)', argv: [process.execPath, mainJs, ...get] },
      ...(extra ? [{ name: '`node dist/cli/main.js get pods`, without NODE_EXTRA_CA_CERTS', argv: [process.execPath, mainJs, ...get], bare: true }] : []),
      { name: '`node -e 0` (Node start-up alone)', argv: [process.execPath, '-e', '0'] },
      ...(extra ? [{ name: '`node -e 0`, without NODE_EXTRA_CA_CERTS', argv: [process.execPath, '-e', '0'], bare: true }] : []),
    ];
    for (const c of cases.slice(0, 4)) {
      const out = await outputOf(c.argv);
      if (!out.includes('bench-pod-099')) throw new Error(`unexpected output from ${c.argv.join(' ')}: ${out.slice(0, 200)}`);
    }
    const times = new Map<string, Timing>();
    for (const c of cases) times.set(c.name, await hyperfine(c, dataDir));
    const k = times.get(cases[0].name)!;
    const lines = [
      `CLI start-up and list: 100 pods, hyperfine -N, ${runs} runs each after 3 warm-ups, ${new Date().toISOString().slice(0, 10)}`,
      '',
      '| command | median (ms) | min (ms) | CPU user+sys (ms) | median vs kubectl | CPU vs kubectl |',
      '|---|---:|---:|---:|---:|---:|',
      ...cases.map((c) => {
        const x = times.get(c.name)!;
        return `| ${c.name} | ${x.median.toFixed(0)} | ${x.min.toFixed(0)} | ${x.cpu.toFixed(0)} | ${(x.median / k.median).toFixed(2)}x | ${(x.cpu / k.cpu).toFixed(2)}x |`;
      }),
      '',
      extra ? `NODE_EXTRA_CA_CERTS is set here (${process.env.NODE_EXTRA_CA_CERTS}); Node 20 parses that bundle before running any code.` : 'NODE_EXTRA_CA_CERTS is not set here.',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    client.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

// Benchmark (not a test): wall time of `mk8s get pods` against the real
// `kubectl get pods`, same apiserver, same 100 pods, runs interleaved, and
// the medians as a markdown table. Run: `node dist/bench/cli.js [runs]`.
//
// mk8s is a Node program, and Node reads $NODE_EXTRA_CA_CERTS at start-up
// (parsing every certificate in that bundle, tens of ms); some machines set
// it for every process. So mk8s is timed twice: with the environment as it
// is, and without that variable (a learner's usual machine).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startApiServer } from '../apiserver/server.js';
import { Client } from '../client/http.js';
import { findByPlural } from '../api/resources.js';

const runs = Number(process.argv[2] ?? 15);
const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../cli/main.js');

function timeOnce(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    execFile(file, args, { env, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
      if (err) return reject(err);
      if (!stdout.includes('bench-pod-099')) return reject(new Error(`unexpected output from ${file}: ${stdout.slice(0, 200)}`));
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

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
    const withoutExtraCa = { ...process.env };
    delete withoutExtraCa.NODE_EXTRA_CA_CERTS;
    const cases: { name: string; file: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
      { name: '`kubectl get pods`', file: '/usr/bin/kubectl', args: ['--kubeconfig', kc, 'get', 'pods'], env: process.env },
      { name: '`mk8s get pods`', file: process.execPath, args: [mainJs, '--kubeconfig', kc, 'get', 'pods'], env: process.env },
    ];
    if (process.env.NODE_EXTRA_CA_CERTS) {
      cases.push({ name: '`mk8s get pods` (without NODE_EXTRA_CA_CERTS)', file: process.execPath, args: [mainJs, '--kubeconfig', kc, 'get', 'pods'], env: withoutExtraCa });
    }
    cases.push({ name: '`node -e 0` (Node start-up alone)', file: process.execPath, args: ['-e', 'process.stdout.write("bench-pod-099")'], env: process.env });
    // Warm-up: kubectl fills its discovery cache, the OS its page cache.
    for (const c of cases) for (let i = 0; i < 2; i++) await timeOnce(c.file, c.args, c.env);
    const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
    for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(await timeOnce(c.file, c.args, c.env));
    const k = median(times.get(cases[0].name)!);
    const lines = [
      `CLI start-up and list: 100 pods, ${runs} runs each (interleaved), median wall time, ${new Date().toISOString().slice(0, 10)}`,
      '',
      '| command | median (ms) | min (ms) | vs kubectl |',
      '|---|---:|---:|---:|',
      ...cases.map((c) => {
        const xs = times.get(c.name)!;
        const m = median(xs);
        return `| ${c.name} | ${m.toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${(m / k).toFixed(2)}x |`;
      }),
      '',
      process.env.NODE_EXTRA_CA_CERTS ? `NODE_EXTRA_CA_CERTS is set here (${process.env.NODE_EXTRA_CA_CERTS}); Node parses that bundle before running any code.` : 'NODE_EXTRA_CA_CERTS is not set here.',
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

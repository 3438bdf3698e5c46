// bench/loadgen: a bounded HTTP load generator for the benchmarks (never a
// test). It stops at whichever comes first: --requests answered or failed,
// or --seconds. Each request opens a new TCP connection (no keep-alive), as
// curl does, so each one is a new conntrack entry and goes through the nat
// table: for a ClusterIP that is the DNAT path under test. Prints one JSON
// line: ok, failed, seconds (until the last request ended), rps, latency
// p50/p99 in ms.
//   node dist/bench/loadgen.js --url http://10.96.0.20/ [--concurrency 8] [--requests 10000] [--seconds 5]
// The benchmarks run it inside a pod's network namespace (nsenter --net).
import http from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  requests: number;
  seconds: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : 0);

function once(url: URL, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: url.hostname, port: url.port || 80, path: url.pathname + url.search, agent: false, timeout: timeoutMs }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
      res.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
  });
}

export async function load(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let started = 0;
  let failed = 0;
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;
  const worker = async () => {
    while (started < o.requests && performance.now() < deadline) {
      started++;
      const s = performance.now();
      const err = await once(url, o.timeoutMs ?? 2000);
      if (err) {
        failed++;
        errors[err] = (errors[err] ?? 0) + 1;
      } else latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { ok: latencies.length, failed, seconds, rps: latencies.length / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), errors };
}

function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

/** A whole number within [min, max], or an error naming the flag. */
function count(name: string, fallback: string, min: number, max: number): number {
  const n = Number(flag(name, fallback));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

if (process.argv[1]?.endsWith('loadgen.js')) {
  try {
    const r = await load({
      url: flag('url'),
      concurrency: count('concurrency', '8', 1, 1024),
      requests: count('requests', '10000', 1, 100_000),
      seconds: count('seconds', '5', 1, 60),
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } catch (e) {
    process.stderr.write(`loadgen: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}

// bench/apiserver: a benchmark, not a test. Creates 10,000 pods with 4
// concurrent clients against a real server on a temp data dir; reports
// create latency p50/p99, list-all latency at 10k, and watch delivery
// latency to 50 watchers. The baseline measured in the same run is a plain
// `GET /healthz` round trip (the HTTPS + fastify floor), so figures read as
// ratios to what no storage or registry work costs.
// `--storage level|etcd|both` (default both): LevelDB, a real etcd (Debian's
// etcd 3.4 on loopback, testkit/etcd.ts), or each in turn, side by side.
//   node dist/bench/apiserver.js [--pods 10000] [--watchers 50] [--storage both]
import { findByPlural } from '../api/resources.js';
import { resourcePath } from '../client/http.js';
import { startTestApi } from '../testkit/api.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PODS = arg('pods', 10_000);
const CLIENTS = 4;
const WATCHERS = arg('watchers', 50);
const pods = findByPlural('', 'pods')!;
const storageArg = process.argv.includes('--storage') ? process.argv[process.argv.indexOf('--storage') + 1] : 'both';
const STORAGES = storageArg === 'both' ? ['level', 'etcd'] : [storageArg];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main() {
  for (const storage of STORAGES) {
    console.log(`\n### storage: ${storage}\n`);
    process.env.MK8S_TEST_STORAGE = storage;
    await run();
  }
}

async function run() {
  const api = await startTestApi();
  const { client } = api;
  try {
    // Baseline: the cost of a request that does no work.
    const base: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await client.request('GET', '/healthz');
      base.push(performance.now() - t0);
    }

    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < PODS) {
          const i = next++;
          const s = performance.now();
          await client.create(pods, 'default', {
            metadata: { name: `bench-${i}`, labels: { app: `a${i % 10}` } },
            spec: { containers: [{ name: 'c', image: 'mk8s/hello-from', ports: [{ containerPort: 80 }] }] },
          });
          lat.push(performance.now() - s);
        }
      }),
    );
    const createWall = performance.now() - t0;

    const listLat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      const l = await client.list(pods, undefined);
      listLat.push(performance.now() - s);
      if (l.items.length < PODS) throw new Error(`list returned ${l.items.length}`);
    }
    const selLat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await client.list(pods, 'default', { labelSelector: 'app=a3' });
      selLat.push(performance.now() - s);
    }

    // Watch delivery: 50 watchers; each update's latency is receipt time minus send time.
    const sentAt = new Map<string, number>();
    const delivery: number[] = [];
    const rv = (await client.list(pods, 'default', { limit: 1 })).metadata.resourceVersion;
    const handles = Array.from({ length: WATCHERS }, () =>
      client.watch(resourcePath(pods, 'default'), { resourceVersion: rv, fieldSelector: 'metadata.name=bench-0' }, (ev) => {
        const at = sentAt.get(ev.object.metadata.labels?.round ?? '');
        if (at !== undefined) delivery.push(performance.now() - at);
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const ROUNDS = 40;
    for (let round = 0; round < ROUNDS; round++) {
      sentAt.set(String(round), performance.now());
      await client.patch(pods, 'default', 'bench-0', { metadata: { labels: { round: String(round) } } });
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const h of handles) h.close();

    const rows = [
      ['baseline: GET /healthz round trip p50', ms(pct(base, 50))],
      [`create pod p50 (${CLIENTS} clients, ${PODS} pods)`, `${ms(pct(lat, 50))} (${(pct(lat, 50) / pct(base, 50)).toFixed(1)}× baseline)`],
      ['create pod p99', `${ms(pct(lat, 99))} (${(pct(lat, 99) / pct(base, 50)).toFixed(1)}× baseline)`],
      ['create throughput', `${Math.round(PODS / (createWall / 1000))} pods/s`],
      [`list all ${PODS} pods p50`, ms(pct(listLat, 50))],
      ['list with labelSelector (1/10 match) p50', ms(pct(selLat, 50))],
      [`watch delivery to ${WATCHERS} watchers p50`, ms(pct(delivery, 50))],
      [`watch delivery to ${WATCHERS} watchers p99`, ms(pct(delivery, 99))],
      ['watch events delivered', `${delivery.length} of ${WATCHERS * ROUNDS}`],
    ];
    console.log('| measure | value |\n|---|---|');
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  } finally {
    await api.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

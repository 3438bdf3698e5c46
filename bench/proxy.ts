// bench/proxy: a benchmark, not a test. In a throwaway network namespace
// (root needed), measures: computing + applying the full ruleset for 1k, 5k
// and 10k services × 3 endpoints with one iptables-restore; a one-service
// change at 10k (partial sync) against a full rewrite of the same state; and
// a no-op sync. The baseline is `iptables-restore` of an empty ruleset in the
// same run (the process start-up floor).
//   node dist/bench/proxy.js [--max 10000]
import type { KubeObject } from '../api/types.js';
import { desiredRules } from '../proxy/rules/desired.js';
import { IptablesApplier, execCommand, type Exec } from '../proxy/apply.js';
import { renderRestore } from '../proxy/rules/render.js';

const maxAt = process.argv.indexOf('--max');
const max = maxAt > 0 ? Number(process.argv[maxAt + 1]) : 10_000;
const node = { name: 'bench-node', ips: ['172.31.251.2'] };
const cfg = { clusterCIDR: '10.244.0.0/16' };

function cluster(n: number): { services: KubeObject[]; slices: KubeObject[] } {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    services.push({ metadata: { name, namespace: 'bench' }, spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP', nodePort: i % 10 === 0 ? 30000 + (i % 2700) : undefined }] } });
    slices.push({
      metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.244.${(i * 3 + k) >> 8 & 255}.${(i * 3 + k) & 255}`], nodeName: k === 0 ? 'bench-node' : 'other', conditions: { ready: true } })),
    });
  }
  return { services, slices };
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy needs root (it makes a network namespace)');
  const ns = `mk8s-bench-${process.pid}`;
  await execCommand('ip', ['netns', 'add', ns]);
  const exec: Exec = (cmd, args, input) => execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
  const rows: string[][] = [];
  console.log('| measure | time | notes |\n|---|---|---|');
  const push = (r: string[]) => {
    rows.push(r);
    console.log(`| ${r.join(' | ')} |`);
  };
  try {
    const t0 = performance.now();
    await exec('iptables-restore', ['-w', '5', '--noflush'], '*nat\nCOMMIT\n');
    const floor = performance.now() - t0;
    push(['baseline: empty iptables-restore', ms(floor), '']);
    for (const n of [1000, 5000, 10000].filter((x) => x <= max)) {
      const { services, slices } = cluster(n);
      const c0 = performance.now();
      const rules = desiredRules(services, slices, node, cfg);
      const compute = performance.now() - c0;
      const applier = new IptablesApplier(exec);
      const full = await applier.sync(rules, true);
      push([`full sync, ${n} services × 3 endpoints (${full.rules} rules)`, ms(compute + full.ms), `compute ${ms(compute)}, restore ${ms(full.ms)} = ${(full.ms / floor).toFixed(0)}× baseline`]);
      if (n === 10000 || n === max) {
        const noop = await applier.sync(desiredRules(services, slices, node, cfg));
        push([`no-op sync at ${n}`, ms(noop.ms), `changed: ${noop.changed}`]);
        // One service loses an endpoint.
        slices[n >> 1] = { ...slices[n >> 1], endpoints: slices[n >> 1].endpoints.slice(0, 2) };
        const p0 = performance.now();
        const changed = desiredRules(services, slices, node, cfg);
        const partial = await applier.sync(changed);
        const partialTotal = performance.now() - p0;
        push([`one-service change at ${n} (partial sync)`, ms(partialTotal), `${partial.chainsWritten} chains written; restore ${ms(partial.ms)}`]);
        const text = renderRestore(changed).text;
        push([`(for scale) full restore text at ${n}`, `${(text.length / 1024 / 1024).toFixed(1)} MiB`, `${text.split('\n').length} lines`]);
      }
      await applier.cleanup();
    }
  } finally {
    await execCommand('ip', ['netns', 'del', ns]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The ruleset against the real kernel: every golden case loads with one
// iptables-restore in a throwaway network namespace, and iptables-save reads
// back the same chains (modulo the kernel's rounding of probabilities); and
// a run of partial syncs, with rule-level edits of the long shared chains,
// ends exactly where a fresh write would; and a full sync written in
// batches while its ruleset is still being computed ends there too.
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.js';
import { isOurChain, parseSave } from '../../proxy/rules/render.js';
import { desiredRules } from '../../proxy/rules/desired.js';
import { IncrementalRules } from '../../proxy/rules/incremental.js';
import { IptablesApplier, execCommand, type Exec } from '../../proxy/apply.js';
import { repoRoot, run } from '../../testkit/process.js';

const dir = join(repoRoot, 'test', 'unit', 'golden', 'proxy');
const canAct = process.getuid?.() === 0 && (await run('iptables', ['--version'])).code === 0;
const maybe = canAct ? test.serial : test.serial.skip;

const normalize = (r: string) => r.replace(/--probability (\d\.\d{5})\d+/, '--probability $1');

maybe('every golden ruleset loads atomically and reads back unchanged', async (t) => {
  const ns = `mk8s-rt-${process.pid}`;
  t.is((await run('ip', ['netns', 'add', ns])).code, 0);
  t.teardown(() => run('ip', ['netns', 'del', ns]));
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const res = await run('ip', ['netns', 'exec', ns, 'iptables-restore', '-w', '5', '--noflush'], { input: text });
    t.is(res.code, 0, `${f}: ${res.stderr}`);
    const saved = parseSave((await run('ip', ['netns', 'exec', ns, 'iptables-save'])).stdout);
    const want = parseSave(text);
    for (const table of ['filter', 'nat'] as const) {
      for (const [chain, rules] of want[table]) {
        t.deepEqual((saved[table].get(chain) ?? []).map(normalize), rules.map(normalize), `${f} ${table} ${chain}`);
      }
    }
  }
});

maybe('partial syncs with rule-level edits leave the kernel exactly as wanted, in order', async (t) => {
  const ns = `mk8s-rp-${process.pid}`;
  t.is((await run('ip', ['netns', 'add', ns])).code, 0);
  t.teardown(() => run('ip', ['netns', 'del', ns]));
  const exec: Exec = (cmd, args, input) => execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
  const node = { name: 'n1', ips: ['172.31.249.2'] };
  const cfg = { clusterCIDR: '10.244.0.0/16' };
  const objectsOf = (present: (i: number) => boolean, eps: (i: number) => number) => {
    const services: KubeObject[] = [];
    const slices: KubeObject[] = [];
    for (let i = 0; i < 300; i++) {
      if (!present(i)) continue;
      const name = `s${i}`;
      services.push({ metadata: { name, namespace: 'default' }, spec: { type: i % 7 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP', nodePort: i % 7 === 0 ? 30000 + i : undefined }] } });
      slices.push({
        metadata: { name: `${name}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
        endpoints: Array.from({ length: eps(i) }, (_, k) => ({ addresses: [`10.244.${k}.${i & 255}`], nodeName: 'n1', conditions: { ready: true } })),
      });
    }
    return { services, slices };
  };
  const state = (present: (i: number) => boolean, eps: (i: number) => number) => {
    const { services, slices } = objectsOf(present, eps);
    return desiredRules(services, slices, node, cfg);
  };
  const applier = new IptablesApplier(exec);
  await applier.sync(state(() => true, () => 2), true);
  const expectKernel = async (want: ReturnType<typeof state>, what: string) => {
    const saved = parseSave((await exec('iptables-save', [])).stdout);
    for (const table of ['filter', 'nat'] as const) {
      const ours = new Map([...saved[table]].filter(([c]) => isOurChain(c)));
      t.deepEqual([...ours.keys()].sort(), [...want[table].keys()].sort(), `${what}: ${table} chains`);
      for (const [chain, rules] of want[table]) t.deepEqual(ours.get(chain)!.map(normalize), rules.map(normalize), `${what}: ${table} ${chain}`);
    }
  };
  const rounds: [string, (i: number) => boolean, (i: number) => number][] = [
    ['one service gone', (i) => i !== 150, () => 2],
    ['it is back, another gone, one without endpoints', (i) => i !== 10, (i) => (i === 200 ? 0 : 2)],
    ['ten services gone, endpoints changed', (i) => i % 30 !== 3, (i) => 1 + (i % 3)],
    ['the first and the last back', (i) => i % 30 !== 3 || i === 3 || i === 293, (i) => 1 + (i % 3)],
  ];
  for (const [what, present, eps] of rounds) {
    const want = state(present, eps);
    const res = await applier.sync(want);
    t.true(res.changed, what);
    await expectKernel(want, what);
  }
  t.true(await applier.intact(), 'the shared chains are as applied');
  await exec('iptables', ['-w', '5', '-t', 'nat', '-D', 'KUBE-SERVICES', '5']);
  t.false(await applier.intact(), 'one rule missing from KUBE-SERVICES is noticed');
  await applier.sync(state(() => true, () => 2), true);
  t.true(await applier.intact());
  await exec('iptables', ['-w', '5', '-t', 'nat', '-F', 'KUBE-MARK-MASQ']);
  t.false(await applier.intact(), 'a flushed chain is noticed');

  // A full sync that computes the ruleset service by service (IncrementalRules.rebuildLazily) and writes each
  // batch of chains while it computes the next: runs of at most 40 chains, from the state above (other services,
  // other endpoints, stale chains to delete), ends exactly at desiredRules, and every run loaded (a chain's jump
  // targets were in place).
  const runs: string[] = [];
  const counting: Exec = (cmd, args, input) => {
    if (cmd === 'iptables-restore') runs.push(typeof input === 'string' ? input : '');
    return exec(cmd, args, input);
  };
  const batched = new IptablesApplier(counting, 40);
  const objects = { present: (i: number) => i % 11 !== 4, eps: (i: number) => 1 + (i % 4) };
  const inc = new IncrementalRules(node, cfg);
  const { services, slices } = objectsOf(objects.present, objects.eps);
  const want = state(objects.present, objects.eps);
  const res = await batched.syncFull(batched.readKernel(), inc.rebuildLazily(services, slices), () => inc.rules);
  t.true(res.changed);
  t.true(runs.length > 10, `written in ${runs.length} runs`);
  t.true(runs.slice(0, -1).every((r) => !/-A KUBE-SERVICES /.test(r)), 'the shared chains only in the last run');
  await expectKernel(want, 'batched full sync');
  const sorted = (m: Map<string, string[]>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  t.deepEqual(sorted(inc.rules.nat), sorted(want.nat), 'the lazily computed ruleset is desiredRules');
  t.deepEqual(sorted(inc.rules.filter), sorted(want.filter));
});

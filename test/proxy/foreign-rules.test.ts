// No window for lost foreign rules: a full sync reads the kernel and then
// writes; another program (a CNI plugin, Docker, a firewall) adding rules in
// between must keep them. The exec seam inserts foreign rules exactly between
// the read (iptables-save) and the write (iptables-restore), against the real
// iptables in a throwaway network namespace, for a one-run full sync and for
// one split into several runs; and the jumps from the built-in chains, added
// beside foreign rules in one restore.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { isOurChain, parseSave } from '../../proxy/rules/render.js';
import { desiredRules, hookJumps } from '../../proxy/rules/desired.js';
import { IptablesApplier, execCommand, type Exec } from '../../proxy/apply.js';
import { run } from '../../testkit/process.js';

const canAct = process.getuid?.() === 0 && (await run('iptables', ['--version'])).code === 0;
const maybe = canAct ? test.serial : test.serial.skip;
const normalize = (r: string) => r.replace(/--probability (\d\.\d{5})\d+/, '--probability $1');

function rules(n: number, eps: number) {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const name = `s${i}`;
    services.push({ metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: `10.160.${i >> 8}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP' }] } });
    slices.push({
      metadata: { name: `${name}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      endpoints: Array.from({ length: eps }, (_, k) => ({ addresses: [`10.161.${k}.${i & 255}`], nodeName: 'n1', conditions: { ready: true } })),
    });
  }
  return desiredRules(services, slices, { name: 'n1', ips: ['172.31.160.2'] }, { clusterCIDR: '10.161.0.0/16' });
}

for (const [what, maxChains] of [['in one restore', 500], ['split into several restores', 4]] as const) {
  maybe(`a rule added between the read and the write of a full sync survives (${what})`, async (t) => {
    const ns = `mk8s-fr-${maxChains}-${process.pid}`;
    t.is((await run('ip', ['netns', 'add', ns])).code, 0);
    t.teardown(() => run('ip', ['netns', 'del', ns]));
    const inNs: Exec = (cmd, args, input) => execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
    let hook: (() => Promise<void>) | undefined;
    let sawSave = false;
    let inserted = false;
    const seen: string[] = [];
    const exec: Exec = async (cmd, args, input) => {
      seen.push(cmd);
      if (cmd === 'iptables-save') sawSave = true;
      // Between our read and our write, someone else adds their rules.
      if (cmd === 'iptables-restore' && sawSave && hook) {
        const h = hook;
        hook = undefined;
        await h();
        inserted = true;
      }
      return inNs(cmd, args, input);
    };
    const ipt = async (...args: string[]) => t.is((await inNs('iptables', ['-w', '5', ...args])).code, 0, args.join(' '));
    const applier = new IptablesApplier(exec, maxChains);
    await applier.sync(rules(20, 2), true);
    await applier.ensureJumps();

    // Damage ours (so the full sync has work to do) and change what we want.
    await ipt('-t', 'nat', '-F', 'KUBE-SERVICES');
    const want = rules(15, 3);
    hook = async () => {
      await ipt('-A', 'INPUT', '-s', '10.166.9.9/32', '-j', 'DROP');
      await ipt('-t', 'nat', '-N', 'CNI-FOREIGN');
      await ipt('-t', 'nat', '-A', 'CNI-FOREIGN', '-d', '10.166.1.0/24', '-j', 'RETURN');
      await ipt('-t', 'nat', '-A', 'POSTROUTING', '-j', 'CNI-FOREIGN');
      await ipt('-t', 'nat', '-I', 'PREROUTING', '1', '-s', '10.166.2.0/24', '-j', 'RETURN');
    };
    sawSave = false;
    const res = await applier.sync(want, true);
    t.true(inserted, 'the foreign rules went in between the read and the write');
    t.true(res.changed);
    if (maxChains < 10) t.true(seen.filter((c) => c === 'iptables-restore').length > 2, 'the full sync was split');

    const after = parseSave((await inNs('iptables-save', [])).stdout);
    t.true(after.filter.get('INPUT')!.includes('-s 10.166.9.9/32 -j DROP'), 'foreign filter rule kept');
    t.deepEqual(after.nat.get('CNI-FOREIGN'), ['-d 10.166.1.0/24 -j RETURN'], 'foreign chain kept');
    t.true(after.nat.get('POSTROUTING')!.includes('-j CNI-FOREIGN'), 'foreign jump kept');
    t.true(after.nat.get('PREROUTING')!.includes('-s 10.166.2.0/24 -j RETURN'), 'foreign rule in a built-in chain kept');
    // And ours are exactly what we want: stale chains of the 5 removed services gone.
    for (const table of ['filter', 'nat'] as const) {
      const ours = [...after[table].keys()].filter(isOurChain).sort();
      t.deepEqual(ours, [...want[table].keys()].sort(), `${table}: our chains`);
      for (const [chain, rs] of want[table]) t.deepEqual(after[table].get(chain)!.map(normalize), rs.map(normalize), `${table} ${chain}`);
    }
    t.true(await applier.intact());
  });
}

maybe('the jumps into our chains: all added in one restore on a fresh node, in kube-proxy\'s order, beside foreign rules; none again; one spelled differently is found by -C', async (t) => {
  const ns = `mk8s-fj-${process.pid}`;
  t.is((await run('ip', ['netns', 'add', ns])).code, 0);
  t.teardown(() => run('ip', ['netns', 'del', ns]));
  const calls: string[] = [];
  const exec: Exec = (cmd, args, input) => {
    calls.push(`${cmd} ${args.filter((a) => a !== '-w' && a !== '5').slice(0, 4).join(' ')}`);
    return execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
  };
  const ipt = async (...args: string[]) => execCommand('ip', ['netns', 'exec', ns, 'iptables', '-w', '5', ...args]);
  await ipt('-t', 'filter', '-A', 'INPUT', '-s', '192.0.2.1/32', '-j', 'DROP'); // somebody else's
  const applier = new IptablesApplier(exec);
  await applier.sync(rules(3, 1), true);
  calls.length = 0;
  t.is(await applier.ensureJumps(), hookJumps.length);
  t.is(calls.filter((c) => c.startsWith('iptables ') && c.includes('-C')).length, 0, calls.join('\n'));
  t.is(calls.filter((c) => c.startsWith('iptables-restore')).length, 1, calls.join('\n'));
  const list = async (table: string, chain: string) => (await ipt('-t', table, '-S', chain)).stdout.split('\n').filter((l) => l.startsWith('-A '));
  // Prepended to the built-in chains (the foreign rule after ours), appended to POSTROUTING.
  t.deepEqual(
    (await list('filter', 'INPUT')).map((l) => l.split(' -j ')[1]),
    ['KUBE-NODEPORTS', 'KUBE-EXTERNAL-SERVICES', 'DROP'],
  );
  t.deepEqual((await list('nat', 'POSTROUTING')).map((l) => l.split(' -j ')[1]), ['KUBE-POSTROUTING']);
  calls.length = 0;
  t.is(await applier.ensureJumps(), 0);
  t.true(calls.every((c) => c.startsWith('iptables -t')), calls.join('\n'));
  // A jump to the same target, spelled another way (no comment): iptables -C decides, and it is not ours → added.
  await ipt('-t', 'nat', '-D', 'PREROUTING', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES');
  await ipt('-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'KUBE-SERVICES');
  calls.length = 0;
  t.is(await applier.ensureJumps(), 1);
  t.is(calls.filter((c) => c.includes('-C PREROUTING')).length, 1, calls.join('\n'));
  t.deepEqual((await list('nat', 'PREROUTING')).length, 2);
});

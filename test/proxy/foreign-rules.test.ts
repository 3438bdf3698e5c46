// No window for lost foreign rules: a full sync reads the kernel and then
// writes; another program (a CNI plugin, Docker, a firewall) adding rules in
// between must keep them. The exec seam inserts foreign rules exactly between
// the read (iptables-save) and the write (iptables-restore), against the real
// iptables in a throwaway network namespace, for a one-run full sync and for
// one split into several runs.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { isOurChain, parseSave } from '../../proxy/rules/render.js';
import { desiredRules } from '../../proxy/rules/desired.js';
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

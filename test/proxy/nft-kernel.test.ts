// The nftables ruleset against the real kernel, in a throwaway network
// namespace: every golden transaction loads and `nft -j list table ip
// kube-proxy` reads it back unchanged (each chain's rules as rendered, each
// map's elements); and the applier's loop: a partial sync rewrites only the
// changed chains (the kernel's rule handles of every other chain stay the
// same), damage is noticed and a full sync repairs it, a previous proxy's
// stale chains go, cleanup leaves nothing.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execCommand, type Exec } from '../../proxy/apply.js';
import { NftApplier, parseChainListing } from '../../proxy/nftables/apply.js';
import { desiredNft } from '../../proxy/nftables/ruleset.js';
import { flatten, warmLine } from '../../proxy/nftables/render.js';
import { NftSession } from '../../proxy/nftables/session.js';
import { golden } from '../helpers/golden.js';
import { cases, cfg, many, node, slice } from '../helpers/proxy-cases.js';
import { repoRoot, run } from '../../testkit/process.js';

const NFT = '/usr/sbin/nft';
const canAct = process.getuid?.() === 0 && (await run(NFT, ['--version'])).code === 0;
const maybe = canAct ? test.serial : test.serial.skip;
const nftCfg = { ...cfg, serviceCIDRs: ['10.96.0.0/12'] };

type T = { teardown: (f: () => unknown) => void; is: (a: unknown, b: unknown, m?: string) => void };

async function netns(t: T, tag: string): Promise<Exec> {
  return (await namespace(t, tag)).exec;
}

async function namespace(t: T, tag: string): Promise<{ ns: string; exec: Exec }> {
  const ns = `mk8s-nft-${tag}-${process.pid}`.slice(0, 40);
  t.is((await run('ip', ['netns', 'add', ns])).code, 0, `ip netns add ${ns}`);
  t.teardown(() => run('ip', ['netns', 'del', ns]));
  return { ns, exec: (cmd, args, input) => execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input) };
}

/** The table as `nft -j` lists it, without handles (they differ run to run). */
function normalized(json: string): unknown[] {
  const strip = (o: any): any => {
    if (Array.isArray(o)) return o.map(strip);
    if (o && typeof o === 'object') return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'handle').map(([k, v]) => [k, strip(v)]));
    return o;
  };
  return strip(JSON.parse(json).nftables.filter((o: any) => !o.metainfo));
}

/** Rule text as rendered, without `counter` (the listing prints `counter packets N bytes M`). */
const bare = (r: string) => r.replace(/ ?\bcounter\b/, '').trim();

for (const name of Object.keys(cases)) {
  maybe(`golden ${name}: loads in one transaction and reads back unchanged`, async (t) => {
    const exec = await netns(t, 'g');
    const text = readFileSync(join(repoRoot, 'test', 'unit', 'golden', 'proxy-nft', `${name}.nft`), 'utf8');
    const res = await exec(NFT, ['-f', '-'], text);
    t.is(res.code, 0, res.stderr);
    const listed = await exec(NFT, ['-j', 'list', 'table', 'ip', 'kube-proxy']);
    t.is(listed.code, 0, listed.stderr);
    golden(t, `unit/golden/proxy-nft/${name}.json`, JSON.stringify(normalized(listed.stdout), null, 1) + '\n');
    // Every per-service chain holds exactly the rules rendered, in order; every map exactly its elements.
    const want = flatten(desiredNft(...cases[name], node, nftCfg));
    const objs = JSON.parse(listed.stdout).nftables as any[];
    const kernelChains = objs.filter((o) => o.chain && o.chain.name.includes('/')).map((o) => o.chain.name).sort();
    t.deepEqual(kernelChains, [...want.chains.keys()].sort());
    for (const [chain, rules] of want.chains) {
      const l = await exec(NFT, ['list', 'chain', 'ip', 'kube-proxy', chain]);
      t.deepEqual(parseChainListing(l.stdout).map((r) => r.rule), rules.map(bare), chain);
    }
    for (const [m, elems] of Object.entries(want.maps)) {
      const map = objs.find((o) => o.map?.name === m).map;
      t.is(map.elem?.length ?? 0, elems.size, m);
    }
    t.is(objs.find((o) => o.set?.name === 'cluster-ips').set.elem?.length ?? 0, want.clusterIPs.size);
  });
}

/** Chain name → the kernel handles of its rules. */
async function handles(exec: Exec): Promise<Map<string, number[]>> {
  const l = await exec(NFT, ['-j', 'list', 'table', 'ip', 'kube-proxy']);
  const out = new Map<string, number[]>();
  for (const o of JSON.parse(l.stdout).nftables) {
    if (o.chain) out.set(o.chain.name, out.get(o.chain.name) ?? []);
    if (o.rule) out.set(o.rule.chain, [...(out.get(o.rule.chain) ?? []), o.rule.handle]);
  }
  return out;
}

maybe('applier: partial syncs touch only the changed chains; damage is noticed and repaired; stale chains go; cleanup', async (t) => {
  const exec = await netns(t, 'a');
  // A previous proxy's leftover: a service chain nobody wants any more.
  t.is((await exec(NFT, ['-f', '-'], 'add table ip kube-proxy\nadd chain ip kube-proxy service-AAAAAAAA-default/gone/tcp/\n')).code, 0);
  const applier = new NftApplier(exec, NFT);
  const [ss, sl] = many(300, 2);
  const full = await applier.sync(desiredNft(ss, sl, node, nftCfg), true);
  t.true(full.changed);
  let kernel = await handles(exec);
  t.false(kernel.has('service-AAAAAAAA-default/gone/tcp/'), 'stale chain of a previous proxy deleted');
  t.is([...kernel.keys()].filter((c) => c.includes('/')).length, 300 * 3);
  t.true(await applier.intact());

  // No change: no transaction at all.
  const noop = await applier.sync(desiredNft(ss, sl, node, nftCfg));
  t.false(noop.changed);

  // Service 7 loses an endpoint; service 299 goes; a new service appears.
  const sl2 = [...sl];
  sl2[7] = slice('s00007', [{ port: 80 }], [{ ip: '10.244.0.14', node: 'mk8s-worker' }]);
  const [ss3, sl3] = [[...ss.slice(0, 299)], [...sl2.slice(0, 299)]];
  const [extraS, extraL] = many(301, 1, new Set(Array.from({ length: 300 }, (_, i) => i)));
  const before = kernel;
  const part = await applier.sync(desiredNft([...ss3, ...extraS], [...sl3, ...extraL], node, nftCfg));
  t.true(part.changed);
  t.is(part.chainsWritten, 3, 'service 7 chain, the new service chain and its endpoint chain');
  kernel = await handles(exec);
  const want = flatten(desiredNft([...ss3, ...extraS], [...sl3, ...extraL], node, nftCfg));
  t.deepEqual([...kernel.keys()].filter((c) => c.includes('/')).sort(), [...want.chains.keys()].sort());
  let kept = 0;
  for (const [chain, h] of kernel) {
    if (!before.has(chain)) continue;
    if (chain.includes('/s00007/')) continue;
    t.deepEqual(h, before.get(chain), `${chain} untouched`);
    kept++;
  }
  t.true(kept > 800);
  t.not(JSON.stringify(kernel.get([...want.chains.keys()].find((c) => c.startsWith('service-') && c.includes('/s00007/'))!)), JSON.stringify(before.get([...want.chains.keys()].find((c) => c.startsWith('service-') && c.includes('/s00007/'))!)));
  t.true(await applier.intact());

  // Damage: somebody empties the dispatch map. intact() says so; a full sync repairs it.
  t.is((await exec(NFT, ['flush', 'map', 'ip', 'kube-proxy', 'service-ips'])).code, 0);
  t.false(await applier.intact());
  await applier.sync(desiredNft([...ss3, ...extraS], [...sl3, ...extraL], node, nftCfg), true);
  t.true(await applier.intact());
  const m = JSON.parse((await exec(NFT, ['-j', 'list', 'map', 'ip', 'kube-proxy', 'service-ips'])).stdout).nftables.find((o: any) => o.map).map;
  t.is(m.elem.length, 300);

  // The whole table deleted: noticed too.
  t.is((await exec(NFT, ['delete', 'table', 'ip', 'kube-proxy'])).code, 0);
  t.false(await applier.intact());

  // Counters: live rules of one service read back with packets/bytes.
  await applier.sync(desiredNft(ss, sl, node, nftCfg), true);
  const chains = [...flatten(desiredNft(ss.slice(3, 4), sl.slice(3, 4), node, nftCfg)).chains.keys()];
  const live = await applier.liveRules(chains);
  t.is(live.length, 3 + 2 * 2, 'masquerade + 2 picks in the service chain, 2 rules in each endpoint chain');
  t.true(live.every((r) => r.packets === 0 && r.table === 'ip kube-proxy'));

  // A bad transaction fails whole and leaves the next sync full.
  await t.throwsAsync(applier.sync({ ...desiredNft(ss, sl, node, nftCfg), fixed: { ...desiredNft(ss, sl, node, nftCfg).fixed, nodePortIPs: ['not-an-ip'] } }, true));
  t.is(applier.state, undefined);
  t.true((await handles(exec)).size > 900, 'the failed transaction changed nothing');

  await applier.cleanup();
  const gone = await exec(NFT, ['list', 'table', 'ip', 'kube-proxy']);
  t.not(gone.code, 0);
  await applier.cleanup(); // no table: no error
});

maybe('a full sync streams into nft as it computes: a computation that fails half-way commits nothing', async (t) => {
  const exec = await netns(t, 'st');
  const applier = new NftApplier(exec, NFT);
  const [ss, sl] = many(300, 3);
  await applier.sync(desiredNft(ss, sl, node, nftCfg), true);
  const before = await handles(exec);
  // The fragments of a new ruleset, the 250th of them failing: nft has parsed the ones before (the pieces went
  // to it as they were produced, more than its pipe holds) and must commit none of them.
  const other = desiredNft(ss, sl.map((s) => ({ ...s, endpoints: (s as any).endpoints.slice(0, 1) })), node, nftCfg);
  let taken = 0;
  function* failing() {
    for (const f of other.services.values()) {
      if (++taken === 250) throw new Error('computation failed');
      yield f;
    }
  }
  const err = await t.throwsAsync(applier.syncFull(other.fixed, failing()));
  t.regex(err!.message, /computation failed/);
  t.is(taken, 250);
  t.is(applier.state, undefined, 'the next sync is full');
  t.deepEqual(await handles(exec), before, 'every rule as before: nothing committed');
  // The next full sync (here: of the streamed kind, from a lazily computed ruleset) applies whole.
  const res = await applier.syncFull(other.fixed, other.services.values());
  t.true(res.changed);
  t.is(res.chainsWritten, flatten(other).chains.size);
  t.true(await applier.intact());
});

maybe('affinity: per-endpoint sets with timeout; a sync keeps them and their entries', async (t) => {
  const exec = await netns(t, 'f');
  const applier = new NftApplier(exec, NFT);
  const [services, slices] = cases['session-affinity'];
  await applier.sync(desiredNft(services, slices, node, nftCfg), true);
  const sets = JSON.parse((await exec(NFT, ['-j', 'list', 'sets', 'ip'])).stdout).nftables.filter((o: any) => o.set?.name.startsWith('affinity-')).map((o: any) => o.set);
  t.is(sets.length, 2);
  t.true(sets[0].flags.includes('timeout'));
  t.is(sets[0].timeout, 10800);
  // A client remembered in one set survives a full sync (kube-proxy keeps the sets; it never flushes them).
  t.is((await exec(NFT, ['add', 'element', 'ip', 'kube-proxy', sets[0].name, '{ 10.1.2.3 }'])).code, 0);
  await applier.sync(desiredNft(services, slices, node, nftCfg), true);
  const l = JSON.parse((await exec(NFT, ['-j', 'list', 'set', 'ip', 'kube-proxy', sets[0].name])).stdout).nftables.find((o: any) => o.set).set;
  t.is(l.elem?.length, 1);
});

maybe('switching modes: each mode removes the other one\'s rules (cleanupOtherModes), and only those', async (t) => {
  const exec = await netns(t, 's');
  const { createBackend, cleanupOtherModes } = await import('../../proxy/backends.js');
  const { emptyChanges } = await import('../../proxy/changes.js');
  const [services, slices] = cases['nodeport-31117'];
  const input = { services, slices, nodes: [], node, cfg };
  // A foreign nft table and a foreign iptables chain must survive both switches.
  t.is((await exec(NFT, ['add', 'table', 'ip', 'someone-else'])).code, 0);
  t.is((await exec('iptables', ['-w', '5', '-t', 'nat', '-N', 'FOREIGN'])).code, 0);
  const ipt = createBackend('iptables', exec);
  await ipt.start();
  await ipt.sync(input, { full: true, changed: emptyChanges() });
  t.regex((await exec('iptables-save', [])).stdout, /KUBE-SVC-/);
  // iptables → nftables.
  await cleanupOtherModes('nftables', exec);
  const nft = createBackend('nftables', exec);
  await nft.start();
  await nft.sync(input, { full: true, changed: emptyChanges() });
  let saved = (await exec('iptables-save', [])).stdout;
  t.notRegex(saved, /KUBE-/, 'no iptables rule of the proxy left');
  t.regex(saved, /:FOREIGN/);
  t.is((await exec(NFT, ['list', 'table', 'ip', 'kube-proxy'])).code, 0);
  t.true(await nft.intact());
  // nftables → iptables.
  await cleanupOtherModes('iptables', exec);
  t.not((await exec(NFT, ['list', 'table', 'ip', 'kube-proxy'])).code, 0, 'table ip kube-proxy gone');
  t.is((await exec(NFT, ['list', 'table', 'ip', 'someone-else'])).code, 0);
  const back = createBackend('iptables', exec);
  await back.start();
  await back.sync(input, { full: true, changed: emptyChanges() });
  saved = (await exec('iptables-save', [])).stdout;
  t.regex(saved, /KUBE-NODEPORTS/);
});

/** The table as listed, without handles; and whether a process is alive. */
const listed = async (exec: Exec) => normalized((await exec(NFT, ['-j', 'list', 'ruleset'])).stdout);
const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && (process.kill(pid, 0), true);
  } catch {
    return false;
  }
};

maybe('session: one nft -i applies transactions whole, reports errors and stays, warms up without changing anything, restarts after a kill, ends on close', async (t) => {
  const { ns, exec } = await namespace(t, 'i');
  const session = new NftSession(['ip', 'netns', 'exec', ns, NFT]);
  t.teardown(() => session.close());
  const ok = await session.apply('add table ip kube-proxy { comment "rules for kube-proxy" ; }\nadd set ip kube-proxy cluster-ips { type ipv4_addr ; }\nadd element ip kube-proxy cluster-ips { 10.96.0.1 }\n');
  t.is(ok?.code, 0, ok?.stderr);
  t.regex((await exec(NFT, ['list', 'set', 'ip', 'kube-proxy', 'cluster-ips'])).stdout, /10\.96\.0\.1/);
  const pid = session.pid;
  t.true(alive(pid));

  // A failing transaction: nft's error comes back, and nothing of it was committed (not its first command either).
  const bad = await session.apply('add chain ip kube-proxy first\nadd element ip kube-proxy no-such-set { 1.2.3.4 }\n');
  t.is(bad?.code, 1);
  t.regex(bad!.stderr, /Error: .*No such file or directory/);
  t.regex(bad!.stderr, /no-such-set/);
  t.not((await exec(NFT, ['list', 'chain', 'ip', 'kube-proxy', 'first'])).code, 0, 'the batch was not committed');
  t.is(session.pid, pid, 'the same nft goes on');
  t.is((await session.apply('add chain ip kube-proxy next\n'))?.code, 0);

  // What it does not take: a transaction longer than its line, or a comment that a joined line would swallow.
  t.is(new NftSession(['true'], { maxLine: 10 }).apply('add chain ip kube-proxy long-name\n'), undefined);
  t.is(session.apply('add chain ip kube-proxy x # why\nadd chain ip kube-proxy y\n'), undefined);

  // The warm-up line changes nothing (the table keeps its comment, the set its element); on a deleted table it
  // fails whole and creates nothing.
  const before = await listed(exec);
  const line = warmLine({ fixedKey: '', chains: new Map(), affinity: new Map(), maps: {} as any, clusterIPs: new Set(['10.96.0.1']) })!;
  await session.warm(line);
  await session.warm(line);
  t.is(session.warmed, 2);
  t.deepEqual(await listed(exec), before);
  t.is((await exec(NFT, ['delete', 'table', 'ip', 'kube-proxy'])).code, 0);
  await session.warm(line);
  t.deepEqual(await listed(exec), [], 'no table created by the warm-up');

  // nft killed: the next transaction gets a new one (the first may report the loss: the applier then syncs in full).
  process.kill(pid!, 'SIGKILL');
  let r = await session.apply('add table ip kube-proxy\n');
  if (r?.code !== 0) r = await session.apply('add table ip kube-proxy\n');
  t.is(r?.code, 0, r?.stderr);
  t.not(session.pid, pid);
  t.is((await exec(NFT, ['list', 'table', 'ip', 'kube-proxy'])).code, 0);

  // close(): nft gets EOF and is gone.
  const last = session.pid;
  await session.close();
  t.false(alive(last));
  t.is(session.apply('add table ip kube-proxy\n'), undefined, 'closed: for nft -f');
});

maybe('applier with a session: partial syncs go through nft -i and leave the table nft -f leaves', async (t) => {
  const a = await namespace(t, 'ia');
  const b = await namespace(t, 'ib');
  const session = new NftSession(['ip', 'netns', 'exec', a.ns, NFT]);
  t.teardown(() => session.close());
  const withSession = new NftApplier(a.exec, NFT, session);
  const plain = new NftApplier(b.exec, NFT);
  const [ss, sl] = many(200, 2);
  const steps: Array<[typeof ss, typeof sl]> = [
    [ss, sl],
    [ss.slice(0, 150), sl.slice(0, 150)],
    [ss.slice(0, 150), sl.slice(0, 150).map((s, i) => (i === 7 ? slice('s00007', [{ port: 80 }], [{ ip: '10.244.0.14', node: 'mk8s-worker' }]) : s))],
    [[...ss.slice(0, 150), ...many(201, 1, new Set(Array.from({ length: 200 }, (_, i) => i)))[0]], [...sl.slice(0, 150), ...many(201, 1, new Set(Array.from({ length: 200 }, (_, i) => i)))[1]]],
  ];
  for (const [i, [s2, l2]] of steps.entries()) {
    const want = desiredNft(s2, l2, node, nftCfg);
    await withSession.sync(want, i === 0);
    await plain.sync(want, i === 0);
    t.deepEqual(await listed(a.exec), await listed(b.exec), `step ${i}`);
  }
  t.is(session.transactions, 3, 'every partial sync went through the session');
  t.true(session.warmed >= 1, 'and the cache was warmed between syncs');
  t.true(await withSession.intact());
});

// Golden tests for the pure iptables ruleset: each tutorial case, laid out as
// kube-proxy lays it out.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { RulesCache, desiredRules, usableEndpoints, endpointsFor, probability } from '../../proxy/rules/desired.js';
import { chainEdits, parseSave, renderRestore } from '../../proxy/rules/render.js';
import { golden } from '../helpers/golden.js';
import { cases, cfg, node, slice, svc, three } from '../helpers/proxy-cases.js';

const render = (services: KubeObject[], slices: KubeObject[], n = node) => renderRestore(desiredRules(services, slices, n, cfg)).text;

for (const [name, [services, slices]] of Object.entries(cases)) {
  test(`golden: ${name}`, (t) => golden(t, `unit/golden/proxy/${name}.txt`, render(services, slices)));
}

test('well-known chain names: kube-dns', (t) => {
  const text = render([svc('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }, undefined, 'kube-system')], [slice('kube-dns', [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }], three.slice(0, 1), 'kube-system')]);
  t.regex(text, /-A KUBE-SERVICES -d 10\.96\.0\.10\/32 -p udp -m comment --comment "kube-system\/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU/);
  t.regex(text, /-j KUBE-SVC-ERIFXISQEP7F7OF4/);
});

test('probabilities spread evenly: 1/3, 1/2, then the rest', (t) => {
  t.is(probability(1 / 3), '0.3333333333');
  const text = render(...cases['clusterip-3-endpoints']);
  const probs = [...text.matchAll(/--probability (\S+)/g)].map((m) => m[1]);
  t.deepEqual(probs, ['0.3333333333', '0.5000000000']);
});

test('terminating endpoints serve only when no ready endpoint is left', (t) => {
  const eps = endpointsFor(cases['terminating-fallback'][0][0], { port: 80, protocol: 'TCP' }, cases['terminating-fallback'][1]);
  t.deepEqual(usableEndpoints(eps).map((e) => e.ip), ['10.244.1.9']);
  const withReady = [...eps, { ip: '10.244.1.11', port: 80, ready: true, serving: true, terminating: false }];
  t.deepEqual(usableEndpoints(withReady).map((e) => e.ip), ['10.244.1.11']);
});

test('partial sync writes only the chains that changed; stale chains are deleted', (t) => {
  const [services, slices] = cases['clusterip-3-endpoints'];
  const other = svc('other', { clusterIP: '10.96.99.1', ports: [{ port: 80, protocol: 'TCP' }] });
  const otherSlice = slice('other', [{ port: 80 }], [{ ip: '10.244.1.50', node: 'mk8s-worker' }]);
  const before = desiredRules([...services, other], [...slices, otherSlice], node, cfg);
  const applied = { filter: before.filter, nat: before.nat };
  const unchanged = renderRestore(before, applied);
  t.is(unchanged.chainsWritten, 0, 'nothing to write');
  // One endpoint of benjamintoll goes away: its SVC chain changes and the removed SEP goes; `other` is untouched.
  const after = desiredRules([...services, other], [slice('benjamintoll', [{ port: 80 }], three.slice(0, 2)), otherSlice], node, cfg);
  const partial = renderRestore(after, applied);
  t.is(partial.chainsWritten, 1);
  t.notRegex(partial.text, /10\.244\.1\.50/, 'the unchanged service is not rewritten');
  t.notRegex(partial.text, /^:KUBE-SERVICES/m, 'KUBE-SERVICES is unchanged');
  t.regex(partial.text, /^-X KUBE-SEP-/m, 'the gone endpoint chain is deleted');
  const full = renderRestore(after);
  t.true(full.chainsWritten > partial.chainsWritten);
});

/** n ClusterIP services with one endpoint each. */
function many(n: number, skip = new Set<number>()): [KubeObject[], KubeObject[]] {
  const ss: KubeObject[] = [];
  const sl: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    if (skip.has(i)) continue;
    ss.push(svc(`s${String(i).padStart(4, '0')}`, { clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP' }] }));
    sl.push(slice(`s${String(i).padStart(4, '0')}`, [{ port: 80 }], [{ ip: `10.244.${i >> 8}.${i & 255}`, node: 'mk8s-worker' }]));
  }
  return [ss, sl];
}

test('one service added or removed among many: KUBE-SERVICES gets rule-level edits, not a rewrite', (t) => {
  const before = desiredRules(...many(200, new Set([57])), node, cfg);
  const applied = { filter: before.filter, nat: before.nat };
  const after = desiredRules(...many(200, new Set([120])), node, cfg);
  const { text } = renderRestore(after, applied);
  t.notRegex(text, /^:KUBE-SERVICES /m);
  const edits = text.split('\n').filter((l) => / KUBE-SERVICES /.test(l) && /^-[DI] /.test(l));
  t.is(edits.length, 2);
  t.regex(edits[0], /^-D KUBE-SERVICES -d 10\.96\.0\.120\/32 /);
  // s0057 sorts 58th among 199 services: it goes to position 58.
  t.regex(edits[1], /^-I KUBE-SERVICES 58 -d 10\.96\.0\.57\/32 /);
  // The new service's chains are declared before the rule that jumps to them; the gone ones deleted after.
  t.true(text.indexOf(':KUBE-SVC-') < text.indexOf('-I KUBE-SERVICES 58'));
  t.true(text.indexOf('-D KUBE-SERVICES') < text.indexOf('-X KUBE-SVC-'));
});

test('chainEdits: applying the edits to the old chain gives the new one; rewrites when that is simpler', (t) => {
  const apply = (had: string[], ops: string[]) => {
    const out = [...had];
    for (const op of ops) {
      const m = /^-([DI]) C (?:(\d+) )?(.*)$/.exec(op)!;
      if (m[1] === 'D') out.splice(out.indexOf(m[3]), 1);
      else out.splice(Number(m[2]) - 1, 0, m[3]);
    }
    return out;
  };
  let seed = 7;
  const rnd = (n: number) => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const universe = Array.from({ length: 300 }, (_, i) => `-d 10.96.${i >> 8}.${i & 255}/32 -j X${i}`);
  let edited = 0;
  for (let round = 0; round < 200; round++) {
    const had = universe.filter(() => rnd(3) > 0);
    const want = universe.filter((r) => (had.includes(r) ? rnd(40) > 0 : rnd(60) === 0));
    const ops = chainEdits('C', had, want);
    if (ops) t.deepEqual(apply(had, ops), want);
    if (ops?.length) edited++;
  }
  t.true(edited > 150, `${edited} rounds edited`);
  t.is(chainEdits('C', ['a', 'b', 'c'], ['a', 'c']), undefined, 'a short chain is rewritten');
  const long = universe.slice(0, 100);
  t.is(chainEdits('C', long, [...long].reverse()), undefined, 'reordered rules: rewrite');
  t.is(chainEdits('C', long, universe.slice(100, 200)), undefined, 'everything changed: rewrite');
  t.deepEqual(chainEdits('C', long, long), []);
  t.deepEqual(chainEdits('C', long, [...long, 'last']), ['-I C 101 last']);
});

test('RulesCache: the same rules as without it; an unchanged service keeps its chains, a changed one is recomputed', (t) => {
  const cache = new RulesCache();
  const [ss, sl] = many(50);
  const first = desiredRules(ss, sl, node, cfg, cache);
  t.deepEqual(first, desiredRules(ss, sl, node, cfg));
  // Service 10 gets a second endpoint (a new slice object, as an informer delivers it).
  const sl2 = [...sl];
  sl2[10] = slice('s0010', [{ port: 80 }], [{ ip: '10.244.0.10', node: 'mk8s-worker' }, { ip: '10.244.9.9', node: 'other' }]);
  const second = desiredRules(ss, sl2, node, cfg, cache);
  t.deepEqual(second, desiredRules(ss, sl2, node, cfg));
  const chainOf = (r: typeof first, name: string) => [...r.nat].find(([c, rules]) => c.startsWith('KUBE-SVC-') && rules.some((x) => x.includes(`default/${name} cluster IP`)))!;
  t.is(chainOf(second, 's0011')[1], chainOf(first, 's0011')[1], 'unchanged service: the same rule array');
  t.not(chainOf(second, 's0010')[1], chainOf(first, 's0010')[1]);
  t.is(chainOf(second, 's0010')[1].filter((r) => r.includes('KUBE-SEP-')).length, 2);
});

test('parseSave reads iptables-save output back into chains', (t) => {
  const text = render(...cases['nodeport-31117']);
  const parsed = parseSave(text.replace(/^-X .*$/gm, ''));
  const rules = desiredRules(...cases['nodeport-31117'], node, cfg);
  t.deepEqual(parsed.nat.get('KUBE-NODEPORTS'), rules.nat.get('KUBE-NODEPORTS'));
});

test('a full sync replaces whole tables but keeps rules and chains that are not ours', async (t) => {
  const { renderWholeTables } = await import('../../proxy/rules/render.js');
  const saved = [
    '*filter',
    ':INPUT DROP [10:600]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':CNI-FORWARD - [0:0]',
    ':KUBE-SVC-OLDOLDOLDOLDOLD - [0:0]',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -i lo -j ACCEPT',
    '-A FORWARD -j CNI-FORWARD',
    '-A CNI-FORWARD -d 10.244.1.0/24 -j ACCEPT',
    'COMMIT',
  ].join('\n');
  const text = renderWholeTables(desiredRules(...cases['nodeport-31117'], node, cfg), saved);
  t.regex(text, /^:INPUT DROP \[0:0\]$/m, 'policies kept');
  t.regex(text, /^-A INPUT -i lo -j ACCEPT$/m);
  t.regex(text, /^-A CNI-FORWARD -d 10\.244\.1\.0\/24 -j ACCEPT$/m, 'foreign chains kept');
  t.notRegex(text, /KUBE-SVC-OLD/, 'stale chains of ours gone');
  t.is(text.match(/-j KUBE-EXTERNAL-SERVICES$/gm)?.length, 2, 'our jumps once each (INPUT and FORWARD)');
  t.regex(text, /\*nat\n:PREROUTING ACCEPT \[0:0\]/, 'a table the kernel did not have yet is written whole');
});

// IncrementalRules and IncrementalNft against the reference desiredRules and
// desiredNft: after every change of a random sequence (services and slices
// added, changed, deleted; endpoints turning ready, terminating, moving
// nodes; types, policies and affinity changing), the kept ruleset is exactly
// what the reference computes from scratch, and the partial render from what
// they report changed brings the applied state to the same place as a diff
// of everything.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { desiredRules, type Chains, type Ruleset } from '../../proxy/rules/desired.js';
import { IncrementalRules } from '../../proxy/rules/incremental.js';
import { renderRestore, renderRestoreDirty } from '../../proxy/rules/render.js';
import { IncrementalNft } from '../../proxy/nftables/incremental.js';
import { flatten, renderDelta, renderNft } from '../../proxy/nftables/render.js';
import { desiredNft } from '../../proxy/nftables/ruleset.js';

const node = { name: 'n1', ips: ['172.31.0.2'] };
const cfg = { clusterCIDR: '10.244.0.0/16' };

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function service(r: () => number, i: number): KubeObject {
  const type = ['ClusterIP', 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'][Math.floor(r() * 5)];
  const twoPorts = r() < 0.3;
  const ports = [{ name: twoPorts ? 'http' : undefined, port: 80, protocol: 'TCP', nodePort: 30000 + i }];
  if (twoPorts) ports.push({ name: 'dns', port: 53, protocol: 'UDP', nodePort: 31000 + i });
  return {
    metadata: { name: `s${i}`, namespace: r() < 0.5 ? 'default' : 'other' },
    spec: {
      type,
      clusterIP: type === 'ExternalName' ? undefined : r() < 0.1 ? 'None' : `10.96.0.${i + 10}`,
      ports,
      externalIPs: r() < 0.2 ? ['192.0.2.7'] : undefined,
      externalTrafficPolicy: r() < 0.4 ? 'Local' : 'Cluster',
      internalTrafficPolicy: r() < 0.2 ? 'Local' : 'Cluster',
      sessionAffinity: r() < 0.2 ? 'ClientIP' : 'None',
      healthCheckNodePort: 32000 + i,
    },
    status: type === 'LoadBalancer' && r() < 0.7 ? { loadBalancer: { ingress: [{ ip: `172.31.0.${200 + i}` }] } } : {},
  };
}

function slice(r: () => number, svc: KubeObject, k: number): KubeObject {
  const n = Math.floor(r() * 4);
  return {
    metadata: { name: `${svc.metadata.name}-${k}`, namespace: svc.metadata.namespace, labels: { 'kubernetes.io/service-name': svc.metadata.name! } },
    addressType: 'IPv4',
    ports: (svc.spec.ports ?? []).map((p: any) => ({ name: p.name ?? '', port: p.port + 8000, protocol: p.protocol })),
    endpoints: Array.from({ length: n }, (_, e) => {
      const ready = r() < 0.7;
      return { addresses: [`10.244.${k}.${e + 2 + Math.floor(r() * 3)}`], nodeName: r() < 0.5 ? 'n1' : 'n2', conditions: { ready, serving: ready || r() < 0.5, terminating: !ready && r() < 0.5 } };
    }),
  };
}

const byKey = <K, V>(m: Map<K, V>) => [...m].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
const normNft = (a: ReturnType<typeof flatten>) => ({
  fixedKey: a.fixedKey,
  chains: byKey(a.chains),
  affinity: byKey(a.affinity),
  maps: Object.fromEntries(Object.entries(a.maps).map(([k, m]) => [k, byKey(m)])),
  clusterIPs: [...a.clusterIPs].sort(),
});
/** A transaction's commands as a sorted list, one per element (element lists are unordered; rule order is checked through the applied state). */
const nftLines = (text: string) =>
  text
    .split('\n')
    .flatMap((l) => {
      const m = /^((?:add|delete) element \S+ \S+ \S+) \{ (.*) \}$/.exec(l);
      return m ? m[2].split(', ').map((x) => `${m[1]} ${x}`) : [l];
    })
    .sort();
const sorted = (c: Chains) => [...c].sort(([a], [b]) => (a < b ? -1 : 1));
const same = (t: any, a: Ruleset, b: Ruleset, msg: string) => {
  t.deepEqual(sorted(a.filter), sorted(b.filter), `${msg}: filter`);
  t.deepEqual(sorted(a.nat), sorted(b.nat), `${msg}: nat`);
  t.deepEqual([...a.owners].sort(), [...b.owners].sort(), `${msg}: owners`);
};

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`incremental = from scratch after every change (seed ${seed})`, (t) => {
    const r = rng(seed);
    const services = new Map<string, KubeObject>();
    const slices = new Map<string, KubeObject>();
    let inc = new IncrementalRules(node, cfg);
    inc.rebuild([], []);
    const applied = { filter: new Map(inc.rules.filter), nat: new Map(inc.rules.nat) };
    const nftCfg = { ...cfg, serviceCIDRs: ['10.96.0.0/16'] };
    let nft = new IncrementalNft(node, nftCfg);
    nft.rebuild([], []);
    let nftApplied = flatten(nft.rules);
    for (let step = 0; step < 150; step++) {
      const i = Math.floor(r() * 12);
      const name = `s${i}`;
      const existing = [...services.values()].find((s) => s.metadata.name === name);
      const key = existing ? `${existing.metadata.namespace}/${name}` : '';
      const changed = new Set<string>();
      const what = r();
      if (!existing || what < 0.15) {
        if (existing) {
          services.delete(key);
          changed.add(key);
        }
        const s = service(r, i);
        services.set(`${s.metadata.namespace}/${name}`, s);
        changed.add(`${s.metadata.namespace}/${name}`);
        slices.set(`${s.metadata.namespace}/${name}-0`, slice(r, s, 0));
      } else if (what < 0.25) {
        services.delete(key);
        for (const k of [...slices.keys()]) if (k.startsWith(`${key}-`)) slices.delete(k);
        changed.add(key);
      } else {
        const k = Math.floor(r() * 2);
        if (r() < 0.1) slices.delete(`${key}-${k}`);
        else slices.set(`${key}-${k}`, slice(r, existing, k));
        changed.add(key);
      }
      const svcList = [...services.values()];
      const sliceList = [...slices.values()];
      const dirty = inc.update(svcList, sliceList, changed);
      const ref = desiredRules(svcList, sliceList, node, cfg);
      same(t, inc.rules, ref, `seed ${seed} step ${step}`);
      // The touched chains cover every difference: the dirty restore equals the full diff's effect.
      const full = renderRestore(ref, applied);
      const part = renderRestoreDirty(inc.rules, applied, dirty);
      t.is(part.chainsWritten, full.chainsWritten, `seed ${seed} step ${step}: chains written`);
      for (const table of ['filter', 'nat'] as const) {
        for (const c of dirty[table]) {
          const rs = inc.rules[table].get(c);
          if (rs) applied[table].set(c, rs);
          else applied[table].delete(c);
        }
      }
      t.deepEqual(sorted(applied.nat), sorted(ref.nat));
      t.deepEqual(sorted(applied.filter), sorted(ref.filter));
      // nftables: the same for the fragments and the element/chain delta.
      const delta = nft.update(svcList, sliceList, changed);
      const nftRef = desiredNft(svcList, sliceList, node, nftCfg);
      t.deepEqual([...nft.rules.services].sort(([a], [b]) => (a < b ? -1 : 1)), [...nftRef.services].sort(([a], [b]) => (a < b ? -1 : 1)), `seed ${seed} step ${step}: nft fragments`);
      const whole = renderNft(nftRef, nftApplied);
      const d = renderDelta(nftApplied, delta.before, delta.after);
      t.is(d.chainsWritten, whole.chainsWritten, `seed ${seed} step ${step}: nft chains written`);
      t.is(d.elementsWritten, whole.elementsWritten, `seed ${seed} step ${step}: nft elements written`);
      t.deepEqual(nftLines(d.text), nftLines(whole.text), `seed ${seed} step ${step}: nft text`);
      d.commit();
      t.deepEqual(normNft(nftApplied), normNft(flatten(nftRef)), `seed ${seed} step ${step}: nft applied`);
      // Halfway, as a full sync does: new instances rebuilt from everything; later changes go on from there.
      if (step === 75) {
        inc = new IncrementalRules(node, cfg);
        inc.rebuild(svcList, sliceList);
        same(t, inc.rules, ref, `seed ${seed} rebuilt`);
        nft = new IncrementalNft(node, nftCfg);
        nft.rebuild(svcList, sliceList);
        nftApplied = flatten(nft.rules);
        t.deepEqual(normNft(nftApplied), normNft(flatten(nftRef)), `seed ${seed} nft rebuilt`);
      }
    }
  });
}

test('the shared chains keep servicePorts order and are new arrays when they change (never edited in place)', (t) => {
  const inc = new IncrementalRules(node, cfg);
  const svc = (name: string, ip: string): KubeObject => ({ metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] } });
  const sl = (name: string): KubeObject => ({ metadata: { name: `${name}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', ports: [{ name: '', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'n1', conditions: { ready: true } }] });
  inc.rebuild([svc('b', '10.96.0.2')], [sl('b')]);
  const before = inc.rules.nat.get('KUBE-SERVICES')!;
  const copy = [...before];
  const d = inc.update([svc('b', '10.96.0.2'), svc('a', '10.96.0.1')], [sl('b'), sl('a')], ['default/a']);
  t.deepEqual(before, copy);
  t.true(d.nat.has('KUBE-SERVICES'));
  t.deepEqual(inc.rules.nat.get('KUBE-SERVICES'), desiredRules([svc('b', '10.96.0.2'), svc('a', '10.96.0.1')], [sl('b'), sl('a')], node, cfg).nat.get('KUBE-SERVICES'));
  // An endpoint change leaves the shared chains alone.
  const ep = sl('a');
  ep.endpoints.push({ addresses: ['10.244.2.9'], nodeName: 'n2', conditions: { ready: true } });
  const d2 = inc.update([svc('b', '10.96.0.2'), svc('a', '10.96.0.1')], [sl('b'), ep], ['default/a']);
  t.false(d2.nat.has('KUBE-SERVICES'));
  t.true([...d2.nat].some((c) => c.startsWith('KUBE-SEP-')));
});

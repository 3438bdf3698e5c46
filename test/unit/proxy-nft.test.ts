// Golden tests for the pure nftables ruleset: the same tutorial cases as the
// iptables goldens, laid out as kube-proxy's nftables mode lays them out,
// and the partial-sync transactions.
import test from 'ava';
import { desiredNft, NftCache, fixedPart } from '../../proxy/nftables/ruleset.js';
import { renderNft, flatten } from '../../proxy/nftables/render.js';
import { endpointChainBase, portChainBase } from '../../proxy/nftables/names.js';
import { RulesCache } from '../../proxy/rules/desired.js';
import { golden } from '../helpers/golden.js';
import { cases, cfg, many, node, slice, svc, three } from '../helpers/proxy-cases.js';

const nftCfg = { ...cfg, serviceCIDRs: ['10.96.0.0/12'] };
const render = (name: string) => renderNft(desiredNft(...cases[name], node, nftCfg)).text;

for (const name of Object.keys(cases)) {
  test(`golden nft: ${name}`, (t) => golden(t, `unit/golden/proxy-nft/${name}.nft`, render(name)));
}

test('chain names are kube-proxy nftables names (its unit tests: ULMVA6XW-ns1/svc1/tcp/p80, 5OJB2KTY-…__10.180.0.1/80)', (t) => {
  t.is(portChainBase('ns1', 'svc1', 'TCP', 'p80'), 'ULMVA6XW-ns1/svc1/tcp/p80');
  t.is(endpointChainBase('ns1', 'svc1', 'tcp', 'p80', '10.180.0.1', 80), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  const long = 'x'.repeat(63);
  const b = endpointChainBase(long, long, 'tcp', long, '10.0.0.1', 8080);
  t.true(b.length <= 240);
});

test('endpoints are picked by a cascade: 1/3, then 1/2, then the last; no anonymous sets', (t) => {
  const text = render('clusterip-3-endpoints');
  const picks = [...text.matchAll(/numgen random mod (\d) 0 counter goto|counter goto endpoint/g)].map((m) => m[1] ?? 'rest');
  t.deepEqual(picks.filter((p) => p !== 'rest'), ['3', '2']);
  t.notRegex(text, /vmap \{/, 'no anonymous verdict maps');
});

test('no endpoints: reject through the no-endpoint maps; Local policy without local endpoints: drop', (t) => {
  const none = render('no-endpoints');
  t.regex(none, /add element ip kube-proxy no-endpoint-services \{ 10\.96\.30\.1 \. tcp \. 80 comment "default\/lonely" : goto reject-chain \}/);
  t.regex(none, /add element ip kube-proxy no-endpoint-nodeports \{ tcp \. 30080 comment "default\/lonely" : goto reject-chain \}/);
  t.notRegex(none, /add element ip kube-proxy service-ips/);
  const local = render('external-local-without-local-endpoint');
  t.regex(local, /no-endpoint-nodeports \{ tcp \. 30500 comment "default\/local" : drop \}/);
  t.regex(local, /service-nodeports \{ tcp \. 30500 : goto external-/, 'pods and the node still reach it (short-circuit)');
});

test('partial sync: only the changed service chains and elements; a gone endpoint chain is deleted; no change → empty', (t) => {
  const [services, slices] = cases['clusterip-3-endpoints'];
  const other = svc('other', { clusterIP: '10.96.99.1', ports: [{ port: 80, protocol: 'TCP' }] });
  const otherSlice = slice('other', [{ port: 80 }], [{ ip: '10.244.1.50', node: 'mk8s-worker' }]);
  const before = renderNft(desiredNft([...services, other], [...slices, otherSlice], node, nftCfg));
  const same = renderNft(desiredNft([...services, other], [...slices, otherSlice], node, nftCfg), before.applied);
  t.true(same.empty);
  t.is(same.text, '');
  const after = renderNft(desiredNft([...services, other], [slice('benjamintoll', [{ port: 80 }], three.slice(0, 2)), otherSlice], node, nftCfg), before.applied);
  t.is(after.chainsWritten, 1, 'the service chain only');
  t.notRegex(after.text, /10\.244\.1\.50/, 'the unchanged service is not touched');
  t.notRegex(after.text, /^add chain .* filter-|^add table/m, 'no fixed chains');
  t.regex(after.text, /^delete chain ip kube-proxy endpoint-[A-Z2-7]{8}-default\/benjamintoll\/tcp\/__10\.244\.2\.4\/80$/m);
  t.is(after.elementsWritten, 0, 'the map element still points at the same chain');
  // A new service: its chains and one element each in cluster-ips and service-ips.
  const third = svc('third', { clusterIP: '10.96.99.2', ports: [{ port: 80, protocol: 'TCP' }] });
  const thirdSlice = slice('third', [{ port: 80 }], [{ ip: '10.244.1.60', node: 'mk8s-worker' }]);
  const added = renderNft(desiredNft([...services, other, third], [...slices, otherSlice, thirdSlice], node, nftCfg), before.applied);
  t.is(added.elementsWritten, 2);
  t.regex(added.text, /^add element ip kube-proxy service-ips \{ 10\.96\.99\.2 \. tcp \. 80 : goto service-[A-Z2-7]{8}-default\/third\/tcp\/ \}$/m);
  // Removing it again: element deletes come before the chain deletes.
  const removed = renderNft(desiredNft([...services, other], [...slices, otherSlice], node, nftCfg), added.applied);
  t.true(removed.text.indexOf('delete element ip kube-proxy service-ips') < removed.text.indexOf('delete chain'));
});

test('endpoints lost: the element moves from service-ips to no-endpoint-services', (t) => {
  const [services, slices] = cases['clusterip-3-endpoints'];
  const before = renderNft(desiredNft(services, slices, node, nftCfg));
  const after = renderNft(desiredNft(services, [], node, nftCfg), before.applied);
  t.regex(after.text, /^delete element ip kube-proxy service-ips \{ 10\.96\.14\.20 \. tcp \. 8080 \}$/m);
  t.regex(after.text, /^add element ip kube-proxy no-endpoint-services \{ 10\.96\.14\.20 \. tcp \. 8080 comment "default\/benjamintoll" : goto reject-chain \}$/m);
  t.is((after.text.match(/^delete chain/gm) ?? []).length, 4, 'service chain and three endpoint chains');
});

test('a changed fixed part (node addresses) means a full sync', (t) => {
  const [services, slices] = cases['nodeport-31117'];
  const before = renderNft(desiredNft(services, slices, node, nftCfg));
  const moved = renderNft(desiredNft(services, slices, { ...node, ips: ['172.18.0.9'] }, nftCfg), before.applied);
  t.regex(moved.text, /^add table ip kube-proxy/m);
  t.regex(moved.text, /^add element ip kube-proxy nodeport-ips \{ 172\.18\.0\.9 \}$/m);
  t.deepEqual(fixedPart(node, nftCfg).nodePortIPs, ['172.18.0.3']);
});

test('caches: the same ruleset as without; an unchanged service keeps its fragment object', (t) => {
  const cache = { rules: new RulesCache(), nft: new NftCache() };
  const [ss, sl] = many(50, 2);
  const first = desiredNft(ss, sl, node, nftCfg, cache);
  t.deepEqual(flatten(first), flatten(desiredNft(ss, sl, node, nftCfg)));
  const sl2 = [...sl];
  sl2[10] = slice('s00010', [{ port: 80 }], [{ ip: '10.244.9.9', node: 'other' }]);
  const second = desiredNft(ss, sl2, node, nftCfg, cache);
  t.is(second.services.get('default/s00011/tcp'), first.services.get('default/s00011/tcp'));
  t.not(second.services.get('default/s00010/tcp'), first.services.get('default/s00010/tcp'));
  const partial = renderNft(second, renderNft(first).applied);
  t.is(partial.chainsWritten, 2, 'the service chain and the new endpoint chain');
});

test('explain-route in nftables words: map element → service chain → cascade → endpoint chain', async (t) => {
  const { explainRouteNft } = await import('../../proxy/nftables/explain.js');
  const text = explainRouteNft(cases['nodeport-31117'][0][0], cases['nodeport-31117'][1], []);
  t.regex(text, /@service-ips: 10\.96\.14\.20 \. tcp \. 8080 : goto service-[A-Z2-7]{8}-default\/benjamintoll\/tcp\//);
  t.regex(text, /@service-nodeports: tcp \. 31117 : goto external-/);
  t.regex(text, /numgen random mod 3 0 +-> endpoint-[A-Z2-7]{8}-default\/benjamintoll\/tcp\/__10\.244\.1\.5\/80 -> dnat to 10\.244\.1\.5:80/);
  t.regex(explainRouteNft(cases['no-endpoints'][0][0], cases['no-endpoints'][1], []), /@no-endpoint-services: 10\.96\.30\.1 \. tcp \. 80 : goto reject-chain/);
});

test('the proxy gives the nftables ruleset its service CIDR: cluster-ips-check rejects unknown ports of a ClusterIP, then drops unallocated ClusterIPs', async (t) => {
  const { proxyConfig } = await import('../../proxy/server.js');
  const check = (c: Parameters<typeof proxyConfig>[0]) => fixedPart(node, proxyConfig(c)).chains.find((ch) => ch.name === 'cluster-ips-check')!.rules;
  t.deepEqual(check({ clusterCIDR: '10.230.0.0/16', serviceCIDR: '10.112.0.0/16' }), [
    'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"',
    'ip daddr { 10.112.0.0/16 } drop comment "Drop traffic to unallocated ClusterIPs"',
  ]);
  t.regex(check({}).join('\n'), /ip daddr \{ 10\.96\.0\.0\/12 \} drop/, 'the default service range, as `mk8s proxy` without --service-cidr');
  // The whole transaction carries it (one anonymous set, written once with the fixed chains).
  const text = renderNft(desiredNft(...cases['clusterip-3-endpoints'], node, proxyConfig({ serviceCIDR: '10.112.0.0/16' }))).text;
  t.regex(text, /^add rule ip kube-proxy cluster-ips-check ip daddr \{ 10\.112\.0\.0\/16 \} drop /m);
});

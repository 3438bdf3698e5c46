import test from 'ava';
import { allocateClusterIP, allocateNodePort, clusterIPRefusal, nodePortRefusal, parsePortRange } from '../../apiserver/allocators.js';
import { cidrContains, nthIp, parseCidr } from '../../api/cidr.js';

test('CIDR parsing and membership', (t) => {
  const c = parseCidr('10.96.0.0/12');
  t.is(nthIp(c, 1), '10.96.0.1');
  t.is(nthIp(c, 10), '10.96.0.10');
  t.true(cidrContains(c, '10.111.255.254'));
  t.false(cidrContains(c, '10.112.0.0'));
  t.throws(() => parseCidr('10.0.0.0/33'));
});

test('ClusterIP allocation skips taken addresses and never hands out network or broadcast', (t) => {
  const c = parseCidr('10.0.0.0/29'); // usable .1-.6
  const taken = new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
  t.is(allocateClusterIP(c, (ip) => taken.has(ip), () => 0), '10.0.0.6');
  taken.add('10.0.0.6');
  t.is(allocateClusterIP(c, (ip) => taken.has(ip)), undefined);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(allocateClusterIP(c, () => false)!);
  t.deepEqual([...seen].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
});

test('requested ClusterIPs are refused with Kubernetes messages', (t) => {
  const c = parseCidr('10.96.0.0/12');
  t.is(clusterIPRefusal(c, '10.96.5.5', () => false), undefined);
  t.is(clusterIPRefusal(c, '10.96.5.5', () => true), 'failed to allocate IP 10.96.5.5: provided IP is already allocated');
  t.regex(clusterIPRefusal(c, '10.96.0.0', () => false)!, /not in the valid range/);
  t.regex(clusterIPRefusal(c, 'nope', () => false)!, /must be a valid IP/);
});

test('nodePort allocation and refusals', (t) => {
  const r = parsePortRange('30000-30002');
  t.is(allocateNodePort(r, (p) => p !== 30002, () => 0), 30002);
  t.is(allocateNodePort(r, () => true), undefined);
  t.is(nodePortRefusal(r, 80, () => false), 'provided port is not in the valid range. The range of valid ports is 30000-30002');
  t.is(nodePortRefusal(r, 30001, () => true), 'provided port is already allocated');
  t.throws(() => parsePortRange('5-1'));
});

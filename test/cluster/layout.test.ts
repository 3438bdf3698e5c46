// The cluster layout and the node network's commands (pure).
import test from 'ava';
import { cidrsInUse, clusterLayout, defaultClusterOptions, networkDownSteps, networkUpSteps, nodeNames, pickFreeSubnet, validateOptions } from '../../cluster/layout.js';

test('node names, IPs and pod CIDRs as kind and the address plan', (t) => {
  t.deepEqual(nodeNames('mk8s', 3), ['mk8s-control-plane', 'mk8s-worker', 'mk8s-worker2']);
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 3 });
  t.is(l.hostIp, '172.18.0.1');
  t.deepEqual(l.nodes.map((n) => [n.name, n.ip, n.podCidr, n.role]), [
    ['mk8s-control-plane', '172.18.0.2', '10.244.1.0/24', 'control-plane'],
    ['mk8s-worker', '172.18.0.3', '10.244.2.0/24', 'worker'],
    ['mk8s-worker2', '172.18.0.4', '10.244.3.0/24', 'worker'],
  ]);
  t.is(l.clusterDns, '10.96.0.10');
  t.is(l.apiServer, 'https://172.18.0.1:6443');
});

test('network steps: safety routes, FORWARD chain, host-gw routes; down undoes each', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 2 });
  const up = networkUpSteps(l).map((s) => s.argv.join(' '));
  t.true(up.includes('ip route add unreachable 10.244.0.0/16'));
  t.true(up.includes('ip route add unreachable 10.96.0.0/12'));
  t.true(up.includes('iptables -w -I FORWARD 1 -j MK8S-FORWARD-mk8s0'));
  t.true(up.includes('ip netns exec mk8s-control-plane ip route add 10.244.2.0/24 via 172.18.0.3'));
  t.true(up.includes('ip netns exec mk8s-worker ip route add 10.96.0.0/12 via 172.18.0.1'));
  t.true(up.includes('ip route add 10.244.1.0/24 via 172.18.0.2'));
  t.false(up.some((s) => / default /.test(s)), 'no default route anywhere');
  const down = networkDownSteps(l).map((s) => s.argv.join(' '));
  t.true(down.includes('iptables -w -X MK8S-FORWARD-mk8s0'));
  t.true(down.includes('ip netns delete mk8s-worker'));
  t.true(down.includes('ip link del mk8s0'));
});

test('options are validated; a taken node subnet is skipped', (t) => {
  t.deepEqual(validateOptions(defaultClusterOptions), []);
  t.regex(validateOptions({ ...defaultClusterOptions, podCidr: '172.18.0.0/16' }).join(), /overlaps/);
  t.regex(validateOptions({ ...defaultClusterOptions, bridge: 'a-bridge-name-too-long' }).join(), /bridge/);
  const used = cidrsInUse('default via 192.0.2.1 dev eth0\n172.18.0.0/16 dev br-1 proto kernel\nunreachable 10.244.0.0/16\n', 'inet 172.17.0.1/16 brd 172.17.255.255');
  t.true(used.includes('172.18.0.0/16') && used.includes('10.244.0.0/16') && used.includes('172.17.0.0/16'));
  t.is(pickFreeSubnet(['172.18.0.0/24', '172.19.0.0/24'], used), '172.19.0.0/24');
});

test('the proxy mode recorded in the cluster state reaches every node proxy as --mode (node agent or split proxy)', async (t) => {
  const { nodeAgents } = await import('../../cluster/up.js');
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 2 });
  for (const n of l.nodes) {
    for (const [role, split] of [['node', {}], ['proxy', { splitNodeComponents: true }]] as const) {
      const proxy = nodeAgents(l, n, '/tmp/x', { ...split, proxyMode: 'nftables' }).find((p) => p.role === role)!;
      t.is(proxy.argv[proxy.argv.indexOf('--mode') + 1], 'nftables');
      t.false(nodeAgents(l, n, '/tmp/x', split).find((p) => p.role === role)!.argv.includes('--mode'));
    }
  }
});

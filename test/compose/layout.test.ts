// The compose cluster's shape (pure): identity from the node's address, the
// routes a node container adds, the agents' flags (mk8s up's, without
// `ip netns exec`), the host's kubeconfig.
import test from 'ava';
import { composeControlPlaneArgv, composeEnv, composeNode, composeNodeAgents, hostKubeconfig, nodeRoutes, podCidrOf } from '../../cluster/compose-layout.js';

const env = composeEnv({ MK8S_NODE_CIDR: '172.19.0.0/24', MK8S_POD_CIDR: '10.245.0.0/16', MK8S_SERVICE_CIDR: '10.128.0.0/16' });

test('a node is named by its service and gets the pod /24 of its address', (t) => {
  const n = composeNode(env, 'node-1', '172.19.0.11');
  t.is(n.podCidr, '10.245.11.0/24');
  t.is(podCidrOf(env, '172.19.0.199'), '10.245.199.0/24');
  t.throws(() => podCidrOf(env, '172.19.0.2'), { message: /nodes take \.10-\.199/ });
  t.throws(() => podCidrOf(env, '172.19.0.220'), { message: /nodes take \.10-\.199/ });
  t.throws(() => podCidrOf(env, '172.18.0.11'), { message: /not in the node network 172\.19\.0\.0\/24/ });
  t.throws(() => composeNode(env, 'Node_1', '172.19.0.11'), { message: /invalid node name/ });
});

test('bad ranges are refused as mk8s up refuses them', (t) => {
  t.throws(() => composeEnv({ MK8S_POD_CIDR: '10.128.0.0/16' }), { message: /overlaps/ });
  t.throws(() => composeEnv({ MK8S_NODE_CIDR: '172.19.0.0/23' }), { message: /must be a \/24/ });
  t.throws(() => composeEnv({ MK8S_NODE_CIDR: 'x' }), { message: /invalid CIDR/ });
  t.throws(() => composeEnv({ MK8S_API_PORT: '70000' }), { message: /MK8S_API_PORT/ });
  t.is(composeEnv({}).nodeCidr, '172.19.0.0/24', 'defaults differ from mk8s up (172.18.0.0/24) so both run side by side');
});

test('node routes: safety routes, then host-gw to every other possible node', (t) => {
  const self = composeNode(env, 'node-1', '172.19.0.11');
  const routes = nodeRoutes(env, self).map((r) => r.join(' '));
  t.deepEqual(routes.slice(0, 2), ['unreachable 10.245.0.0/16', 'unreachable 10.128.0.0/16']);
  t.true(routes.includes('10.245.12.0/24 via 172.19.0.12'));
  t.true(routes.includes('10.245.10.0/24 via 172.19.0.10'));
  t.true(routes.includes('10.245.199.0/24 via 172.19.0.199'));
  t.false(routes.some((r) => r.endsWith(' via 172.19.0.11')), 'no route to itself');
  t.is(routes.length, 2 + 189);
});

test('node agents: mk8s up flags in the container namespace, CA and certificates on the shared volume', (t) => {
  const self = composeNode(env, 'node-2', '172.19.0.12');
  const [kubelet, proxy] = composeNodeAgents(env, self, { offline: true });
  t.is(kubelet.role, 'kubelet');
  t.is(kubelet.argv[0], process.execPath, 'no ip netns exec');
  const flag = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];
  t.is(flag(kubelet.argv, '--node-name'), 'node-2');
  t.is(flag(kubelet.argv, '--pod-cidr'), '10.245.12.0/24');
  t.is(flag(kubelet.argv, '--node-ip'), '172.19.0.12');
  t.is(flag(kubelet.argv, '--cluster-dns'), '10.128.0.10');
  t.is(flag(kubelet.argv, '--kubeconfig'), '/var/lib/mk8s/kubeconfig');
  t.is(flag(kubelet.argv, '--tls-cert-file'), '/var/lib/mk8s/pki/kubelet-node-2.crt');
  t.is(flag(kubelet.argv, '--client-ca-file'), '/var/lib/mk8s/apiserver/ca.crt');
  t.true(kubelet.argv.includes('--offline'));
  t.false(kubelet.argv.includes('--control-plane'));
  t.is(proxy.role, 'proxy');
  t.is(flag(proxy.argv, '--cluster-cidr'), '10.245.0.0/16');
  t.is(flag(proxy.argv, '--service-cidr'), '10.128.0.0/16');
  t.false(proxy.argv.includes('--mode'), 'iptables unless asked');
  const [, nft] = composeNodeAgents(env, self, { proxyMode: 'nftables' });
  t.is(flag(nft.argv, '--mode'), 'nftables', 'MK8S_PROXY_MODE reaches the proxy');
});

test('control plane on .2 with the pool .200-.250; the host kubeconfig points at the loopback', (t) => {
  const argv = composeControlPlaneArgv(env, '/cp.js', '/node');
  const flag = (f: string) => argv[argv.indexOf(f) + 1];
  t.is(flag('--bind'), '172.19.0.2');
  t.is(flag('--lb-pool'), '172.19.0.200-172.19.0.250');
  t.false(argv.includes('--bridge'), 'no host routes from inside a container');
  const text = 'clusters:\n- cluster:\n    server: https://172.19.0.2:6443\n    certificate-authority-data: x\n';
  t.is(hostKubeconfig(text, 7443), 'clusters:\n- cluster:\n    server: https://127.0.0.1:7443\n    certificate-authority-data: x\n');
});

// The shipped .env and docker-compose.yml against `mk8s up`'s defaults and the rules above.
test('the shipped compose files: ranges apart from mk8s up, nodes named and addressed as their services', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { parse } = await import('yaml');
  const { cidrsOverlap, parseCidr } = await import('../../api/cidr.js');
  const { defaultClusterOptions } = await import('../../cluster/layout.js');
  const { repoRoot } = await import('../../testkit/process.js');
  const dotenv = Object.fromEntries(
    (await readFile(`${repoRoot}/.env`, 'utf8'))
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const e = composeEnv({ ...dotenv, MK8S_NODE_CIDR: `${dotenv.MK8S_NODE_NET}.0/24` });
  t.deepEqual([e.nodeCidr, e.podCidr, e.serviceCidr], ['172.19.0.0/24', '10.245.0.0/16', '10.128.0.0/16']);
  for (const ours of [e.nodeCidr, e.podCidr, e.serviceCidr]) {
    for (const theirs of [defaultClusterOptions.nodeCidr, defaultClusterOptions.podCidr, defaultClusterOptions.serviceCidr]) {
      t.false(cidrsOverlap(parseCidr(ours), parseCidr(theirs)), `${ours} overlaps mk8s up's ${theirs}`);
    }
  }
  const file = parse(await readFile(`${repoRoot}/docker-compose.yml`, 'utf8'), { merge: true });
  const nodes = Object.entries(file.services as Record<string, any>).filter(([, s]) => s.command?.at(-1) === 'node');
  t.deepEqual(nodes.map(([name]) => name), ['node-1', 'node-2']);
  for (const [name, s] of nodes) {
    t.is(s.environment.MK8S_NODE_NAME, name);
    const ip = String(s.networks.nodes.ipv4_address).replace('${MK8S_NODE_NET:-172.19.0}', dotenv.MK8S_NODE_NET);
    t.notThrows(() => composeNode(e, name, ip), `${name} at ${ip}`);
    t.deepEqual(Object.keys(s.depends_on).sort(), ['control-plane', 'host-routes', 'images']);
    t.false(s.privileged === true, 'capabilities, not privileged');
  }
  t.is(String(file.services['control-plane'].networks.nodes.ipv4_address).replace('${MK8S_NODE_NET:-172.19.0}', dotenv.MK8S_NODE_NET), composeControlPlaneArgv(e, '', '')[5]);
});

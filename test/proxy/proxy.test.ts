// The proxy loop against a real API server and the real kernel, in a
// throwaway network namespace standing in for a node: rules follow the API,
// unchanged state syncs nothing, a restart takes over without rewriting,
// LoadBalancer IPs are held by the chosen node, and cleanup leaves nothing.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { startProxy } from '../../proxy/server.js';
import { execCommand, IptablesApplier, type Exec } from '../../proxy/apply.js';
import { isOurChain, parseSave } from '../../proxy/rules/render.js';
import { startTestApi, eventually } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';
import { proxyModes } from '../helpers/proxy-modes.js';

const services = findByPlural('', 'services')!;
const slices = findByPlural('discovery.k8s.io', 'endpointslices')!;
const nodes = findByPlural('', 'nodes')!;
const canAct = process.getuid?.() === 0 && (await run('iptables', ['--version'])).code === 0;
const maybe = canAct ? test.serial : test.serial.skip;

async function nodeNamespace(t: any, name: string, ip: string): Promise<Exec> {
  await run('ip', ['netns', 'add', name]);
  t.teardown(() => run('ip', ['netns', 'del', name]));
  const inNs: Exec = (cmd, args, input) => execCommand('ip', ['netns', 'exec', name, cmd, ...args], input);
  await inNs('ip', ['link', 'set', 'lo', 'up']);
  // No dummy module on every kernel: a veth pair kept inside the namespace stands in for the node's leg.
  await inNs('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer']);
  await inNs('ip', ['link', 'set', 'eth0-peer', 'up']);
  await inNs('ip', ['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
  await inNs('ip', ['link', 'set', 'eth0', 'up']);
  return inNs;
}

const save = async (exec: Exec) => parseSave((await exec('iptables-save', [])).stdout);

// Once per proxy mode (test/helpers/proxy-modes.ts); the kernel checks below read iptables, the nftables mode brings its own.
for (const mode of proxyModes) maybe(`rules follow Services and EndpointSlices; no-op syncs change nothing; restart takes over; cleanup removes all (${mode})`, async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const ns = `mk8s-px-${mode.slice(0, 3)}-${process.pid}`;
  const exec = await nodeNamespace(t, ns, '172.31.250.2');
  // Someone else's rules in the node: every sync (whole-table or partial) and the cleanup keep them.
  await exec('iptables', ['-w', '5', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT']);
  await exec('iptables', ['-w', '5', '-t', 'nat', '-N', 'CNI-TEST']);
  await exec('iptables', ['-w', '5', '-t', 'nat', '-A', 'CNI-TEST', '-d', '10.244.1.0/24', '-j', 'RETURN']);
  const fresh = await save(exec);
  await api.client.create(nodes, undefined, { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  await api.client.update(nodes, { ...(await api.client.get(nodes, undefined, 'n1')), status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'status');
  const svc = await api.client.create(services, 'default', {
    metadata: { name: 'web' },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  await api.client.update(services, { ...svc, status: { loadBalancer: { ingress: [{ ip: '172.31.250.200' }] } } }, 'status');
  await api.client.create(slices, 'default', {
    metadata: { name: 'web-abcde', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.1.5'], nodeName: 'n1', conditions: { ready: true } }],
  });
  const opts = { mode, client: api.client, nodeName: 'n1', nodeIP: '172.31.250.2', exec, healthPort: 0, healthBind: '127.0.0.1', minSyncMs: 20, resyncMs: 3_600_000, logger: undefined };
  let proxy = await startProxy({ ...opts, logger: (await import('pino')).pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }) });
  t.teardown(() => proxy.stop());
  await eventually(async () => (await save(exec)).nat.get('KUBE-SERVICES')?.some((r) => r.includes('default/web cluster IP')));
  const rules = await save(exec);
  t.true([...rules.nat.keys()].some((c) => c.startsWith('KUBE-SEP-')));
  t.true(rules.nat.get('KUBE-SERVICES')!.some((r) => r.includes('172.31.250.200/32') && r.includes('loadbalancer IP')));
  // The only node with an endpoint holds the LoadBalancer IP.
  await eventually(async () => (await exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes('172.31.250.200/32'));
  const jumps = (await exec('iptables-save', ['-t', 'nat'])).stdout.match(/-A PREROUTING .*KUBE-SERVICES/g);
  t.is(jumps?.length, 1);

  // Nothing changed → the next sync writes nothing.
  const before = proxy.metrics.syncs;
  await proxy.synced();
  t.is(proxy.metrics.syncs, before);

  // Endpoint gone → REJECT in filter, LB IP withdrawn.
  await api.client.patch(slices, 'default', 'web-abcde', { endpoints: [] });
  await eventually(async () => (await save(exec)).filter.get('KUBE-SERVICES')?.some((r) => r.includes('has no endpoints') && r.includes('REJECT')));
  await eventually(async () => !(await exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes('172.31.250.200/32'));
  t.false([...(await save(exec)).nat.keys()].some((c) => c.startsWith('KUBE-SEP-')), 'stale endpoint chains deleted');

  // A restarted proxy takes over: its first sync finds nothing to change in the service chains.
  await proxy.stop();
  proxy = await startProxy({ ...opts, logger: (await import('pino')).pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }) });
  await proxy.synced();
  t.is((await exec('iptables-save', ['-t', 'nat'])).stdout.match(/-A PREROUTING .*KUBE-SERVICES/g)?.length, 1, 'jumps not duplicated');
  await proxy.stop();

  // Someone flushes our nat chains and deletes a jump: the periodic check notices and rewrites everything.
  proxy = await startProxy({ ...opts, resyncMs: 300, logger: (await import('pino')).pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }) });
  await proxy.synced();
  const whole = await save(exec);
  await exec('iptables', ['-w', '5', '-t', 'nat', '-F', 'KUBE-SERVICES']);
  await exec('iptables', ['-w', '5', '-t', 'nat', '-F', 'KUBE-MARK-MASQ']);
  await exec('iptables', ['-w', '5', '-t', 'nat', '-D', 'PREROUTING', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
  await eventually(async () => {
    const now = await save(exec);
    return now.nat.get('KUBE-MARK-MASQ')?.length === 1 && now.nat.get('PREROUTING')?.some((r) => r.endsWith('-j KUBE-SERVICES'));
  }, 5000);
  const repaired = await save(exec);
  t.deepEqual(repaired.nat.get('KUBE-SERVICES'), whole.nat.get('KUBE-SERVICES'), 'KUBE-SERVICES rewritten');
  await proxy.stop();

  const kept = await save(exec);
  t.deepEqual(kept.nat.get('CNI-TEST'), ['-d 10.244.1.0/24 -j RETURN'], 'foreign chain kept through syncs');
  t.true(kept.filter.get('INPUT')!.includes('-i lo -j ACCEPT'), 'foreign rule kept through syncs');
  await new IptablesApplier(exec).cleanup();
  const after = await save(exec);
  // (A fresh namespace has no nat table at all; after cleanup its built-in chains exist, empty.)
  for (const table of ['filter', 'nat'] as const) {
    t.deepEqual([...after[table].keys()].filter(isOurChain), [], `no ${table} chain of ours left`);
    t.deepEqual([...after[table].values()].flat(), [...fresh[table].values()].flat(), `no ${table} rule left behind`);
  }
});

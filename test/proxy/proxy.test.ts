// The proxy loop against a real API server and the real kernel, in a
// throwaway network namespace standing in for a node: rules follow the API,
// unchanged state syncs nothing, a restart takes over without rewriting,
// LoadBalancer IPs are held by the chosen node, and cleanup leaves nothing.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { startProxy } from '../../proxy/server.js';
import { execCommand, IptablesApplier, type Exec } from '../../proxy/apply.js';
import type { ProxyMode } from '../../proxy/backend.js';
import { NftApplier } from '../../proxy/nftables/apply.js';
import { nftBinary as NFT } from '../../proxy/backends.js';
import { isOurChain, parseSave } from '../../proxy/rules/render.js';
import { startTestApi, eventually } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';
import { proxyModes } from '../helpers/proxy-modes.js';

const services = findByPlural('', 'services')!;
const slices = findByPlural('discovery.k8s.io', 'endpointslices')!;
const nodes = findByPlural('', 'nodes')!;
// (Never `nft` from PATH: under npm, node_modules/.bin/nft is @vercel/nft's CLI.)
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

/** `nft list table` text → chain or map name → its rule lines (chains) or element lines (maps). */
function nftParts(text: string): Map<string, string[]> {
  const parts = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^(?:chain|map|set) (\S+) \{$/.exec(line);
    if (head) parts.set(head[1], (cur = []));
    else if (line === '}') cur = undefined;
    else if (cur && line && !/^(type|comment|flags|timeout) /.test(line)) cur.push(line.replace(/^elements = \{ /, '').replace(/ \}$/, '').replace(/,$/, ''));
  }
  return parts;
}

/** The kernel state the test reads, as a learner would in each mode: iptables-save, or `nft list table ip kube-proxy`. */
function kernelView(mode: ProxyMode, exec: Exec) {
  const nft = async () => nftParts((await exec(NFT, ['list', 'table', 'ip', 'kube-proxy'])).stdout);
  if (mode === 'iptables') {
    return {
      clusterIPDispatched: async () => !!(await save(exec)).nat.get('KUBE-SERVICES')?.some((r) => r.includes('default/web cluster IP')),
      endpointChains: async () => [...(await save(exec)).nat.keys()].filter((c) => c.startsWith('KUBE-SEP-')),
      lbDispatched: async () => !!(await save(exec)).nat.get('KUBE-SERVICES')?.some((r) => r.includes('172.31.250.200/32') && r.includes('loadbalancer IP')),
      hookJumps: async () => (await exec('iptables-save', ['-t', 'nat'])).stdout.match(/-A PREROUTING .*KUBE-SERVICES/g)?.length ?? 0,
      rejects: async () => !!(await save(exec)).filter.get('KUBE-SERVICES')?.some((r) => r.includes('has no endpoints') && r.includes('REJECT')),
      /** Flush our nat chains and delete a jump. */
      damage: async () => {
        await exec('iptables', ['-w', '5', '-t', 'nat', '-F', 'KUBE-SERVICES']);
        await exec('iptables', ['-w', '5', '-t', 'nat', '-F', 'KUBE-MARK-MASQ']);
        await exec('iptables', ['-w', '5', '-t', 'nat', '-D', 'PREROUTING', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
      },
      repaired: async () => {
        const now = await save(exec);
        return now.nat.get('KUBE-MARK-MASQ')?.length === 1 && !!now.nat.get('PREROUTING')?.some((r) => r.endsWith('-j KUBE-SERVICES'));
      },
      dispatch: async () => (await save(exec)).nat.get('KUBE-SERVICES'),
      cleanup: () => new IptablesApplier(exec).cleanup(),
      left: async () => {
        const after = await save(exec);
        return [...after.filter.keys(), ...after.nat.keys()].filter(isOurChain);
      },
    };
  }
  return {
    clusterIPDispatched: async () => !!(await nft()).get('service-ips')?.some((e) => /\. tcp \. 80 : goto service-\w+-default\/web\/tcp\/$/.test(e)),
    endpointChains: async () => [...(await nft()).keys()].filter((c) => c.startsWith('endpoint-')),
    lbDispatched: async () => !!(await nft()).get('service-ips')?.some((e) => /^172\.31\.250\.200 \. tcp \. 80 : goto external-\w+-default\/web\/tcp\/$/.test(e)),
    hookJumps: async () => (await nft()).get('nat-prerouting')?.filter((r) => r === 'jump services').length ?? 0,
    rejects: async () => !!(await nft()).get('no-endpoint-services')?.some((e) => /comment "default\/web" : goto reject-chain$/.test(e)),
    /** Flush the dispatch chain and the ClusterIP map (someone's `nft flush chain` / `nft flush map`); one full sync restores both. */
    damage: async () => {
      await exec(NFT, ['flush', 'chain', 'ip', 'kube-proxy', 'services']);
      await exec(NFT, ['flush', 'map', 'ip', 'kube-proxy', 'service-ips']);
    },
    repaired: async () => {
      const now = await nft();
      return now.get('services')?.length === 2;
    },
    dispatch: async () => {
      const now = await nft();
      return [...(now.get('services') ?? []), ...(now.get('service-ips') ?? [])];
    },
    cleanup: () => new NftApplier(exec, NFT).cleanup(),
    left: async () => {
      const r = await exec(NFT, ['list', 'tables']);
      return r.stdout.split('\n').filter((l) => l.includes('kube-proxy'));
    },
  };
}

// Once per proxy mode (test/helpers/proxy-modes.ts); kernelView() reads each mode's rules. Both modes must keep the
// iptables rules and chains of others (the nftables mode never touches them).
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
  const k = kernelView(mode, exec);
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
  await eventually(k.clusterIPDispatched);
  t.is((await k.endpointChains()).length, 1);
  t.true(await k.lbDispatched());
  // The only node with an endpoint holds the LoadBalancer IP.
  await eventually(async () => (await exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes('172.31.250.200/32'));
  t.is(await k.hookJumps(), 1);

  // Nothing changed → the next sync writes nothing.
  const before = proxy.metrics.syncs;
  await proxy.synced();
  t.is(proxy.metrics.syncs, before);

  // Endpoint gone → REJECT in filter, LB IP withdrawn.
  await api.client.patch(slices, 'default', 'web-abcde', { endpoints: [] });
  await eventually(k.rejects);
  await eventually(async () => !(await exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes('172.31.250.200/32'));
  t.deepEqual(await k.endpointChains(), [], 'stale endpoint chains deleted');

  // A restarted proxy takes over: its first sync finds nothing to change in the service chains.
  await proxy.stop();
  proxy = await startProxy({ ...opts, logger: (await import('pino')).pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }) });
  await proxy.synced();
  t.is(await k.hookJumps(), 1, 'jumps not duplicated');
  await proxy.stop();

  // Someone damages our rules: the periodic check notices and rewrites everything.
  proxy = await startProxy({ ...opts, resyncMs: 300, logger: (await import('pino')).pino({ level: process.env.MK8S_TEST_LOG ?? 'silent' }) });
  await proxy.synced();
  const whole = await k.dispatch();
  t.true((whole?.length ?? 0) > 0);
  await k.damage();
  await eventually(k.repaired, 5000);
  t.deepEqual(await k.dispatch(), whole, 'dispatch rewritten');
  await proxy.stop();

  const kept = await save(exec);
  t.deepEqual(kept.nat.get('CNI-TEST'), ['-d 10.244.1.0/24 -j RETURN'], 'foreign chain kept through syncs');
  t.true(kept.filter.get('INPUT')!.includes('-i lo -j ACCEPT'), 'foreign rule kept through syncs');
  await k.cleanup();
  t.deepEqual(await k.left(), [], `nothing of the ${mode} mode left`);
  const after = await save(exec);
  // (A fresh namespace has no nat table at all; after cleanup its built-in chains exist, empty.)
  for (const table of ['filter', 'nat'] as const) {
    t.deepEqual([...after[table].keys()].filter(isOurChain), [], `no ${table} chain of ours left`);
    t.deepEqual([...after[table].values()].flat(), [...fresh[table].values()].flat(), `no ${table} rule left behind`);
  }
});

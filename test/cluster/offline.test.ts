// `mk8s up --offline` reaches every kubelet as `--offline` (pure: the process specs).
import test from 'ava';
import { clusterLayout, defaultClusterOptions } from '../../cluster/layout.js';
import { clusterProcesses } from '../../cluster/up.js';
import { kubeletCommand } from '../../kubelet/main.js';
import { nodeCommand } from '../../cluster/agent.js';

test('--offline is passed to every kubelet (the node agent, or the kubelet when split), and only when asked', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 2 });
  for (const split of [false, true]) {
    const role = split ? 'kubelet' : 'node';
    const kubelets = (o: { offline?: boolean }) => clusterProcesses(l, '/var/lib/mk8s-test', { ...o, splitNodeComponents: split }).filter((p) => p.role === role);
    t.is(kubelets({ offline: true }).length, 2);
    t.true(kubelets({ offline: true }).every((p) => p.argv.includes('--offline')));
    t.true(kubelets({}).every((p) => !p.argv.includes('--offline')));
    t.true(clusterProcesses(l, '/var/lib/mk8s-test', { offline: true, splitNodeComponents: split }).filter((p) => p.role !== role).every((p) => !p.argv.includes('--offline')));
  }
  t.true(kubeletCommand.flags.some((f) => f.name === 'offline'), 'mk8s kubelet takes --offline');
  t.true(nodeCommand.flags.some((f) => f.name === 'offline'), 'mk8s node takes --offline');
});

test('one mk8s node per node by default, with every kubelet and proxy flag; --split-node-components gives a kubelet and a proxy', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 3 });
  const agents = clusterProcesses(l, '/var/lib/mk8s-test', { dnsUpstreams: '10.0.0.1:53' }).slice(1);
  t.deepEqual(agents.map((p) => p.role), ['node', 'node', 'node']);
  const split = clusterProcesses(l, '/var/lib/mk8s-test', { dnsUpstreams: '10.0.0.1:53', splitNodeComponents: true }).slice(1);
  t.deepEqual(split.map((p) => p.role), ['kubelet', 'proxy', 'kubelet', 'proxy', 'kubelet', 'proxy']);
  const flagsOf = (argv: string[]) => argv.slice(argv.findIndex((a) => a === 'node' || a === 'kubelet' || a === 'proxy') + 1);
  for (let i = 0; i < 3; i++) {
    const a = agents[i];
    t.deepEqual(a.argv.slice(0, 4), ['ip', 'netns', 'exec', l.nodes[i].netns]);
    t.true(a.log.endsWith(`node-${l.nodes[i].name}.log`));
    // The agent gets exactly the union of what the two processes get.
    const union = new Set([...flagsOf(split[2 * i].argv), ...flagsOf(split[2 * i + 1].argv)]);
    t.deepEqual(new Set(flagsOf(a.argv)), union);
    // Every flag given is one mk8s node knows.
    for (const f of flagsOf(a.argv).filter((x) => x.startsWith('--'))) t.true(nodeCommand.flags.some((s) => `--${s.name}` === f), f);
  }
});

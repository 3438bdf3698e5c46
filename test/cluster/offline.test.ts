// `mk8s up --offline` reaches every kubelet as `--offline` (pure: the process specs).
import test from 'ava';
import { clusterLayout, defaultClusterOptions } from '../../cluster/layout.js';
import { clusterProcesses } from '../../cluster/up.js';
import { kubeletCommand } from '../../kubelet/main.js';

test('--offline is passed to every kubelet, and only when asked', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, nodes: 2 });
  const kubelets = (o: { offline?: boolean }) => clusterProcesses(l, '/var/lib/mk8s-test', o).filter((p) => p.role === 'kubelet');
  t.is(kubelets({ offline: true }).length, 2);
  t.true(kubelets({ offline: true }).every((p) => p.argv.includes('--offline')));
  t.true(kubelets({}).every((p) => !p.argv.includes('--offline')));
  t.true(clusterProcesses(l, '/var/lib/mk8s-test', { offline: true }).filter((p) => p.role !== 'kubelet').every((p) => !p.argv.includes('--offline')));
  t.true(kubeletCommand.flags.some((f) => f.name === 'offline'), 'mk8s kubelet takes --offline');
});

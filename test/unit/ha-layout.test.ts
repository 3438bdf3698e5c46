// `mk8s up --storage etcd --control-planes N` as pure functions: node names
// and roles, the flag's checks (one-line CLI errors), and what runs where —
// an etcd member and a control-plane process in each control-plane node's
// namespace, the load balancer on the host. The single control plane's
// processes stay as they were.
import test from 'ava';
import { join } from 'node:path';
import { clusterLayout, controlPlanesError, defaultClusterOptions, nodeNames, validateOptions } from '../../cluster/layout.js';
import { clusterEtcd, clusterProcesses, etcdApiServerArgs } from '../../cluster/up.js';
import { etcdProcessSpecs } from '../../cluster/etcd.js';
import { mk8sBin, run } from '../../testkit/process.js';

const dir = '/tmp/mk8s-home/c';

test('node names: control planes first (kind: control-plane, control-plane2, …), then workers', (t) => {
  t.deepEqual(nodeNames('c', 3, 3), ['c-control-plane', 'c-control-plane2', 'c-control-plane3']);
  t.deepEqual(nodeNames('c', 5, 3), ['c-control-plane', 'c-control-plane2', 'c-control-plane3', 'c-worker', 'c-worker2']);
  t.deepEqual(nodeNames('c', 3), ['c-control-plane', 'c-worker', 'c-worker2'], 'one control plane: unchanged');
  const l = clusterLayout({ ...defaultClusterOptions, name: 'c', nodes: 4, controlPlanes: 3 });
  t.deepEqual(l.nodes.map((n) => [n.name, n.role, n.ip]), [
    ['c-control-plane', 'control-plane', '172.18.0.2'],
    ['c-control-plane2', 'control-plane', '172.18.0.3'],
    ['c-control-plane3', 'control-plane', '172.18.0.4'],
    ['c-worker', 'worker', '172.18.0.5'],
  ]);
  t.is(l.apiServer, 'https://172.18.0.1:6443', 'the load balancer on the host bridge address, where the single API server listens otherwise');
});

test('--control-planes: odd, positive, at most 7, no more than the nodes', (t) => {
  t.is(controlPlanesError(1), undefined);
  t.is(controlPlanesError(3, 3), undefined);
  t.regex(controlPlanesError(0)!, /positive odd/);
  t.regex(controlPlanesError(-3)!, /positive odd/);
  t.regex(controlPlanesError(2)!, /must be odd/);
  t.regex(controlPlanesError(9)!, /at most 7/);
  t.regex(controlPlanesError(3, 2)!, /--nodes 2 is fewer than --control-planes 3/);
  t.deepEqual(validateOptions({ ...defaultClusterOptions, nodes: 2, controlPlanes: 3 }), ['--nodes 2 is fewer than --control-planes 3 (each control plane is a node)']);
});

test('HA processes: an etcd member and a control plane per control-plane node, in its namespace; the load balancer on the host', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, name: 'c', nodes: 4, controlPlanes: 3 });
  const procs = clusterProcesses(l, dir, { storage: 'etcd' });
  t.deepEqual(procs.map((p) => `${p.role} ${p.node ?? ''}`.trim()), [
    'control-plane c-control-plane',
    'control-plane c-control-plane2',
    'control-plane c-control-plane3',
    'lb-proxy',
    'pool-routes',
    'node c-control-plane',
    'node c-control-plane2',
    'node c-control-plane3',
    'node c-worker',
  ]);
  const cp2 = procs[1].argv;
  t.deepEqual(cp2.slice(0, 4), ['ip', 'netns', 'exec', 'c-control-plane2']);
  const arg = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];
  t.is(arg(cp2, '--bind'), '172.18.0.3');
  t.is(arg(cp2, '--data-dir'), join(dir, 'apiserver', 'c-control-plane2'));
  t.is(arg(cp2, '--advertise-address'), '172.18.0.1');
  t.is(arg(cp2, '--extra-san'), '172.18.0.1');
  t.true(cp2.includes('--leader-elect'));
  t.is(arg(cp2, '--etcd-servers'), 'https://172.18.0.2:2379,https://172.18.0.3:2379,https://172.18.0.4:2379');
  t.false(cp2.includes('--bridge'), 'no pool routes from inside a node namespace (the pool-routes process on the host keeps them)');
  const lb = procs[3].argv;
  t.is(arg(lb, '--listen'), '172.18.0.1:6443');
  t.deepEqual(lb.filter((_, i) => lb[i - 1] === '--backend'), ['172.18.0.2:6443', '172.18.0.3:6443', '172.18.0.4:6443']);
  const routes = procs[4].argv;
  t.is(routes[0], process.execPath, 'pool routes on the host');
  t.is(arg(routes, '--bridge'), 'mk8s0');
  t.deepEqual(routes.filter((_, i) => routes[i - 1] === '--exclude'), ['10.96.0.0/12', '10.244.0.0/16']);
  t.true(procs.slice(4).every((p) => p.argv.join(' ').includes(`--kubeconfig ${join(dir, 'kubeconfig')}`)), 'node agents and pool routes use the kubeconfig naming the balancer');
  t.deepEqual(procs.slice(5).map((p) => p.argv.includes('--control-plane')), [true, true, true, false]);

  const etcd = clusterEtcd(l, dir);
  t.deepEqual(etcd.members.map((m) => [m.name, m.ip, m.netns, m.dataDir]), [
    ['c-control-plane', '172.18.0.2', 'c-control-plane', join(dir, 'etcd', 'c-control-plane')],
    ['c-control-plane2', '172.18.0.3', 'c-control-plane2', join(dir, 'etcd', 'c-control-plane2')],
    ['c-control-plane3', '172.18.0.4', 'c-control-plane3', join(dir, 'etcd', 'c-control-plane3')],
  ]);
  const specs = etcdProcessSpecs(etcd);
  t.deepEqual(specs[2].argv.slice(0, 5), ['ip', 'netns', 'exec', 'c-control-plane3', '/usr/bin/etcd']);
  t.is(arg(specs[2].argv, '--initial-cluster'), 'c-control-plane=https://172.18.0.2:2380,c-control-plane2=https://172.18.0.3:2380,c-control-plane3=https://172.18.0.4:2380');
});

test('one control plane: the processes and etcd as before (no balancer, the API server on the host)', (t) => {
  const l = clusterLayout({ ...defaultClusterOptions, name: 'c', nodes: 2 });
  const procs = clusterProcesses(l, dir, { storage: 'etcd' });
  t.deepEqual(procs.map((p) => p.role), ['control-plane', 'node', 'node']);
  t.is(procs[0].argv[0], process.execPath);
  t.false(procs[0].argv.includes('--leader-elect'));
  t.deepEqual(clusterEtcd(l, dir).members.map((m) => [m.name, m.ip, m.netns, m.dataDir]), [['c-etcd', '172.18.0.1', undefined, join(dir, 'etcd')]]);
  t.true(etcdApiServerArgs(l, dir).includes('https://172.18.0.1:2379'));
});

test('mk8s up --control-planes: one-line errors before anything is done', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--control-planes', '3'], /^error: --control-planes needs --storage etcd/],
    [['--storage', 'etcd', '--control-planes', '2'], /^error: --control-planes must be odd \(got 2\)/],
    [['--storage', 'etcd', '--control-planes', '0'], /^error: --control-planes must be a positive odd number \(got 0\)/],
    [['--storage', 'etcd', '--control-planes', '3', '--nodes', '2'], /^error: --nodes 2 is fewer than --control-planes 3/],
  ];
  for (const [args, want] of cases) {
    const r = await run(process.execPath, [mk8sBin, 'up', '--name', 'never-made', ...args], { env: { MK8S_HOME: '/nonexistent/mk8s-unit' } });
    t.is(r.code, 1, args.join(' '));
    const out = (r.stdout + r.stderr).trim();
    t.regex(out, want);
    t.is(out.split('\n').length, 1, `one line: ${out}`);
  }
});

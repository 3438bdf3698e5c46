// The node network alone (no processes): up makes the bridge, node
// namespaces, veths, routes and the FORWARD chain; nodes reach each other and
// the host; down leaves the machine exactly as it was.
import test from 'ava';
import { clusterLayout, defaultClusterOptions } from '../../cluster/layout.js';
import { networkConflicts, networkDown, networkUp } from '../../cluster/network.js';
import { exec } from '../../cluster/exec.js';
import { diffSnapshots, snapshotMachine, whyNoClusterTests } from './machine.js';

const layout = clusterLayout({
  ...defaultClusterOptions,
  name: 'mk8snet',
  nodes: 2,
  bridge: 'mk8stn0',
  nodeCidr: '172.31.240.0/24',
  podCidr: '10.240.0.0/16',
  serviceCidr: '10.112.0.0/16',
});

test('node network: up wires the nodes together, down leaves the machine as it was', async (t) => {
  const why = await whyNoClusterTests();
  if (why) return t.pass(`skipped: ${why}`);
  const before = await snapshotMachine();
  t.teardown(() => networkDown(layout));
  t.deepEqual(await networkConflicts(layout), []);
  await networkUp(layout);
  t.true((await networkConflicts(layout)).length > 0, 'a second up would collide');
  const [a, b] = layout.nodes;
  // host → node, node → node over the bridge (through the FORWARD chain).
  t.is((await exec(['busybox', 'ping', '-c1', '-W2', a.ip])).code, 0, 'host reaches node 1');
  t.is((await exec(['ip', 'netns', 'exec', a.netns, 'busybox', 'ping', '-c1', '-W2', b.ip])).code, 0, 'node 1 reaches node 2');
  t.is((await exec(['ip', 'netns', 'exec', b.netns, 'busybox', 'ping', '-c1', '-W2', layout.hostIp])).code, 0, 'node 2 reaches the host');
  const routes = (await exec(['ip', 'netns', 'exec', a.netns, 'ip', 'route'])).stdout;
  t.regex(routes, new RegExp(`${b.podCidr.replace(/\./g, '\\.')} via ${b.ip.replace(/\./g, '\\.')}`));
  t.regex(routes, /10\.112\.0\.0\/16 via 172\.31\.240\.1/, 'services via the host, which drops what no Service holds');
  t.notRegex(routes, /default/, 'nodes have no default route: nothing leaves the machine');
  const host = (await exec(['ip', 'route'])).stdout;
  t.regex(host, /unreachable 10\.112\.0\.0\/16/);
  t.regex(host, /unreachable 10\.240\.0\.0\/16/);
  t.regex(host, /10\.240\.1\.0\/24 via 172\.31\.240\.2/);
  await networkDown(layout);
  // Other tests may change the machine meanwhile: what must be gone is everything of ours.
  const diff = diffSnapshots(before, await snapshotMachine());
  const ours = ['mk8stn0', 'mk8snet-', '172.31.240.', '10.240.', '10.112.'];
  const others = diff.filter((l) => !ours.some((o) => l.includes(o)));
  if (others.length) t.log(`changes not made by this test:\n${others.join('\n')}`);
  t.deepEqual(diff.filter((l) => ours.some((o) => l.includes(o))), []);
});

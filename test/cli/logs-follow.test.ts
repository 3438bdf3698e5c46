// `mk8s logs -f deploy/NAME` against a real 1-node `mk8s up` cluster (real
// kubelet, real Docker): the lines written before it started, then a line
// the container writes only after we tell it to (through `mk8s exec`), while
// the command keeps running. Needs root and Docker (skips and says why).
import test from 'ava';
import { spawn } from 'node:child_process';
import { eventually } from '../../testkit/api.js';
import { whyNoClusterTests } from '../cluster/machine.js';
import { runningPods, startCluster, type TestCluster } from '../../testkit/cluster.js';
import { mk8sBin } from '../../testkit/process.js';

let skip: string | undefined;
let c: TestCluster | undefined;

test.before(async () => {
  skip = await whyNoClusterTests();
  if (skip) return;
  c = await startCluster({ name: 'tl', nodes: 1, bridge: 'mk8stl0', nodeCidr: '172.31.243.0/24', podCidr: '10.243.0.0/16', serviceCidr: '10.116.0.0/16' });
});

test.after.always(async () => {
  await c?.down();
});

test('mk8s logs -f deploy/NAME prints the log so far, then each new line as it is written', async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(90_000);
  const created = await c.mk8s(['create', 'deployment', 'follow', '--image=busybox', '--', 'sh', '-c', 'echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo after; exec sleep 3600']);
  t.is(created.code, 0, created.stderr);
  const [pod] = await runningPods(c, 'app=follow', 1);

  const child = spawn(process.execPath, [mk8sBin, 'logs', '-f', 'deploy/follow'], { env: { ...process.env, KUBECONFIG: c.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  await eventually(async () => out.includes('before\n') || exited !== undefined, 30_000, 100);
  t.is(out, 'before\n', err);
  const go = await c.mk8s(['exec', pod.metadata.name!, '--', 'touch', '/tmp/go']);
  t.is(go.code, 0, go.stderr);
  await eventually(async () => out.includes('after\n') || exited !== undefined, 30_000, 100);
  t.is(out, 'before\nafter\n', err);
  t.is(exited, undefined, 'logs -f keeps following');
});

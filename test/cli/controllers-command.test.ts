// `mk8s controllers` runs the controllers against the kubeconfig's cluster
// until SIGTERM.
import test from 'ava';
import { spawn } from 'node:child_process';
import { startTestApi, eventually } from '../../testkit/api.js';
import { findByKind } from '../../api/resources.js';
import { fixture, mainJs, mk8s } from './helpers.js';

test('mk8s controllers creates the deployment\'s replica set, and stops on SIGTERM', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const kc = api.server.kubeconfigPath;
  const child = spawn(process.execPath, [mainJs, 'controllers', '--kubeconfig', kc], { env: { ...process.env, MK8S_LOG_LEVEL: 'warn' } });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await eventually(() => out.includes('mk8s controllers running against'), 15_000);
  t.is((await mk8s(kc, ['apply', '-f', fixture('deployment.yaml')])).stdout, 'deployment.apps/benjamintoll created\n');
  const rs = await eventually(async () => (await api.client.list(findByKind('apps/v1', 'ReplicaSet')!, 'default')).items[0], 15_000, 100);
  t.regex(rs.metadata.name!, /^benjamintoll-\w+$/);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0);
});

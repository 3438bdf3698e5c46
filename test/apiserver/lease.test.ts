// coordination.k8s.io/v1 Lease: validation with Kubernetes' messages,
// optimistic concurrency on resourceVersion, and the real kubectl's
// `get leases` columns (NAME HOLDER AGE).
import test from 'ava';
import { existsSync } from 'node:fs';
import { startTestApi, type TestApi } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';
import { leases } from '../../client/leaderelection.js';
import { isApiError } from '../../api/status.js';

let api: TestApi;
test.before(async () => {
  api = await startTestApi();
});
test.after.always(async () => {
  await api?.close();
});

const lease = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-system' }, spec });

async function rejected(p: Promise<unknown>): Promise<{ code: number; message: string; causes: string[] }> {
  try {
    await p;
  } catch (e) {
    if (!isApiError(e)) throw e;
    return { code: e.code, message: e.message, causes: (e.status.details?.causes ?? []).map((c: any) => `${c.field}: ${c.message}`) };
  }
  throw new Error('accepted');
}

test.serial('invalid Lease specs are refused with 422 and the field', async (t) => {
  const bad = await rejected(api.client.create(leases, 'kube-system', lease('bad', { leaseDurationSeconds: 0, leaseTransitions: -1 })));
  t.is(bad.code, 422);
  // (kube-apiserver names the kind Lease.coordination.k8s.io here; this server's NewInvalid names grouped kinds without their group.)
  t.regex(bad.message, /^Lease(\.coordination\.k8s\.io)? "bad" is invalid: /);
  t.is(bad.message.replace(/^.*? is invalid: /, ''), '[spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]');
  t.deepEqual(bad.causes, ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0', 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0']);
  const time = await rejected(api.client.create(leases, 'kube-system', lease('bad', { renewTime: 'yesterday' })));
  t.is(time.code, 422);
  t.regex(time.message, /spec\.renewTime: Invalid value: "yesterday"/);
  const holder = await rejected(api.client.create(leases, 'kube-system', lease('bad', { preferredHolder: 'x' })));
  t.regex(holder.message, /spec\.preferredHolder: Forbidden: may only be specified if `strategy` is defined/);
  const type = await rejected(api.client.create(leases, 'kube-system', lease('bad', { leaseDurationSeconds: 'long' })));
  t.is(type.code, 400);
  // Valid ones, including the times as client-go writes them.
  const ok = await api.client.create(leases, 'kube-system', lease('ok', { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: '2026-12-02T01:00:00.123456Z', renewTime: '2026-12-02T01:00:10.000000Z', leaseTransitions: 0 }));
  t.is(ok.spec.holderIdentity, 'a');
  t.is(ok.spec.renewTime, '2026-12-02T01:00:10.000000Z');
});

test.serial('an update on a stale resourceVersion is a 409, as leader election relies on', async (t) => {
  const l = await api.client.create(leases, 'kube-system', lease('occ', { holderIdentity: 'a', leaseDurationSeconds: 15 }));
  const b = await api.client.update(leases, { ...l, spec: { ...l.spec, holderIdentity: 'b' } });
  t.not(b.metadata.resourceVersion, l.metadata.resourceVersion);
  const c = await rejected(api.client.update(leases, { ...l, spec: { ...l.spec, holderIdentity: 'c' } }));
  t.is(c.code, 409);
  t.is(c.message, 'Operation cannot be fulfilled on leases.coordination.k8s.io "occ": the object has been modified; please apply your changes to the latest version and try again');
  t.is((await api.client.get(leases, 'kube-system', 'occ')).spec.holderIdentity, 'b');
});

const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
(kubectlPath ? test.serial : test.serial.skip)('kubectl get leases shows NAME HOLDER AGE', async (t) => {
  await api.client.create(leases, 'kube-system', lease('kube-controller-manager', { holderIdentity: 'vm_0b7c2f3e-1111-2222-3333-444455556666', leaseDurationSeconds: 15 }));
  const r = await run(kubectlPath!, ['--kubeconfig', api.server.kubeconfigPath, 'get', 'leases', '-n', 'kube-system']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.regex(lines[0], /^NAME\s+HOLDER\s+AGE$/);
  t.truthy(lines.find((l) => /^kube-controller-manager\s+vm_0b7c2f3e-1111-2222-3333-444455556666\s+\d+s$/.test(l)), r.stdout);
  const y = await run(kubectlPath!, ['--kubeconfig', api.server.kubeconfigPath, 'get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}']);
  t.is(y.stdout, 'vm_0b7c2f3e-1111-2222-3333-444455556666');
});

// Service ClusterIP and nodePort allocation, as Kubernetes' service registry:
// automatic, requested, refused (taken / out of range), type changes, and
// durability of the allocation table across restarts.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { ApiError } from '../../api/status.js';
import { startTestApi, type TestApi } from '../../testkit/api.js';

const services = findByPlural('', 'services')!;

let api: TestApi;
test.before(async () => {
  api = await startTestApi({ nodePortRange: '30000-30009' });
});
test.after.always(async () => {
  await api?.close();
});

const svc = (name: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
const invalid = async (t: any, p: Promise<unknown>) => {
  const e = (await t.throwsAsync(p, { instanceOf: ApiError })) as ApiError;
  t.is(e.status.code, 422);
  t.is(e.status.reason, 'Invalid');
  return e.status;
};

test.serial('ClusterIP: allocated from 10.96.0.0/12, defaults filled in', async (t) => {
  const s = await api.client.create(services, 'default', svc('auto', {}));
  t.regex(s.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  t.deepEqual(s.spec.clusterIPs, [s.spec.clusterIP]);
  t.not(s.spec.clusterIP, '10.96.0.10', 'kube-dns address is reserved');
  t.like(s.spec, { type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' });
  t.deepEqual(s.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  t.deepEqual(s.status, { loadBalancer: {} });
});

test.serial('ClusterIP: a requested IP is honoured, refused when taken or out of range; headless', async (t) => {
  const s = await api.client.create(services, 'default', svc('fixed', { clusterIP: '10.96.100.100' }));
  t.is(s.spec.clusterIP, '10.96.100.100');
  const taken = await invalid(t, api.client.create(services, 'default', svc('fixed2', { clusterIP: '10.96.100.100' })));
  t.is(taken.message, 'Service "fixed2" is invalid: spec.clusterIPs: Invalid value: ["10.96.100.100"]: failed to allocate IP 10.96.100.100: provided IP is already allocated');
  const out = await invalid(t, api.client.create(services, 'default', svc('outside', { clusterIP: '192.168.1.1' })));
  t.regex(out.message!, /the provided IP \(192\.168\.1\.1\) is not in the valid range\. The range of valid IPs is 10\.96\.0\.0\/12/);
  const kubeDns = await api.client.get(services, 'kube-system', 'kube-dns');
  t.is(kubeDns.spec.clusterIP, '10.96.0.10', 'kube-dns exists from the start on its well-known address');
  t.deepEqual(kubeDns.spec.ports.map((p: any) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
  const dnsTaken = await invalid(t, api.client.create(services, 'default', svc('dns-copy', { clusterIP: '10.96.0.10' })));
  t.regex(dnsTaken.message!, /provided IP is already allocated/);
  const headless = await api.client.create(services, 'default', svc('headless', { clusterIP: 'None' }));
  t.is(headless.spec.clusterIP, 'None');
  const change = await invalid(t, api.client.patch(services, 'default', 'fixed', { spec: { clusterIP: '10.96.100.101' } }));
  t.regex(change.message!, /may not change once set/);
});

test.serial('nodePort: allocated for NodePort and LoadBalancer; requested ports honoured or refused with Kubernetes messages', async (t) => {
  // The requested port first: a random allocation could otherwise take it.
  const fixed = await api.client.create(services, 'default', svc('np-fixed', { type: 'NodePort', ports: [{ port: 80, nodePort: 30009 }] }));
  t.is(fixed.spec.ports[0].nodePort, 30009);
  const np = await api.client.create(services, 'default', svc('np', { type: 'NodePort' }));
  const port = np.spec.ports[0].nodePort;
  t.true(port >= 30000 && port <= 30008);
  t.is(np.spec.externalTrafficPolicy, 'Cluster');
  const taken = await invalid(t, api.client.create(services, 'default', svc('np-taken', { type: 'NodePort', ports: [{ port: 80, nodePort: 30009 }] })));
  t.is(taken.message, 'Service "np-taken" is invalid: spec.ports[0].nodePort: Invalid value: 30009: provided port is already allocated');
  t.deepEqual(taken.details!.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 30009: provided port is already allocated', field: 'spec.ports[0].nodePort' }]);
  const range = await invalid(t, api.client.create(services, 'default', svc('np-range', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] })));
  t.is(range.message, 'Service "np-range" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30009');
  const onClusterIP = await invalid(t, api.client.create(services, 'default', svc('cip-np', { ports: [{ port: 80, nodePort: 30005 }] })));
  t.regex(onClusterIP.message!, /nodePort: Forbidden: may not be used when `type` is 'ClusterIP'/);
  const lb = await api.client.create(services, 'default', svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
  t.truthy(lb.spec.ports[0].nodePort);
  t.truthy(lb.spec.healthCheckNodePort, 'Local traffic policy gets a health check nodePort');
  t.true(lb.spec.allocateLoadBalancerNodePorts);
  const multi = await api.client.create(services, 'default', svc('multi', { type: 'NodePort', ports: [{ name: 'http', port: 8080, targetPort: 80 }, { name: 'https', port: 8443, targetPort: 443 }] }));
  t.not(multi.spec.ports[0].nodePort, multi.spec.ports[1].nodePort);
  // Clean up so later tests have room in the 10-port range.
  for (const n of ['np', 'np-fixed', 'lb', 'multi']) await api.client.delete(services, 'default', n);
});

test.serial('type changes allocate and release as Kubernetes does', async (t) => {
  const s = await api.client.create(services, 'default', svc('morph', {}));
  const ip = s.spec.clusterIP;
  const np = await api.client.patch(services, 'default', 'morph', { spec: { type: 'NodePort' } });
  const port = np.spec.ports[0].nodePort;
  t.truthy(port, 'ClusterIP → NodePort allocates a nodePort');
  t.is(np.spec.clusterIP, ip, 'and keeps the ClusterIP');
  // kubectl edit / replace sends the object without the allocated values: they are kept.
  const replaced = await api.client.update(services, { ...np, spec: { ...np.spec, clusterIP: undefined, clusterIPs: undefined, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } });
  t.is(replaced.spec.clusterIP, ip);
  t.is(replaced.spec.ports[0].nodePort, port);
  const back = await api.client.patch(services, 'default', 'morph', { spec: { type: 'ClusterIP' } });
  t.falsy(back.spec.ports[0].nodePort, 'NodePort → ClusterIP releases the nodePort');
  t.is(back.spec.externalTrafficPolicy, undefined);
  const reuse = await api.client.create(services, 'default', svc('reuse', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }));
  t.is(reuse.spec.ports[0].nodePort, port, 'a released port can be had again');
  const ext = await api.client.patch(services, 'default', 'morph', { spec: { type: 'ExternalName', externalName: 'api.acmecorp.com' } });
  t.falsy(ext.spec.clusterIP, '→ ExternalName releases the ClusterIP');
  const reuseIP = await api.client.create(services, 'default', svc('reuse-ip', { clusterIP: ip }));
  t.is(reuseIP.spec.clusterIP, ip);
  const again = await api.client.patch(services, 'default', 'morph', { spec: { type: 'ClusterIP', externalName: null } });
  t.truthy(again.spec.clusterIP, 'ExternalName → ClusterIP allocates a new IP');
  t.not(again.spec.clusterIP, ip);
  const extNoName = await invalid(t, api.client.create(services, 'default', { metadata: { name: 'ext-bad' }, spec: { type: 'ExternalName' } }));
  t.regex(extNoName.message!, /spec.externalName: Required value/);
  await api.client.delete(services, 'default', 'reuse');
});

test.serial('deleting a service releases its IP and ports', async (t) => {
  const s = await api.client.create(services, 'default', svc('gone', { type: 'NodePort', clusterIP: '10.96.50.50', ports: [{ port: 80, nodePort: 30001 }] }));
  await api.client.delete(services, 'default', 'gone');
  const s2 = await api.client.create(services, 'default', svc('gone2', { type: 'NodePort', clusterIP: '10.96.50.50', ports: [{ port: 80, nodePort: 30001 }] }));
  t.is(s2.spec.clusterIP, s.spec.clusterIP);
  t.is(s2.spec.ports[0].nodePort, 30001);
  await api.client.delete(services, 'default', 'gone2');
});

test.serial('an exhausted nodePort range is a clear error and allocates nothing', async (t) => {
  const made: string[] = [];
  for (let i = 0; ; i++) {
    try {
      await api.client.create(services, 'default', svc(`fill-${i}`, { type: 'NodePort' }));
      made.push(`fill-${i}`);
    } catch (e) {
      t.true(e instanceof ApiError);
      t.regex((e as ApiError).message, /range is full/);
      break;
    }
    if (i > 20) t.fail('range never filled');
  }
  t.true(made.length >= 8);
  const before = (await api.client.list(services, 'default')).items.length;
  await t.throwsAsync(api.client.create(services, 'default', svc('overflow', { type: 'NodePort' })));
  t.is((await api.client.list(services, 'default')).items.length, before, 'no half-written Service');
  for (const n of made) await api.client.delete(services, 'default', n);
});

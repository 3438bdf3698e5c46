// A nodePort is held by one Service at a time, whatever the Service's type:
// a LoadBalancer with allocateLoadBalancerNodePorts=false allocates no ports
// of its own, but a nodePort it names is still allocated and must be free
// (Kubernetes' initNodePorts: "Don't allocate new ports, but do respect
// specific requests"). healthCheckNodePort cannot be one of the service's
// own nodePorts either.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { ApiError } from '../../api/status.js';
import { startTestApi, type TestApi } from '../../testkit/api.js';

const services = findByPlural('', 'services')!;

let api: TestApi;
test.before(async () => {
  api = await startTestApi({ nodePortRange: '30100-30120' });
});
test.after.always(async () => {
  await api?.close();
});

const svc = (name: string, spec: Record<string, unknown>) => ({ metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
const invalid = async (t: any, p: Promise<unknown>) => {
  const e = (await t.throwsAsync(p, { instanceOf: ApiError })) as ApiError;
  t.is(e.status.code, 422);
  return e.status.message ?? '';
};

test.serial('a LoadBalancer without node port allocation cannot take (and later free) a nodePort another Service holds', async (t) => {
  await api.client.create(services, 'default', svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] }));
  const msg = await invalid(t, api.client.create(services, 'default', svc('h', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 30100 }] })));
  t.is(msg, 'Service "h" is invalid: spec.ports[0].nodePort: Invalid value: 30100: provided port is already allocated');
  // Had `h` been accepted, deleting it released a's port and `i` got it too.
  await api.client.delete(services, 'default', 'h').catch(() => undefined);
  const msg2 = await invalid(t, api.client.create(services, 'default', svc('i', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] })));
  t.regex(msg2, /provided port is already allocated/);
  await api.client.delete(services, 'default', 'a');
});

test.serial('a LoadBalancer without node port allocation holds the nodePort it names, and gets none it does not name', async (t) => {
  const h = await api.client.create(services, 'default', svc('h2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'a', port: 80, nodePort: 30101 }, { name: 'b', port: 81 }] }));
  t.is(h.spec.ports[0].nodePort, 30101);
  t.is(h.spec.ports[1].nodePort, undefined);
  const msg = await invalid(t, api.client.create(services, 'default', svc('j', { type: 'NodePort', ports: [{ port: 80, nodePort: 30101 }] })));
  t.regex(msg, /spec.ports\[0\].nodePort: Invalid value: 30101: provided port is already allocated/);
  await api.client.delete(services, 'default', 'h2');
  const j = await api.client.create(services, 'default', svc('j', { type: 'NodePort', ports: [{ port: 80, nodePort: 30101 }] }));
  t.is(j.spec.ports[0].nodePort, 30101, 'released with its Service');
  await api.client.delete(services, 'default', 'j');
});

test.serial('healthCheckNodePort may not equal one of the service\'s own nodePorts', async (t) => {
  const msg = await invalid(
    t,
    api.client.create(services, 'default', svc('hc', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30110, ports: [{ port: 80, nodePort: 30110 }] })),
  );
  t.is(msg, 'Service "hc" is invalid: spec.healthCheckNodePort: Invalid value: 30110: provided port is already allocated');
  t.is((await api.client.list(services, 'default')).items.filter((s) => s.metadata.name === 'hc').length, 0);
});

// REST semantics over real HTTPS: CRUD for every resource type, selectors,
// generateName, optimistic concurrency, patches, deletion, namespaces, and a
// Status body for every error reason.
import test from 'ava';
import https from 'node:https';
import { findByPlural, resourceTypes, type ResourceType } from '../../api/resources.js';
import { ApiError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { startTestApi, eventually, type TestApi } from '../../testkit/api.js';

const R = (plural: string, group = '') => findByPlural(group, plural)!;
const pods = R('pods');
const services = R('services');
const namespaces = R('namespaces');
const deployments = R('deployments', 'apps');
const configmaps = R('configmaps');

let api: TestApi;
test.before(async () => {
  api = await startTestApi();
});
test.after.always(async () => {
  await api?.close();
});

const podSpec = (labels: Record<string, string> = {}) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'mk8s/hello-from' }] } });

/** A valid object of each kind, for the generic CRUD test. */
function sample(r: ResourceType, name: string): KubeObject {
  const tmpl = { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } };
  const bodies: Record<string, Record<string, any>> = {
    Namespace: {},
    Pod: { spec: tmpl.spec },
    Service: { spec: { selector: { app: name }, ports: [{ port: 80 }] } },
    Endpoints: { subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }] },
    Node: { spec: { podCIDR: '10.244.9.0/24' } },
    ConfigMap: { data: { a: 'b' } },
    Event: { involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Test', message: 'hello', type: 'Normal' },
    ReplicationController: { spec: { replicas: 1, selector: { app: name }, template: tmpl } },
    Deployment: { spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: tmpl } },
    ReplicaSet: { spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: tmpl } },
    EndpointSlice: { addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.5'] }], ports: [{ port: 80 }] },
    Lease: { spec: { holderIdentity: 'me', leaseDurationSeconds: 40 } },
  };
  return { metadata: { name, labels: { suite: 'crud' } }, ...bodies[r.kind] };
}

for (const r of resourceTypes) {
  test.serial(`CRUD ${r.kind}`, async (t) => {
    const ns = r.namespaced ? 'default' : undefined;
    const name = `crud-${r.kind.toLowerCase()}`;
    const created = await api.client.create(r, ns, sample(r, name));
    t.is(created.kind, r.kind);
    t.truthy(created.metadata.uid);
    t.regex(created.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    t.regex(created.metadata.resourceVersion!, /^\d+$/);
    if (r.hasGeneration) t.is(created.metadata.generation, 1);

    const got = await api.client.get(r, ns, name);
    t.deepEqual(got, created);
    const list = await api.client.list(r, ns, { labelSelector: 'suite=crud' });
    t.is(list.kind, `${r.kind}List`);
    t.true(list.items.some((o) => o.metadata.name === name));
    t.true(Number(list.metadata.resourceVersion) >= Number(created.metadata.resourceVersion));

    const upd = await api.client.update(r, { ...got, metadata: { ...got.metadata, labels: { suite: 'crud', changed: 'yes' } } });
    t.is(upd.metadata.labels!.changed, 'yes');
    t.true(Number(upd.metadata.resourceVersion) > Number(got.metadata.resourceVersion));
    const patched = await api.client.patch(r, ns, name, { metadata: { annotations: { note: 'x' } } });
    t.is(patched.metadata.annotations!.note, 'x');

    await api.client.delete(r, ns, name);
    if (r.kind === 'Namespace') {
      await eventually(async () => {
        try {
          await api.client.get(r, ns, name);
          return false;
        } catch (e) {
          return e instanceof ApiError && e.code === 404;
        }
      });
    } else {
      const e = await t.throwsAsync(api.client.get(r, ns, name), { instanceOf: ApiError });
      t.is(e!.status.reason, 'NotFound');
    }
  });
}

test('generateName gives a random 5-character suffix', async (t) => {
  const a = await api.client.create(pods, 'default', { ...podSpec(), metadata: { generateName: 'gen-' } });
  const b = await api.client.create(pods, 'default', { ...podSpec(), metadata: { generateName: 'gen-' } });
  t.regex(a.metadata.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  t.not(a.metadata.name, b.metadata.name);
});

test('label selectors: equality and set-based; field selectors', async (t) => {
  const ns = 'sel';
  await api.client.create(namespaces, undefined, { metadata: { name: ns } });
  const mk = (name: string, labels: Record<string, string>, node?: string) =>
    api.client.create(pods, ns, { metadata: { name, labels }, spec: { ...podSpec().spec, ...(node ? { nodeName: node } : {}) } });
  await mk('a', { app: 'web', tier: 'front' }, 'n1');
  await mk('b', { app: 'web', tier: 'back' }, 'n2');
  await mk('c', { app: 'db' });
  const names = async (q: { labelSelector?: string; fieldSelector?: string }) =>
    (await api.client.list(pods, ns, q)).items.map((p) => p.metadata.name).sort();
  t.deepEqual(await names({ labelSelector: 'app=web' }), ['a', 'b']);
  t.deepEqual(await names({ labelSelector: 'app!=web' }), ['c']);
  t.deepEqual(await names({ labelSelector: 'tier in (front,middle)' }), ['a']);
  t.deepEqual(await names({ labelSelector: 'tier notin (front)' }), ['b', 'c']);
  t.deepEqual(await names({ labelSelector: '!tier' }), ['c']);
  t.deepEqual(await names({ labelSelector: 'app=web,tier' }), ['a', 'b']);
  t.deepEqual(await names({ fieldSelector: 'spec.nodeName=n2' }), ['b']);
  t.deepEqual(await names({ fieldSelector: 'metadata.name=c' }), ['c']);
  t.deepEqual(await names({ fieldSelector: 'status.phase=Pending,spec.nodeName!=n1' }), ['b', 'c']);
  const all = await api.client.list(pods, undefined, { fieldSelector: 'metadata.namespace=sel' });
  t.is(all.items.length, 3);
  const bad = await t.throwsAsync(names({ fieldSelector: 'spec.foo=bar' }), { instanceOf: ApiError });
  t.is(bad!.status.code, 400);
  t.is(bad!.status.reason, 'BadRequest');
  const badLabel = await t.throwsAsync(names({ labelSelector: 'app in (x' }), { instanceOf: ApiError });
  t.is(badLabel!.status.reason, 'BadRequest');
});

test('chunked lists: limit and continue', async (t) => {
  const ns = 'chunks';
  await api.client.create(namespaces, undefined, { metadata: { name: ns } });
  for (let i = 0; i < 7; i++) await api.client.create(configmaps, ns, { metadata: { name: `cm-${i}` } });
  const seen: string[] = [];
  let cont: string | undefined;
  do {
    const page = await api.client.list(configmaps, ns, { limit: 3, continue: cont });
    seen.push(...page.items.map((o) => o.metadata.name!));
    cont = page.metadata.continue;
  } while (cont);
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => `cm-${i}`));
});

test('optimistic concurrency: a stale resourceVersion is a 409 Conflict', async (t) => {
  const cm = await api.client.create(configmaps, 'default', { metadata: { name: 'occ' }, data: { v: '1' } });
  await api.client.update(configmaps, { ...cm, data: { v: '2' } });
  const e = await t.throwsAsync(api.client.update(configmaps, { ...cm, data: { v: '3' } }), { instanceOf: ApiError });
  t.is(e!.status.code, 409);
  t.is(e!.status.reason, 'Conflict');
  t.is(e!.status.message, 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again');
  t.deepEqual(e!.status.details, { name: 'occ', kind: 'configmaps' });
  t.is((await api.client.get(configmaps, 'default', 'occ')).data.v, '2');
});

test('a write that changes nothing keeps the resourceVersion', async (t) => {
  const cm = await api.client.create(configmaps, 'default', { metadata: { name: 'noop' }, data: { v: '1' } });
  const again = await api.client.update(configmaps, cm);
  t.is(again.metadata.resourceVersion, cm.metadata.resourceVersion);
});

test('Status bodies: NotFound, AlreadyExists, Invalid with causes', async (t) => {
  const nf = await t.throwsAsync(api.client.get(deployments, 'default', 'nope'), { instanceOf: ApiError });
  t.like(nf!.status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'deployments.apps "nope" not found' });
  t.deepEqual(nf!.status.details, { name: 'nope', group: 'apps', kind: 'deployments' });

  await api.client.create(pods, 'default', { ...podSpec(), metadata: { name: 'dup' } });
  const ae = await t.throwsAsync(api.client.create(pods, 'default', { ...podSpec(), metadata: { name: 'dup' } }), { instanceOf: ApiError });
  t.like(ae!.status, { reason: 'AlreadyExists', code: 409, message: 'pods "dup" already exists' });

  const inv = await t.throwsAsync(
    api.client.create(pods, 'default', { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' }] } }),
    { instanceOf: ApiError },
  );
  t.is(inv!.status.code, 422);
  t.is(inv!.status.reason, 'Invalid');
  t.is(inv!.status.details!.kind, 'Pod');
  const fields = inv!.status.details!.causes!.map((c) => c.field);
  t.deepEqual(fields, ['metadata.name', 'spec.containers[0].image']);
  t.regex(inv!.status.message!, /^Pod "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);

  const mismatch = await t.throwsAsync(
    api.client.create(deployments, 'default', {
      metadata: { name: 'mm' },
      spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: podSpec().spec } },
    }),
    { instanceOf: ApiError },
  );
  t.regex(mismatch!.status.message!, /spec.template.metadata.labels: Invalid value: .*`selector` does not match template `labels`/);
  t.is((await api.client.list(deployments, 'default')).items.filter((d) => d.metadata.name === 'mm').length, 0, 'nothing half-written');
});

test('Status bodies: BadRequest for malformed JSON and YAML, MethodNotAllowed, Unauthorized, 404 path, body limit', async (t) => {
  const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    new Promise<{ code: number; body: any }>((resolve, reject) => {
      const u = new URL(api.server.url);
      const req = https.request(
        { method, host: u.hostname, port: u.port, path, ca: api.server.caCert, headers: { Authorization: `Bearer ${api.server.token}`, 'Content-Type': 'application/json', ...headers } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ code: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  const bad = await raw('POST', '/api/v1/namespaces/default/pods', '{"metadata": {"name": ');
  t.is(bad.code, 400);
  t.like(bad.body, { kind: 'Status', reason: 'BadRequest', code: 400 });
  const badYaml = await raw('POST', '/api/v1/namespaces/default/configmaps', 'metadata: {name: [', { 'Content-Type': 'application/yaml' });
  t.is(badYaml.code, 400);
  const yamlOk = await raw('POST', '/api/v1/namespaces/default/configmaps', 'metadata:\n  name: from-yaml\ndata:\n  k: v\n', { 'Content-Type': 'application/yaml' });
  t.is(yamlOk.code, 201);
  const notObject = await raw('POST', '/api/v1/namespaces/default/configmaps', '[1,2]');
  t.is(notObject.code, 400);
  const mna = await raw('POST', '/api/v1/namespaces/default/configmaps/x');
  t.like(mna.body, { reason: 'MethodNotAllowed', code: 405 });
  const unauth = await raw('GET', '/api/v1/pods', undefined, { Authorization: 'Bearer wrong' });
  t.like(unauth.body, { kind: 'Status', reason: 'Unauthorized', code: 401 });
  const health = await new Promise<number>((resolve) => {
    const u = new URL(api.server.url);
    https.get({ host: u.hostname, port: u.port, path: '/healthz', ca: api.server.caCert }, (res) => resolve(res.statusCode!));
  });
  t.is(health, 200, 'health checks need no token');
  const nopath = await raw('GET', '/api/v1/widgets');
  t.like(nopath.body, { reason: 'NotFound', code: 404 });
  const huge = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'huge' }, data: { x: 'a'.repeat(4 * 1024 * 1024) } }));
  t.is(huge.code, 413);
  t.is(huge.body.kind, 'Status');
  const wrongKind = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'wk' } }));
  t.is(wrongKind.code, 400);
  const wrongNs = await raw('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'wn', namespace: 'other' } }));
  t.like(wrongNs.body, { reason: 'BadRequest', message: 'the namespace of the provided object does not match the namespace sent on the request' });
  const noNs = await raw('POST', '/api/v1/namespaces/missing/configmaps', JSON.stringify({ metadata: { name: 'x' } }));
  t.like(noNs.body, { reason: 'NotFound', message: 'namespaces "missing" not found' });
});

test('patch: merge, JSON patch and strategic merge on containers, env and ports', async (t) => {
  const d = await api.client.create(deployments, 'default', {
    metadata: { name: 'patchme' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'p' } },
      template: {
        metadata: { labels: { app: 'p' } },
        spec: { containers: [
          { name: 'a', image: 'nginx:1', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }], ports: [{ containerPort: 80 }] },
          { name: 'b', image: 'busybox:1' },
        ] },
      },
    },
  });
  const sm = await api.client.patch(deployments, 'default', 'patchme', {
    spec: { template: { spec: { containers: [{ name: 'a', image: 'nginx:2', env: [{ name: 'Y', value: '3' }], ports: [{ containerPort: 443 }] }] } } },
  }, 'application/strategic-merge-patch+json');
  const cs = sm.spec.template.spec.containers;
  t.is(cs.length, 2, 'containers merged by name');
  const a = cs.find((c: any) => c.name === 'a');
  t.is(a.image, 'nginx:2');
  t.deepEqual(a.env.map((e: any) => `${e.name}=${e.value}`).sort(), ['X=1', 'Y=3']);
  t.deepEqual(a.ports.map((p: any) => p.containerPort).sort(), [443, 80]);
  t.is(sm.metadata.generation, 2, 'spec change bumps generation');

  const mp = await api.client.patch(deployments, 'default', 'patchme', { spec: { replicas: 3 } });
  t.is(mp.spec.replicas, 3);
  const jp = await api.client.patch(deployments, 'default', 'patchme', [{ op: 'replace', path: '/spec/replicas', value: 2 }, { op: 'add', path: '/metadata/labels', value: { x: 'y' } }], 'application/json-patch+json');
  t.is(jp.spec.replicas, 2);
  t.is(jp.metadata.labels!.x, 'y');
  const bad = await t.throwsAsync(api.client.patch(deployments, 'default', 'patchme', [{ op: 'test', path: '/spec/replicas', value: 9 }], 'application/json-patch+json'), { instanceOf: ApiError });
  t.is(bad!.status.code, 422);
  t.is((await api.client.get(deployments, 'default', 'patchme')).spec.replicas, 2, 'failed patch changed nothing');
  t.truthy(d);
});

test('status subresource: main writes keep status, status writes keep spec', async (t) => {
  const p = await api.client.create(pods, 'default', { ...podSpec(), metadata: { name: 'st' } });
  const withStatus = await api.client.update(pods, { ...p, status: { phase: 'Running', podIP: '10.244.1.9' } }, 'status');
  t.is(withStatus.status.phase, 'Running');
  const mainWrite = await api.client.update(pods, { ...withStatus, metadata: { ...withStatus.metadata, labels: { a: 'b' } }, status: { phase: 'Failed' } });
  t.is(mainWrite.status.phase, 'Running', 'status ignored on the main resource');
  t.is(mainWrite.metadata.labels!.a, 'b');
  const patched = await api.client.patch(pods, 'default', 'st', { status: { podIP: '10.244.1.10' }, metadata: { labels: { c: 'd' } } }, 'application/merge-patch+json', 'status');
  t.is(patched.status.podIP, '10.244.1.10');
  t.falsy(patched.metadata.labels!.c, 'metadata ignored on status writes');
  const imm = await t.throwsAsync(api.client.patch(pods, 'default', 'st', { spec: { restartPolicy: 'Never' } }), { instanceOf: ApiError });
  t.regex(imm!.status.message!, /pod updates may not change fields other than/);
});

test('binding sets nodeName once; scale subresource', async (t) => {
  await api.client.create(pods, 'default', { ...podSpec(), metadata: { name: 'bindme' } });
  const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bindme' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } };
  await api.client.request('POST', '/api/v1/namespaces/default/pods/bindme/binding', { body: binding });
  const p = await api.client.get(pods, 'default', 'bindme');
  t.is(p.spec.nodeName, 'node-a');
  t.true(p.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));
  const again = await t.throwsAsync(api.client.request('POST', '/api/v1/namespaces/default/pods/bindme/binding', { body: binding }), { instanceOf: ApiError });
  t.is(again!.status.code, 409);

  await api.client.create(deployments, 'default', {
    metadata: { name: 'scaleme' },
    spec: { replicas: 1, selector: { matchLabels: { app: 's' } }, template: { metadata: { labels: { app: 's' } }, spec: podSpec().spec } },
  });
  const sc = await api.client.request('GET', '/apis/apps/v1/namespaces/default/deployments/scaleme/scale');
  t.like(sc, { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { selector: 'app=s' } });
  await api.client.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/scaleme/scale', { body: { spec: { replicas: 4 } }, contentType: 'application/merge-patch+json' });
  t.is((await api.client.get(deployments, 'default', 'scaleme')).spec.replicas, 4);
});

test('deletion: finalizers hold an object; propagation policy is recorded for the garbage collector; graceful pod deletion', async (t) => {
  const cm = await api.client.create(configmaps, 'default', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
  const deleting = await api.client.delete(configmaps, 'default', 'fin');
  t.truthy(deleting.metadata.deletionTimestamp);
  t.truthy(await api.client.get(configmaps, 'default', 'fin'));
  await api.client.patch(configmaps, 'default', 'fin', { metadata: { finalizers: null } });
  await t.throwsAsync(api.client.get(configmaps, 'default', 'fin'), { message: /not found/ });
  t.truthy(cm);

  for (const [policy, finalizer] of [['Orphan', 'orphan'], ['Foreground', 'foregroundDeletion']] as const) {
    const name = `prop-${policy.toLowerCase()}`;
    await api.client.create(deployments, 'default', {
      metadata: { name },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec().spec } },
    });
    await api.client.delete(deployments, 'default', name, { propagationPolicy: policy });
    const d = await api.client.get(deployments, 'default', name);
    t.deepEqual(d.metadata.finalizers, [finalizer]);
    t.truthy(d.metadata.deletionTimestamp);
  }
  const bg = await api.client.create(deployments, 'default', {
    metadata: { name: 'prop-bg' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'bg' } }, template: { metadata: { labels: { app: 'bg' } }, spec: podSpec().spec } },
  });
  await api.client.delete(deployments, 'default', 'prop-bg', { propagationPolicy: 'Background' });
  await t.throwsAsync(api.client.get(deployments, 'default', 'prop-bg'), { message: /not found/ });
  t.truthy(bg);

  // A pod on a node waits for its kubelet; an unbound pod goes at once.
  await api.client.create(pods, 'default', { ...podSpec(), metadata: { name: 'graceful' }, spec: { ...podSpec().spec, nodeName: 'n1' } });
  const g = await api.client.delete(pods, 'default', 'graceful', { gracePeriodSeconds: 30 });
  t.is(g.metadata.deletionGracePeriodSeconds, 30);
  t.truthy(await api.client.get(pods, 'default', 'graceful'));
  await api.client.delete(pods, 'default', 'graceful', { gracePeriodSeconds: 0 });
  await t.throwsAsync(api.client.get(pods, 'default', 'graceful'), { message: /not found/ });

  const pre = await api.client.create(configmaps, 'default', { metadata: { name: 'pre' } });
  const e = await t.throwsAsync(api.client.delete(configmaps, 'default', 'pre', { preconditions: { uid: 'not-the-uid' } }), { instanceOf: ApiError });
  t.is(e!.status.code, 409);
  t.truthy(pre);
});

test('deletecollection with a label selector', async (t) => {
  for (const n of ['dc-1', 'dc-2', 'dc-3']) await api.client.create(configmaps, 'default', { metadata: { name: n, labels: { dc: n === 'dc-3' ? 'keep' : 'go' } } });
  await api.client.request('DELETE', '/api/v1/namespaces/default/configmaps', { query: { labelSelector: 'dc=go' } });
  const left = (await api.client.list(configmaps, 'default', { labelSelector: 'dc' })).items.map((c) => c.metadata.name);
  t.deepEqual(left, ['dc-3']);
});

test('deleting a namespace deletes what is in it; no new content while it terminates', async (t) => {
  await api.client.create(namespaces, undefined, { metadata: { name: 'doomed' } });
  await api.client.create(configmaps, 'doomed', { metadata: { name: 'a' } });
  await api.client.create(services, 'doomed', { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } });
  const ns = await api.client.delete(namespaces, undefined, 'doomed');
  t.is(ns.status.phase, 'Terminating');
  await eventually(async () => {
    try {
      await api.client.get(namespaces, undefined, 'doomed');
      return false;
    } catch (e) {
      return e instanceof ApiError && e.code === 404;
    }
  });
  t.is((await api.client.list(configmaps, 'doomed')).items.length, 0);
  t.is((await api.client.list(services, 'doomed')).items.length, 0);
});

test('system namespaces and the kubernetes service exist at start', async (t) => {
  const nss = (await api.client.list(namespaces)).items.map((n) => n.metadata.name);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) t.true(nss.includes(n));
  const k = await api.client.get(services, 'default', 'kubernetes');
  t.is(k.spec.clusterIP, '10.96.0.1');
});

test('discovery: /version, /api, /apis and resource lists with shortNames', async (t) => {
  const v = await api.client.request('GET', '/version');
  t.is(v.major, '1');
  const core = await api.client.request('GET', '/api/v1');
  const podsEntry = core.resources.find((r: any) => r.name === 'pods');
  t.deepEqual(podsEntry.shortNames, ['po']);
  t.true(podsEntry.namespaced);
  t.true(core.resources.some((r: any) => r.name === 'pods/status'));
  const groups = await api.client.request('GET', '/apis');
  t.deepEqual(groups.groups.map((g: any) => g.name).sort(), ['apps', 'coordination.k8s.io', 'discovery.k8s.io']);
  const apps = await api.client.request('GET', '/apis/apps/v1');
  t.deepEqual(apps.resources.find((r: any) => r.name === 'deployments').shortNames, ['deploy']);
  const table = await api.client.request('GET', '/api/v1/namespaces/default/services', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  t.is(table.kind, 'Table');
  t.deepEqual(table.columnDefinitions.slice(0, 3).map((c: any) => c.name), ['Name', 'Type', 'Cluster-IP']);
});

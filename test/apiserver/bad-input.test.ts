// Bad input gets a Status with 400 or 422 — never a 500, never a stored
// object of the wrong shape. As kube-apiserver: a value of the wrong JSON
// type is a decode error (400, Go's "cannot unmarshal" message); a null list
// element is the zero value, refused by validation (422); nesting and YAML
// aliases are bounded; a URL path is decoded once.
import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { startTestApi, type TestApi } from '../../testkit/api.js';
import { rawRequest } from '../helpers/api-raw.js';

let api: TestApi;
test.before(async () => {
  api = await startTestApi();
});
test.after.always(async () => {
  await api?.close();
});

const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 'bad' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }], ...spec } });
const pod = (container: Record<string, unknown>) => ({ metadata: { name: 'bad' }, spec: { containers: [{ name: 'c', image: 'nginx', ...container }] } });
const deploy = (spec: Record<string, unknown>) => ({
  metadata: { name: 'bad' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...spec },
});
const nested = (depth: number) => '{"metadata":{"name":"deep"},"extra":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}';
const aliasBomb = ['metadata: {name: bomb}', 'data:', '  a: &a ["x","x","x","x","x","x","x","x","x"]', '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', '  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]'].join('\n');

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: unknown;
  contentType?: string;
  code: number;
  reason: string;
  message?: RegExp;
  /** A GET that must still answer 404 afterwards: nothing was stored. */
  notStored?: string;
}

const SVC = '/api/v1/namespaces/default/services';
const PODS = '/api/v1/namespaces/default/pods';
const CM = '/api/v1/namespaces/default/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';

const cases: Case[] = [
  { name: 'Service ports: "x"', path: SVC, body: svc({ ports: 'x' }), code: 400, reason: 'BadRequest', message: /^Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type \[\]v1.ServicePort$/, notStored: `${SVC}/bad` },
  { name: 'Service ports: [null]', path: SVC, body: svc({ ports: [null] }), code: 422, reason: 'Invalid', message: /spec.ports\[0\].port: Invalid value: 0: must be between 1 and 65535, inclusive/, notStored: `${SVC}/bad` },
  { name: 'Service externalIPs: "abc"', path: SVC, body: svc({ externalIPs: 'abc' }), code: 400, reason: 'BadRequest', message: /cannot unmarshal string into Go struct field ServiceSpec.spec.externalIPs of type \[\]string/, notStored: `${SVC}/bad` },
  { name: 'Service clusterIP: 5', path: SVC, body: svc({ clusterIP: 5 }), code: 400, reason: 'BadRequest', message: /cannot unmarshal number 5 into Go struct field ServiceSpec.spec.clusterIP of type string/, notStored: `${SVC}/bad` },
  { name: 'container env: 5', path: PODS, body: pod({ env: 5 }), code: 400, reason: 'BadRequest', message: /cannot unmarshal number 5 into Go struct field Container.spec.containers.env of type \[\]v1.EnvVar/, notStored: `${PODS}/bad` },
  { name: 'Endpoints subsets: "x"', path: '/api/v1/namespaces/default/endpoints', body: { metadata: { name: 'bad' }, subsets: 'x' }, code: 400, reason: 'BadRequest', message: /cannot unmarshal string into Go struct field Endpoints.subsets of type \[\]v1.EndpointSubset/, notStored: '/api/v1/namespaces/default/endpoints/bad' },
  { name: 'Deployment matchExpressions: [null]', path: DEPLOY, body: deploy({ selector: { matchLabels: { app: 'x' }, matchExpressions: [null] } }), code: 422, reason: 'Invalid', notStored: `${DEPLOY}/bad` },
  { name: 'ConfigMap data: "x"', path: CM, body: { metadata: { name: 'bad' }, data: 'x' }, code: 400, reason: 'BadRequest', message: /cannot unmarshal string into Go struct field ConfigMap.data of type map\[string\]string/, notStored: `${CM}/bad` },
  { name: 'ConfigMap data: ["x"]', path: CM, body: { metadata: { name: 'bad' }, data: ['x'] }, code: 400, reason: 'BadRequest', message: /cannot unmarshal array into Go struct field ConfigMap.data of type map\[string\]string/, notStored: `${CM}/bad` },
  { name: 'Deployment replicas: 1e10', path: DEPLOY, body: deploy({ replicas: 1e10 }), code: 400, reason: 'BadRequest', message: /cannot unmarshal number 10000000000 into Go struct field DeploymentSpec.spec.replicas of type int32/, notStored: `${DEPLOY}/bad` },
  { name: 'Deployment replicas: 2147483648', path: DEPLOY, body: deploy({ replicas: 2147483648 }), code: 400, reason: 'BadRequest', message: /of type int32/, notStored: `${DEPLOY}/bad` },
  { name: 'JSON nested 10,000 deep', path: CM, body: nested(10_000), code: 400, reason: 'BadRequest', message: /exceeded max depth/, notStored: `${CM}/deep` },
  { name: 'YAML alias bomb', path: CM, body: aliasBomb, contentType: 'application/yaml', code: 400, reason: 'BadRequest', message: /alias/, notStored: `${CM}/bomb` },
  { name: 'continue token that decodes to null', method: 'GET', path: `${CM}?limit=1&continue=bnVsbA==`, code: 400, reason: 'BadRequest', message: /continue key is not valid/ },
  { name: 'continue token that is not base64 JSON', method: 'GET', path: `${CM}?limit=1&continue=e30=`, code: 400, reason: 'BadRequest', message: /continue key is not valid/ },
  { name: 'a name that decodes to %ZZ', method: 'GET', path: `${CM}/%25ZZ`, code: 404, reason: 'NotFound', message: /^configmaps "%ZZ" not found$/ },
  { name: 'a path that is not valid percent-encoding', method: 'GET', path: `${CM}/%ZZ`, code: 400, reason: 'BadRequest' },
  { name: 'a path decoded once: a%252Fb names "a%2Fb"', method: 'GET', path: `${CM}/a%252Fb`, code: 404, reason: 'NotFound', message: /^configmaps "a%2Fb" not found$/ },
  { name: 'an encoded slash stays in its segment', method: 'GET', path: `${CM}/a%2Fb`, code: 404, reason: 'NotFound', message: /^configmaps "a\/b" not found$/ },
];

for (const c of cases) {
  test(`${c.name} → ${c.code}`, async (t) => {
    const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    const res = await rawRequest(api, c.method ?? 'POST', c.path, body, c.contentType ? { 'Content-Type': c.contentType } : {});
    t.is(res.code, c.code, res.text.slice(0, 500));
    t.like(res.body, { kind: 'Status', status: 'Failure', code: c.code, reason: c.reason });
    if (c.message) t.regex(res.body.message, c.message);
    if (c.notStored) t.is((await rawRequest(api, 'GET', c.notStored)).code, 404, 'nothing stored');
  });
}

test('updates and patches are checked the same way', async (t) => {
  const configmaps = findByPlural('', 'configmaps')!;
  await api.client.create(configmaps, 'default', { metadata: { name: 'keep' }, data: { k: 'v' } });
  const put = await rawRequest(api, 'PUT', `${CM}/keep`, JSON.stringify({ metadata: { name: 'keep' }, data: ['x'] }));
  t.is(put.code, 400);
  const patch = await rawRequest(api, 'PATCH', `${CM}/keep`, JSON.stringify({ data: 'x' }), { 'Content-Type': 'application/merge-patch+json' });
  t.is(patch.code, 400);
  t.like(patch.body, { reason: 'BadRequest' });
  t.deepEqual((await api.client.get(configmaps, 'default', 'keep')).data, { k: 'v' }, 'unchanged');
});

test('the scale subresource keeps replicas within int32', async (t) => {
  const deployments = findByPlural('apps', 'deployments')!;
  await api.client.create(deployments, 'default', { ...deploy({}), metadata: { name: 'scaled' } });
  const res = await rawRequest(api, 'PATCH', `${DEPLOY}/scaled/scale`, JSON.stringify({ spec: { replicas: 2147483648 } }), { 'Content-Type': 'application/merge-patch+json' });
  t.is(res.code, 400, res.text);
  t.like(res.body, { kind: 'Status', reason: 'BadRequest' });
  t.is((await api.client.get(deployments, 'default', 'scaled')).spec.replicas, 1);
});

test('moderate nesting and a few YAML aliases are fine', async (t) => {
  const ok = await rawRequest(api, 'POST', CM, nested(200));
  t.is(ok.code, 201, ok.text.slice(0, 300));
  const yaml = ['metadata: {name: aliased, labels: &l {a: b}}', 'data:', '  x: &v hello', '  y: *v'].join('\n');
  const y = await rawRequest(api, 'POST', CM, yaml, { 'Content-Type': 'application/yaml' });
  t.is(y.code, 201, y.text);
  t.deepEqual(y.body.data, { x: 'hello', y: 'hello' });
});

test('a null list element is the zero value, a null field is absent (as Go decodes them)', async (t) => {
  const res = await rawRequest(api, 'POST', CM, JSON.stringify({ metadata: { name: 'nulls', labels: null }, data: { a: 'b' } }));
  t.is(res.code, 201, res.text);
  t.false('labels' in res.body.metadata);
});

// The CLI's pure parts: kubectl's flag grammar, the JSONPath dialect, the
// go-yaml v2 emitter, Go's tabwriter, the kubeconfig subset reader, the
// CA check of the TLS agent, and what `mk8s get pods` loads.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parseFlags, FlagError, type FlagSpec } from '../../cli/flags.js';
import { executeJsonPath, relaxedJsonPath } from '../../cli/printers/jsonpath.js';
import { toJson, toYaml, goYamlKeyLess } from '../../cli/printers/yaml.js';
import { TabWriter } from '../../cli/printers/tabwriter.js';
import { parseSimpleYaml } from '../../cli/kubeconfig.js';
import { multipleTypesRequested } from '../../cli/commands/get.js';
import { parseResourceArgs } from '../../cli/resolve.js';
import { issuedFor } from '../../cli/tls-agent.js';
import { startTestApi } from '../../testkit/api.js';
import { mainJs } from './helpers.js';

const specs: FlagSpec[] = [
  { name: 'output', short: 'o', type: 'string' },
  { name: 'namespace', short: 'n', type: 'string' },
  { name: 'stdin', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'watch', short: 'w', type: 'bool' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'env', type: 'stringArray' },
  { name: 'replicas', type: 'int', default: 1 },
  { name: 'cascade', type: 'string', default: 'background', noOptDefVal: 'background' },
];

test('flags: pflag forms', (t) => {
  t.is(parseFlags(['get', 'po', '-owide'], specs).flags.output, 'wide');
  t.is(parseFlags(['-o', 'yaml'], specs).flags.output, 'yaml');
  t.is(parseFlags(['-o=json'], specs).flags.output, 'json');
  t.is(parseFlags(['--output=name'], specs).flags.output, 'name');
  t.is(parseFlags(['--output', 'name'], specs).flags.output, 'name');
  const it = parseFlags(['-it', 'pod', '--', 'sh', '-c', 'ls -l'], specs);
  t.true(it.flags.stdin && it.flags.tty);
  t.deepEqual(it.args, ['pod', 'sh', '-c', 'ls -l']);
  t.is(it.dash, 1);
  t.false(parseFlags(['--watch=false'], specs).flags.watch);
  t.deepEqual(parseFlags(['-f', 'a.yaml,b.yaml', '-f', 'c.yaml'], specs).flags.filename, ['a.yaml', 'b.yaml', 'c.yaml']);
  t.deepEqual(parseFlags(['--env=A=1,2', '--env', 'B=3'], specs).flags.env, ['A=1,2', 'B=3']);
  t.is(parseFlags(['--replicas=3'], specs).flags.replicas, 3);
  t.is(parseFlags(['--cascade'], specs).flags.cascade, 'background');
  t.is(parseFlags(['--cascade=orphan'], specs).flags.cascade, 'orphan');
  t.deepEqual(parseFlags(['get', '-n', 'kube-system', 'pods'], specs).args, ['get', 'pods']);
  t.throws(() => parseFlags(['--bogus'], specs), { instanceOf: FlagError, message: 'unknown flag: --bogus' });
  t.throws(() => parseFlags(['-x'], specs), { instanceOf: FlagError, message: "unknown shorthand flag: 'x' in -x" });
  t.throws(() => parseFlags(['--replicas=x'], specs), { instanceOf: FlagError });
});

test('resource arguments and when kubectl prints kind/name', (t) => {
  t.deepEqual(parseResourceArgs(['po,svc', 'a']).map((r) => [r.type.plural, r.names]), [['pods', ['a']], ['services', ['a']]]);
  t.deepEqual(parseResourceArgs(['svc/a', 'svc/b', 'deploy/c']).map((r) => [r.type.plural, r.names]), [['services', ['a', 'b']], ['deployments', ['c']]]);
  t.deepEqual(parseResourceArgs(['all']).map((r) => r.type.plural), ['pods', 'services', 'replicationcontrollers', 'deployments', 'replicasets']);
  t.deepEqual(parseResourceArgs(['deployments.apps', 'x']).map((r) => r.type.kind), ['Deployment']);
  t.deepEqual(parseResourceArgs(['ep', 'endpointslices', 'no', 'ns', 'cm', 'ev', 'rc', 'rs'].join(',').split(' ')).map((r) => r.type.kind), ['Endpoints', 'EndpointSlice', 'Node', 'Namespace', 'ConfigMap', 'Event', 'ReplicationController', 'ReplicaSet']);
  t.throws(() => parseResourceArgs(['foo']), { message: 'error: the server doesn\'t have a resource type "foo"' });
  t.true(multipleTypesRequested(['all']));
  t.true(multipleTypesRequested(['pod,svc']));
  t.true(multipleTypesRequested(['svc/a', 'deploy/b']));
  t.false(multipleTypesRequested(['svc/a', 'svc/b']));
  t.false(multipleTypesRequested(['svc', 'a']));
});

const nodeList = {
  kind: 'List',
  items: [
    { metadata: { name: 'master-0' }, status: { addresses: [{ type: 'InternalIP', address: '10.8.8.10' }, { type: 'Hostname', address: 'master-0' }] } },
    { metadata: { name: 'worker-0' }, status: { addresses: [{ type: 'InternalIP', address: '10.8.8.20' }] } },
    { metadata: { name: 'worker-1' }, status: { addresses: [{ type: 'Hostname', address: 'w1' }, { type: 'InternalIP', address: '10.8.8.21' }] } },
  ],
};

test('jsonpath: kubectl\'s dialect', (t) => {
  t.is(executeJsonPath('{.items[1:].status.addresses[0].address}', nodeList), '10.8.8.20 w1');
  t.is(executeJsonPath('{.items[*].status.addresses[?(@.type=="InternalIP")].address}', nodeList), '10.8.8.10 10.8.8.20 10.8.8.21');
  t.is(executeJsonPath('{range .items[*]}{.metadata.name}{"\\n"}{end}', nodeList), 'master-0\nworker-0\nworker-1\n');
  t.is(executeJsonPath('{.items[-1].metadata.name}', nodeList), 'worker-1');
  t.is(executeJsonPath('{.items[0,2].metadata.name}', nodeList), 'master-0 worker-1');
  t.is(executeJsonPath('{..address}', { a: { address: 'x' }, b: [{ address: 'y' }] }), 'x y');
  t.is(executeJsonPath("{.metadata.labels['app\\.kubernetes\\.io/name']}", { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }), '');
  t.is(executeJsonPath("{.metadata.labels['app.kubernetes.io/name']}", { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } }), 'web');
  t.is(executeJsonPath('{.metadata.annotations.a\\.b}', { metadata: { annotations: { 'a.b': 'c' } } }), 'c');
  t.is(executeJsonPath('{.metadata.ownerReferences}', { metadata: { ownerReferences: [{ uid: 'u', kind: 'ReplicaSet', name: 'r<x>' }] } }), '[{"kind":"ReplicaSet","name":"r\\u003cx\\u003e","uid":"u"}]');
  t.is(executeJsonPath('name: {.metadata.name}, missing: {.spec.nope}.', { metadata: { name: 'a' } }), 'name: a, missing: .');
  t.is(executeJsonPath('{.spec.ports[?(@.port>80)].name}', { spec: { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 443 }] } }), 'b');
  t.is(executeJsonPath('{.spec.replicas} {.spec.paused}', { spec: { replicas: 3, paused: false } }), '3 false');
  t.throws(() => executeJsonPath('{.items[5]}', nodeList), { message: 'array index out of bounds: index 5, length 3' });
  t.is(relaxedJsonPath('metadata.name'), '{.metadata.name}');
  t.is(relaxedJsonPath('{.spec.ports[*].port}'), '{.spec.ports[*].port}');
});

test('yaml: go-yaml v2 output as kubectl prints it', (t) => {
  const obj = {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cm1', annotations: { x: '{"a":1}\n' }, resourceVersion: '9', creationTimestamp: '2026-11-23T17:50:51Z' },
    data: {
      k10: 'a', k9: 'b', A: 'c', _u: 'd', Null: 'Null', num: '80', y: 'y', star: '*x', colon: 'a: b', colon2: 'a:b', dash: '- x', dash2: '-x',
      ml: 'line1\nline2\n', ml2: 'line1\nline2', ml3: 'a\n\n', lead: ' lead', lead2: '\nx', ts: '2024-01-01', hash: 'a #b', q: "it's", q2: "'x",
      tab: 'a\tb', ms: 'a \nb', empty: '', tilde: '~', dots: '...', ques: '?x', e: '1e3', oct: '0755', dot: '.5',
      long: 'this is a long value with many spaces in it so that it goes well beyond the eighty column limit of yaml emitters ok',
    },
    list: [{ name: 'a', port: 80 }, { name: 'b' }],
    empty: {},
    none: [],
    n: null,
  };
  t.is(
    toYaml(obj),
    [
      'apiVersion: v1',
      'data:',
      '  _u: d',
      '  A: c',
      '  "Null": "Null"',
      '  colon: \'a: b\'',
      '  colon2: a:b',
      '  dash: \'- x\'',
      '  dash2: -x',
      '  dot: ".5"',
      "  dots: '...'",
      '  e: "1e3"',
      '  empty: ""',
      "  hash: 'a #b'",
      '  k9: b',
      '  k10: a',
      "  lead: ' lead'",
      '  lead2: |2-',
      '',
      '    x',
      '  long: this is a long value with many spaces in it so that it goes well beyond the',
      '    eighty column limit of yaml emitters ok',
      '  ml: |',
      '    line1',
      '    line2',
      '  ml2: |-',
      '    line1',
      '    line2',
      '  ml3: |+',
      '    a',
      '',
      '  ms: "a \\nb"',
      '  num: "80"',
      '  oct: "0755"',
      "  q: it's",
      "  q2: '''x'",
      '  ques: ?x',
      "  star: '*x'",
      '  tab: "a\\tb"',
      '  tilde: "~"',
      '  ts: "2024-01-01"',
      '  "y": "y"',
      'empty: {}',
      'kind: ConfigMap',
      'list:',
      '- name: a',
      '  port: 80',
      '- name: b',
      'metadata:',
      '  annotations:',
      '    x: |',
      '      {"a":1}',
      '  creationTimestamp: "2026-11-23T17:50:51Z"',
      '  name: cm1',
      '  resourceVersion: "9"',
      '"n": null',
      'none: []',
      '',
    ].join('\n'),
  );
  t.is(toJson({ b: '<none>', a: [1, { d: true, c: null }] }), '{\n    "a": [\n        1,\n        {\n            "c": null,\n            "d": true\n        }\n    ],\n    "b": "\\u003cnone\\u003e"\n}\n');
  t.true(goYamlKeyLess('k9', 'k10'));
  t.true(goYamlKeyLess('_u', 'A'));
});

test('tabwriter: kubectl\'s (padding 3, min 6) and describe\'s (padding 2) layouts', (t) => {
  let out = '';
  const tw = new TabWriter((s) => (out += s));
  tw.row(['NAME', 'TYPE', 'CLUSTER-IP']);
  tw.row(['kubernetes', 'ClusterIP', '10.96.0.1']);
  tw.row(['a', 'b', 'c']);
  tw.flush();
  t.is(out, 'NAME         TYPE        CLUSTER-IP\nkubernetes   ClusterIP   10.96.0.1\na            b           c\n');
  let d = '';
  const dw = new TabWriter((s) => (d += s), { minWidth: 0, padding: 2, rememberWidths: false });
  dw.write('Name:\tx\nLabels:\ta=b\n\tc=d\nIPs:\n  IP:\t10.0.0.1\n');
  dw.flush();
  t.is(d, 'Name:    x\nLabels:  a=b\n         c=d\nIPs:\n  IP:  10.0.0.1\n');
});

test('kubeconfig: the block-YAML subset reads kubeconfigs, anything else is handed on', (t) => {
  const doc = parseSimpleYaml(
    'apiVersion: v1\nkind: Config\nclusters:\n- name: mk8s\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority-data: QUJD\ncontexts:\n  - name: mk8s # comment\n    context:\n      cluster: mk8s\n      user: "mk8s-admin"\n      namespace: \'default\'\ncurrent-context: mk8s\nusers:\n- name: mk8s-admin\n  user:\n    token: abc\npreferences: {}\n',
  ) as any;
  t.is(doc['current-context'], 'mk8s');
  t.is(doc.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  t.is(doc.contexts[0].context.user, 'mk8s-admin');
  t.is(doc.contexts[0].context.namespace, 'default');
  t.is(doc.users[0].user.token, 'abc');
  t.deepEqual(doc.preferences, {});
  t.throws(() => parseSimpleYaml('a: &x 1\nb: *x\n'));
  t.throws(() => parseSimpleYaml('a: |\n  text\n'));
  t.throws(() => parseSimpleYaml('a: [1, 2]\n'));
});

test('tls agent: the server certificate must be the CA\'s, current, and name the host', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const ca = new X509Certificate(api.server.caCert);
  const tls = await import('node:tls');
  const url = new URL(api.server.url);
  const peer = await new Promise<X509Certificate>((resolve, reject) => {
    const s = tls.connect({ host: url.hostname, port: Number(url.port), ca: [], rejectUnauthorized: false }, () => {
      resolve(s.getPeerX509Certificate()!);
      s.destroy();
    });
    s.on('error', reject);
  });
  t.true(issuedFor(peer, [ca], '127.0.0.1'));
  t.false(issuedFor(peer, [ca], '10.1.2.3'));
  t.false(issuedFor(peer, [ca], '127.0.0.1', Date.parse(peer.validTo) + 1000));
  t.false(issuedFor(peer, [peer], '127.0.0.1'));
});

test('mk8s get pods loads no apiserver, fastify, level, yaml, pino or yargs', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-loads-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'loaded.txt');
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + join(dir, 'hooks.mjs'))});\n`);
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', join(dir, 'register.mjs'), mainJs, '--kubeconfig', api.server.kubeconfigPath, 'get', 'pods'], (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr }));
  });
  t.is(r.code, 0, r.stderr);
  const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.true(loaded.some((u) => u.endsWith('/cli/commands/get.js')));
  for (const bad of ['/apiserver/', 'fastify', '/level', '/yaml/', 'pino', 'yargs', '/controllers/', '/printers/output.js', '/printers/yaml.js']) {
    t.false(loaded.some((u) => u.includes(bad)), `${bad} loaded: ${loaded.filter((u) => u.includes(bad)).join(', ')}`);
  }
});

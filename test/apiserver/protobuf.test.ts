// Kubernetes protobuf request bodies: the wire reader on its own (varints,
// lengths, truncation, unknown fields), the decoder on bodies captured from
// the real kubectl v1.32, and the real kubectl's typed create commands
// end to end, each stored object compared with the same object sent as JSON.
import test from 'ava';
import https from 'node:https';
import { existsSync } from 'node:fs';
import { findByPlural } from '../../api/resources.js';
import { ApiError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { decodeKubernetesProtobuf, decodeUnknown, isKubernetesProtobuf, ProtobufError, WireReader, WireType } from '../../apiserver/protobuf.js';
import { startTestApi, type TestApi } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';

// ---- a tiny proto writer, for building inputs ----

function varint(v: number | bigint): number[] {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const vi = (field: number, v: number | bigint) => [...key(field, WireType.Varint), ...varint(v)];
const ld = (field: number, bytes: number[]) => [...key(field, WireType.LengthDelimited), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string) => ld(field, [...Buffer.from(s, 'utf8')]);
const entry = (field: number, k: string, v: string) => ld(field, [...str(1, k), ...str(2, v)]);
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...ld(1, [...str(1, apiVersion), ...str(2, kind)]), ...ld(2, raw), ...str(3, ''), ...str(4, '')]);
const reader = (bytes: number[]) => new WireReader(Uint8Array.from(bytes));

// Bodies as the real kubectl v1.32.4 sent them (captured with -v=9).
const captured = {
  // kubectl create deployment hello --image=nginx:1.25 --replicas=3 --port=8080
  deployment:
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412c6010a230a0568656c6c6f12001a0022002a003200380042005a0c0a03617070120568656c6c6f1290010803120e0a0c0a03617070120568656c6c6f1a740a1e0a0012001a002200' +
    '2a003200380042005a0c0a03617070120568656c6c6f125212340a056e67696e78120a6e67696e783a312e32352a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a0100' +
    '9a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
  // kubectl create service nodeport web2 --tcp=80:8080 --node-port=30080
  nodePortService:
    '6b3873000a0d0a027631120753657276696365126d0a210a047765623212001a0022002a003200380042005a0b0a0361707012047765623212440a1d0a0738302d38303830120354435018502207080010903f1a002880eb01120b0a0361707012047765' +
    '62321a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200',
  // kubectl create namespace team-a
  namespace:
    '6b3873000a0f0a02763112094e616d657370616365121e0a160a067465616d2d6112001a0022002a0032003800420012001a020a001a002200',
  // kubectl create configmap cfg --from-literal=a=1 --from-literal=greeting='hello world'
  configMap:
    '6b3873000a0f0a0276311209436f6e6669674d617012360a130a0363666712001a0022002a0032003800420012060a016112013112170a086772656574696e67120b68656c6c6f20776f726c641a002200',
};

// ---- wire reader ----

test('isKubernetesProtobuf matches the media type, with or without parameters', (t) => {
  t.true(isKubernetesProtobuf('application/vnd.kubernetes.protobuf'));
  t.true(isKubernetesProtobuf('Application/VND.Kubernetes.Protobuf; charset=binary'));
  t.false(isKubernetesProtobuf('application/json'));
  t.false(isKubernetesProtobuf('application/vnd.kubernetes.protobuf+json'));
  t.false(isKubernetesProtobuf(''));
});

test('varints: single and multi byte, 32- and 64-bit limits, negative int32/int64', (t) => {
  t.is(reader([0]).uint32(), 0);
  t.is(reader([1]).uint32(), 1);
  t.is(reader([0x7f]).uint32(), 127);
  t.is(reader([0x80, 0x01]).uint32(), 128);
  t.is(reader([0xac, 0x02]).uint32(), 300);
  t.is(reader(varint(2 ** 31 - 1)).int32(), 2 ** 31 - 1);
  t.is(reader(varint(2 ** 32 - 1)).uint32(), 2 ** 32 - 1);
  t.is(reader(varint(2 ** 53)).int64(), 2 ** 53);
  // Negative int32 and int64 are sign-extended to ten bytes.
  t.deepEqual(varint(-1), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  t.is(reader(varint(-1)).int32(), -1);
  t.is(reader(varint(-1)).int64(), -1);
  t.is(reader(varint(-(2 ** 31))).int32(), -(2 ** 31));
  t.is(reader(varint(-1)).varint(), 2n ** 64n - 1n);
  t.is(reader(varint(2n ** 63n - 1n)).varint(), 2n ** 63n - 1n);
  // Non-minimal encodings are still valid.
  t.is(reader([0x81, 0x80, 0x80, 0x00]).uint32(), 1);
  t.true(reader([1, 0]).bool());
  t.false(reader([0]).bool());
  const r = reader([0xac, 0x02, 0x05]);
  t.is(r.uint32(), 300);
  t.is(r.uint32(), 5);
  t.true(r.done);
});

test('varints: truncated, too long and overflowing input are errors', (t) => {
  t.throws(() => reader([]).varint(), { instanceOf: ProtobufError, message: /unexpected end of input in varint/ });
  t.throws(() => reader([0x80]).varint(), { instanceOf: ProtobufError, message: /unexpected end of input/ });
  t.throws(() => reader([0xff, 0xff, 0xff]).varint(), { instanceOf: ProtobufError });
  t.throws(() => reader([...Array(10).fill(0xff), 0x01]).varint(), { instanceOf: ProtobufError, message: /longer than 10 bytes/ });
  t.throws(() => reader([...Array(9).fill(0xff), 0x02]).varint(), { instanceOf: ProtobufError, message: /overflows 64 bits/ });
});

test('fixed32, fixed64, float and double are little-endian', (t) => {
  t.is(reader([0x78, 0x56, 0x34, 0x12]).fixed32(), 0x12345678);
  t.is(reader([0xff, 0xff, 0xff, 0xff]).fixed32(), 0xffffffff);
  t.is(reader([1, 0, 0, 0, 2, 0, 0, 0]).fixed64(), (2n << 32n) | 1n);
  const d = Buffer.alloc(8);
  d.writeDoubleLE(1.5);
  t.is(reader([...d]).double(), 1.5);
  const f = Buffer.alloc(4);
  f.writeFloatLE(-2.25);
  t.is(reader([...f]).float(), -2.25);
  t.throws(() => reader([1, 2, 3]).fixed32(), { instanceOf: ProtobufError, message: /end of input in fixed32/ });
  t.throws(() => reader([1, 2, 3, 4, 5, 6, 7]).double(), { instanceOf: ProtobufError });
});

test('length-delimited fields: strings, sub-readers, lengths past the end', (t) => {
  const r = reader([...str(1, 'héllo'), ...vi(2, 7)]);
  t.deepEqual(r.tag(), { field: 1, wire: WireType.LengthDelimited });
  t.is(r.string(), 'héllo');
  t.deepEqual(r.tag(), { field: 2, wire: WireType.Varint });
  t.is(r.uint32(), 7);
  t.true(r.done);
  const nested = reader([...ld(3, [...vi(1, 42)]), ...vi(4, 1)]);
  nested.tag();
  const sub = nested.sub();
  t.deepEqual(sub.tag(), { field: 1, wire: 0 });
  t.is(sub.uint32(), 42);
  t.true(sub.done);
  t.deepEqual(nested.tag(), { field: 4, wire: 0 });
  t.throws(() => reader([0x05, 0x61]).string(), { instanceOf: ProtobufError, message: /length 5 runs past the end of input \(1 bytes left\)/ });
  // A sub-reader cannot read beyond its own message, even though the buffer goes on.
  const bounded = reader([...ld(1, [0x0a, 0x03, 0x61]), 0x62, 0x63]);
  bounded.tag();
  const inner = bounded.sub();
  inner.tag();
  t.throws(() => inner.string(), { instanceOf: ProtobufError });
});

test('tags: field 0 and wire types 6 and 7 are invalid; skip() passes over every wire type, groups included', (t) => {
  t.throws(() => reader([0x02]).tag(), { instanceOf: ProtobufError, message: /field number 0/ });
  t.throws(() => reader([0x0e]).tag(), { instanceOf: ProtobufError, message: /invalid wire type 6/ });
  t.throws(() => reader([0x0f]).tag(), { instanceOf: ProtobufError, message: /invalid wire type 7/ });
  const group = [...key(9, WireType.StartGroup), ...vi(1, 5), ...key(2, WireType.StartGroup), ...key(2, WireType.EndGroup), ...key(9, WireType.EndGroup)];
  const all = [...vi(1, 300), ...key(2, WireType.Fixed64), 1, 2, 3, 4, 5, 6, 7, 8, ...str(3, 'x'), ...key(4, WireType.Fixed32), 1, 2, 3, 4, ...group, ...vi(10, 1)];
  const r = reader(all);
  for (let i = 0; i < 5; i++) {
    const { field, wire } = r.tag();
    r.skip(wire, field);
  }
  t.deepEqual(r.tag(), { field: 10, wire: 0 });
  t.is(r.uint32(), 1);
  t.true(r.done);
  const unclosed = reader([...key(9, WireType.StartGroup), ...vi(1, 5)]);
  const g = unclosed.tag();
  t.throws(() => unclosed.skip(g.wire, g.field), { instanceOf: ProtobufError, message: /end of input in group 9/ });
  const mismatched = reader([...key(9, WireType.StartGroup), ...key(8, WireType.EndGroup)]);
  const m = mismatched.tag();
  t.throws(() => mismatched.skip(m.wire, m.field), { instanceOf: ProtobufError, message: /closed by end of group 8/ });
  const deep = reader([...Array(100).fill(key(1, WireType.StartGroup)).flat()]);
  const d = deep.tag();
  t.throws(() => deep.skip(d.wire, d.field), { instanceOf: ProtobufError, message: /nested too deeply/ });
  t.throws(() => reader([...key(1, WireType.Fixed64), 1, 2]).skip(1, 1), { instanceOf: ProtobufError });
});

// ---- the decoder ----

test('captured kubectl bodies decode to what kubectl itself renders as JSON', (t) => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  t.deepEqual(decodeKubernetesProtobuf(hex(captured.deployment)), {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'hello', labels: { app: 'hello' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'hello' } },
      template: {
        metadata: { labels: { app: 'hello' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 8080 }], resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  });
  t.deepEqual(decodeKubernetesProtobuf(hex(captured.nodePortService)), {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { name: 'web2', labels: { app: 'web2' } },
    spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }], selector: { app: 'web2' }, type: 'NodePort' },
    status: { loadBalancer: {} },
  });
  t.deepEqual(decodeKubernetesProtobuf(hex(captured.namespace)), { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'team-a' }, spec: {}, status: {} });
  t.deepEqual(decodeKubernetesProtobuf(hex(captured.configMap)), {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cfg' },
    data: { a: '1', greeting: 'hello world' },
  });
});

test('unknown fields of every wire type are skipped, at the top and nested', (t) => {
  const group = [...key(95, WireType.StartGroup), ...vi(1, 1), ...key(95, WireType.EndGroup)];
  const junk = [...vi(99, 12345), ...key(98, WireType.Fixed64), 0, 0, 0, 0, 0, 0, 0, 0, ...str(97, 'ignored'), ...key(96, WireType.Fixed32), 1, 2, 3, 4, ...group];
  const metadata = [...str(1, 'cm'), ...junk, ...entry(11, 'app', 'x'), ...ld(17, [...str(1, 'kubectl')]) /* managedFields */];
  const raw = [...junk, ...ld(1, metadata), ...entry(2, 'k', 'v'), ...junk, ...entry(2, 'k2', 'v2')];
  t.deepEqual(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw)), {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cm', labels: { app: 'x' } },
    data: { k: 'v', k2: 'v2' },
  });
});

test('Go JSON semantics: pointers keep zero, omitempty drops it, inline structs, IntOrString, Quantity, bytes', (t) => {
  const probe = [...ld(1, [...ld(2, [...str(1, '/healthz'), ...ld(2, [...vi(1, 1), ...str(3, 'http')])])]), ...vi(2, 5), ...vi(3, 0)];
  const container = [
    ...str(1, 'app'),
    ...str(2, 'nginx'),
    ...str(3, 'sh'),
    ...str(3, '-c'),
    ...str(4, 'sleep 1'),
    ...str(5, ''),
    ...ld(7, [...str(1, 'POD'), ...ld(3, [...ld(1, [...str(2, 'metadata.name')])])]),
    ...ld(7, [...str(1, 'FROM_CM'), ...ld(3, [...ld(3, [...ld(1, [...str(1, 'cfg')]), ...str(2, 'a')])])]),
    ...ld(8, [...ld(1, [...str(1, 'cpu'), ...ld(2, [...str(1, '500m')])]), ...ld(2, [...str(1, 'memory'), ...ld(2, [...str(1, '64Mi')])])]),
    ...ld(11, probe),
    ...ld(10, [...ld(1, [...ld(3, [...ld(1, [...vi(2, 8080)])])])]),
    ...str(14, 'IfNotPresent'),
    ...vi(16, 0),
  ];
  const podSpec = [
    ...ld(1, [...str(1, 'data'), ...ld(2, [...ld(2, [...str(1, '')])])]),
    ...ld(2, container),
    ...str(3, 'Always'),
    ...vi(4, 0),
    ...str(6, ''),
    ...ld(7, [...str(1, 'disk'), ...str(2, 'ssd')]),
    ...ld(14, []),
  ];
  const spec = [
    ...vi(1, 0),
    ...ld(2, [...ld(2, [...str(1, 'tier'), ...str(2, 'In'), ...str(3, 'web'), ...str(3, 'api')])]),
    ...ld(3, [...ld(1, [...entry(11, 'tier', 'web')]), ...ld(2, podSpec)]),
    ...ld(4, [...str(1, 'RollingUpdate'), ...ld(2, [...ld(1, [...vi(1, 1), ...str(3, '25%')]), ...ld(2, [...vi(1, 0), ...vi(2, 2)])])]),
    ...vi(5, 0),
    ...vi(6, 0),
  ];
  const metadata = [...str(1, 'd'), ...str(2, ''), ...ld(8, []), ...vi(7, 0), ...ld(13, [...str(5, 'v1'), ...str(1, 'Thing'), ...str(3, 'o'), ...str(4, 'u-1'), ...vi(6, 1)]), ...str(14, 'x/y')];
  const obj = decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', [...ld(1, metadata), ...ld(2, spec)])) as any;
  t.deepEqual(obj.metadata, {
    name: 'd',
    ownerReferences: [{ apiVersion: 'v1', kind: 'Thing', name: 'o', uid: 'u-1', controller: true }],
    finalizers: ['x/y'],
  });
  t.false('creationTimestamp' in obj.metadata, 'a Time is never decoded');
  t.is(obj.spec.replicas, 0, 'replicas is a pointer: an explicit 0 stays');
  t.is(obj.spec.revisionHistoryLimit, 0);
  t.false('minReadySeconds' in obj.spec, 'omitempty drops 0');
  t.deepEqual(obj.spec.selector, { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] });
  t.deepEqual(obj.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } });
  const ps = obj.spec.template.spec;
  t.deepEqual(ps.volumes, [{ name: 'data', emptyDir: {} }]);
  t.is(ps.restartPolicy, 'Always');
  t.is(ps.terminationGracePeriodSeconds, 0);
  t.false('dnsPolicy' in ps);
  t.deepEqual(ps.nodeSelector, { disk: 'ssd' });
  t.deepEqual(ps.securityContext, {});
  t.deepEqual(ps.containers, [
    {
      name: 'app',
      image: 'nginx',
      command: ['sh', '-c'],
      args: ['sleep 1'],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'a' } } },
      ],
      resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
      livenessProbe: { tcpSocket: { port: 8080 } },
      imagePullPolicy: 'IfNotPresent',
    },
  ]);
  const cm = decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', [...ld(3, [...str(1, 'bin'), ...ld(2, [0, 1, 254, 255])]), ...vi(4, 0)]));
  t.deepEqual(cm, { kind: 'ConfigMap', apiVersion: 'v1', binaryData: { bin: 'AAH+/w==' }, immutable: false });
});

test('bad envelopes and truncated bodies are ProtobufErrors; an unknown kind is a 415', (t) => {
  t.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')), { instanceOf: ProtobufError, message: /does not start with the "k8s\\x00" prefix/ });
  t.throws(() => decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38])), { instanceOf: ProtobufError });
  t.throws(() => decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00])), { instanceOf: ProtobufError, message: /no apiVersion and kind/ });
  const full = Buffer.from(captured.deployment, 'hex');
  for (const cut of [5, 10, 30, 60, 100, full.length - 12]) {
    t.throws(() => decodeKubernetesProtobuf(full.subarray(0, cut)), { instanceOf: ProtobufError }, `cut at ${cut}`);
  }
  // Truncated inside nested messages, in an envelope whose own lengths are right.
  const raw = [...decodeUnknown(full).raw];
  for (const cut of [10, 50, 120]) {
    t.throws(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', raw.slice(0, cut))), { instanceOf: ProtobufError }, `raw cut at ${cut}`);
  }
  // A field with the wrong wire type for its schema.
  t.throws(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', [...vi(1, 3)])), { instanceOf: ProtobufError, message: /ConfigMap.metadata: wire type 0, expected 2/ });
  const unknownKind = t.throws(() => decodeKubernetesProtobuf(envelope('v1', 'Node', [])), { instanceOf: ApiError });
  t.is(unknownKind!.status.code, 415);
  t.is(unknownKind!.status.reason, 'UnsupportedMediaType');
  t.regex(unknownKind!.status.message!, /^the body of the request was in an unknown format - accepted media types include: application\/json, /);
});

test('mutated and truncated kubectl bodies only ever throw ProtobufError or the 415 ApiError', (t) => {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const bodies = Object.values(captured).map((h) => Buffer.from(h, 'hex'));
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(bodies[i % bodies.length]);
    for (let j = 0, n = 1 + Math.floor(rnd() * 4); j < n; j++) b[4 + Math.floor(rnd() * (b.length - 4))] = Math.floor(rnd() * 256);
    const end = rnd() < 0.3 ? Math.floor(rnd() * b.length) : b.length;
    try {
      decodeKubernetesProtobuf(b.subarray(0, end));
    } catch (e) {
      if (!(e instanceof ProtobufError) && !(e instanceof ApiError && e.status.code === 415)) return t.fail(`${String(e)} for ${b.subarray(0, end).toString('hex')}`);
    }
  }
  t.pass();
});

// ---- over HTTPS ----

let api: TestApi;
test.before(async () => {
  api = await startTestApi();
  // Namespaces for creating each object twice: as kubectl sends it (protobuf) and as JSON.
  for (const name of ['pb', 'js']) await api.client.create(findByPlural('', 'namespaces')!, undefined, { metadata: { name } });
});
test.after.always(async () => {
  await api?.close();
});

function post(path: string, body: Buffer, contentType = 'application/vnd.kubernetes.protobuf'): Promise<{ code: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(api.server.url);
    const req = https.request(
      {
        method: 'POST',
        host: u.hostname,
        port: u.port,
        path,
        ca: api.server.caCert,
        headers: { Authorization: `Bearer ${api.server.token}`, 'Content-Type': contentType, Accept: 'application/vnd.kubernetes.protobuf,application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ code: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test.serial('protobuf over HTTPS: a captured body is created (JSON answer); malformed bodies are a 400 Status; an unsupported kind a 415', async (t) => {
  const ok = await post('/api/v1/namespaces/default/configmaps', Buffer.from(captured.configMap, 'hex'));
  t.is(ok.code, 201);
  t.like(ok.body, { kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1', greeting: 'hello world' } });
  const garbage = await post('/api/v1/namespaces/default/configmaps', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff]));
  t.is(garbage.code, 400);
  t.like(garbage.body, { kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  t.regex(garbage.body.message, /^protobuf: /);
  const notProto = await post('/api/v1/namespaces/default/configmaps', Buffer.from('{"metadata":{"name":"x"}}'));
  t.is(notProto.code, 400);
  t.regex(notProto.body.message, /k8s\\x00/);
  const truncated = await post('/apis/apps/v1/namespaces/default/deployments', Buffer.from(captured.deployment, 'hex').subarray(0, 120));
  t.is(truncated.code, 400);
  t.like(truncated.body, { kind: 'Status', reason: 'BadRequest' });
  const node = await post('/api/v1/nodes', envelope('v1', 'Node', [...ld(1, [...str(1, 'n1')])]));
  t.is(node.code, 415);
  t.like(node.body, { kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  // The server is still fine.
  const again = await post('/api/v1/namespaces/default/configmaps', Buffer.from(captured.configMap, 'hex'));
  t.is(again.code, 409);
});

// ---- the real kubectl ----

const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
const maybe = kubectlPath ? test.serial : test.serial.skip;
const kubectl = (args: string[], input?: string) => run(kubectlPath!, ['--kubeconfig', api.server.kubeconfigPath, ...args], { input });

const R = (plural: string, group = '') => findByPlural(group, plural)!;
const deployments = R('deployments', 'apps');
const services = R('services');
const namespaces = R('namespaces');
const configmaps = R('configmaps');

/**
 * What the server made of the object, less what differs between any two
 * creations, and less `creationTimestamp: null` (JSON's zero metav1.Time;
 * the protobuf decoder leaves a Time out instead).
 */
function stable(o: KubeObject, drop: string[] = []): any {
  const copy = JSON.parse(JSON.stringify(o), (k, v) => (k === 'creationTimestamp' && v === null ? undefined : v));
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'namespace', 'generation', 'managedFields']) delete copy.metadata[f];
  for (const path of drop) {
    const parts = path.split('.');
    let at = copy;
    for (const p of parts.slice(0, -1)) at = at?.[p];
    if (at) delete at[parts[parts.length - 1]];
  }
  return copy;
}

/**
 * Run a typed create command twice: as kubectl sends it (protobuf) in
 * namespace pb, and as JSON (`--dry-run=client -o json | kubectl create -f -`)
 * in namespace js. Returns both stored objects.
 */
async function createBothWays(t: any, r: typeof deployments, name: string, args: string[], expectOut: string) {
  const pb = await kubectl([...args, '-n', 'pb']);
  t.is(pb.code, 0, pb.stderr);
  t.is(pb.stdout.trim(), expectOut);
  t.is(pb.stderr, '');
  const json = await kubectl([...args, '--dry-run=client', '-o', 'json']);
  t.is(json.code, 0, json.stderr);
  const viaJson = await kubectl(['create', '-f', '-', '-n', 'js'], json.stdout);
  t.is(viaJson.code, 0, viaJson.stderr);
  return { pb: await api.client.get(r, 'pb', name), js: await api.client.get(r, 'js', name) };
}

maybe('kubectl create deployment (protobuf) stores what the JSON path stores', async (t) => {
  const { pb, js } = await createBothWays(t, deployments, 'hello', ['create', 'deployment', 'hello', '--image=nginx:1.25', '--replicas=3', '--port=8080'], 'deployment.apps/hello created');
  t.deepEqual(pb.metadata.labels, { app: 'hello' });
  t.is(pb.spec.replicas, 3);
  t.deepEqual(pb.spec.selector, { matchLabels: { app: 'hello' } });
  t.deepEqual(pb.spec.template.metadata.labels, { app: 'hello' });
  t.is(pb.spec.template.spec.containers.length, 1);
  t.like(pb.spec.template.spec.containers[0], { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 8080 }] });
  for (const f of ['generateName', 'selfLink', 'ownerReferences', 'finalizers', 'annotations']) t.false(f in pb.metadata, f);
  for (const f of ['command', 'args', 'workingDir', 'env', 'stdin', 'tty']) t.false(f in pb.spec.template.spec.containers[0], f);
  for (const f of ['nodeName', 'hostname', 'subdomain', 'serviceAccountName', 'hostNetwork', 'priorityClassName']) t.false(f in pb.spec.template.spec, f);
  t.deepEqual(stable(pb), stable(js));
  const withCommand = await kubectl(['create', 'deployment', 'sleeper', '--image=busybox', '-n', 'pb', '--', 'sleep', '3600']);
  t.is(withCommand.stdout.trim(), 'deployment.apps/sleeper created', withCommand.stderr);
  const sleeper = await api.client.get(deployments, 'pb', 'sleeper');
  t.like(sleeper.spec.template.spec.containers[0], { name: 'busybox', image: 'busybox', command: ['sleep', '3600'] });
});

maybe('kubectl create service clusterip|nodeport|loadbalancer|externalname (protobuf)', async (t) => {
  const allocated = ['spec.clusterIP', 'spec.clusterIPs'];
  const cip = await createBothWays(t, services, 'web', ['create', 'service', 'clusterip', 'web', '--tcp=80:8080'], 'service/web created');
  t.like(cip.pb.spec, { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }] });
  t.is(cip.pb.spec.ports.length, 1);
  t.false('nodePort' in cip.pb.spec.ports[0]);
  t.regex(cip.pb.spec.clusterIP, /^10\./);
  t.deepEqual(stable(cip.pb, allocated), stable(cip.js, allocated));

  const np = await kubectl(['create', 'service', 'nodeport', 'web2', '--tcp=80:8080', '--node-port=30080', '-n', 'pb']);
  t.is(np.stdout.trim(), 'service/web2 created', np.stderr);
  const web2 = await api.client.get(services, 'pb', 'web2');
  t.like(web2.spec, { type: 'NodePort', selector: { app: 'web2' }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] });

  const lb = await createBothWays(t, services, 'web3', ['create', 'service', 'loadbalancer', 'web3', '--tcp=443:8443'], 'service/web3 created');
  t.like(lb.pb.spec, { type: 'LoadBalancer', ports: [{ port: 443, targetPort: 8443 }] });
  t.true(Number.isInteger(lb.pb.spec.ports[0].nodePort), 'a node port is allocated');
  const lbAllocated = [...allocated, 'spec.ports'];
  t.deepEqual(stable(lb.pb, lbAllocated), stable(lb.js, lbAllocated));

  const en = await createBothWays(t, services, 'ext', ['create', 'service', 'externalname', 'ext', '--external-name=example.com'], 'service/ext created');
  t.like(en.pb.spec, { type: 'ExternalName', externalName: 'example.com' });
  t.false('ports' in en.pb.spec);
  t.deepEqual(stable(en.pb), stable(en.js));
});

maybe('kubectl create namespace and configmap (protobuf)', async (t) => {
  const ns = await kubectl(['create', 'namespace', 'team-a']);
  t.is(ns.code, 0, ns.stderr);
  t.is(ns.stdout.trim(), 'namespace/team-a created');
  const created = await api.client.get(namespaces, undefined, 'team-a');
  t.is(created.metadata.name, 'team-a');
  t.is(created.status?.phase, 'Active');

  const cm = await createBothWays(t, configmaps, 'cfg', ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=greeting=hello world'], 'configmap/cfg created');
  t.deepEqual(cm.pb.data, { a: '1', greeting: 'hello world' });
  t.false('binaryData' in cm.pb);
  t.deepEqual(stable(cm.pb), stable(cm.js));

  // Errors from the server still reach kubectl as Status (JSON answers to a protobuf request).
  const dup = await kubectl(['create', 'configmap', 'cfg', '--from-literal=a=1', '-n', 'pb']);
  t.not(dup.code, 0);
  t.regex(dup.stderr, /configmaps "cfg" already exists/);
});

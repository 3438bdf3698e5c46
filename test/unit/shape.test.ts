// The typed-decode check (api/shape.ts): wrong JSON types refused with Go's
// message, int32/int64 bounds, nulls as Go's zero values, unknown fields
// left alone, and no recursion (depth is bounded only by the caller).
import test from 'ava';
import { checkShape, nestingDepth, ShapeError } from '../../api/shape.js';

const refused = (t: any, kind: string, obj: any, message: string) => {
  const e = t.throws(() => checkShape(kind, obj), { instanceOf: ShapeError });
  t.is(e.message, message);
};

test('wrong JSON types are refused with Go\'s UnmarshalTypeError wording', (t) => {
  refused(t, 'Service', { spec: { ports: 'x' } }, 'json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort');
  refused(t, 'Service', { spec: { ports: [{ port: '80' }] } }, 'json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32');
  refused(t, 'ConfigMap', { data: { a: 1 } }, 'json: cannot unmarshal number 1 into Go struct field ConfigMap.data of type string');
  refused(t, 'Pod', { metadata: { labels: [] } }, 'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string');
  refused(t, 'Deployment', { spec: { replicas: 1.5 } }, 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32');
  refused(t, 'Deployment', { spec: { replicas: 2 ** 31 } }, 'json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32');
  refused(t, 'Pod', { spec: { containers: [{ name: 'c', stdin: 'yes' }] } }, 'json: cannot unmarshal string into Go struct field Container.spec.containers.stdin of type bool');
});

test('valid values pass: int32 edges, int-or-string, int64, unknown fields untouched', (t) => {
  const d = { spec: { replicas: 2 ** 31 - 1, strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } }, extra: { anything: [1, 'x'] } };
  t.notThrows(() => checkShape('Deployment', d));
  t.deepEqual(d.extra, { anything: [1, 'x'] });
  t.notThrows(() => checkShape('Pod', { spec: { terminationGracePeriodSeconds: 2 ** 40, containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } }));
  t.notThrows(() => checkShape('Widget', { metadata: { name: 'w' }, spec: 5 }), 'unknown kinds: only metadata is checked');
});

test('null: a struct field is dropped, a list element or map value becomes the zero value', (t) => {
  const s: any = { metadata: { labels: null, annotations: { a: null } }, spec: { clusterIP: null, ports: [null], externalIPs: [null] } };
  checkShape('Service', s);
  t.deepEqual(s, { metadata: { annotations: { a: '' } }, spec: { ports: [{}], externalIPs: [''] } });
});

test('nestingDepth counts levels without recursion and stops early past a limit', (t) => {
  t.is(nestingDepth(5), 0);
  t.is(nestingDepth({ a: [{}] }), 3);
  let deep: any = {};
  for (let i = 0; i < 200_000; i++) deep = { a: deep };
  t.true(nestingDepth(deep, 1000) > 1000);
  t.notThrows(() => checkShape('ConfigMap', { extra: deep }));
});

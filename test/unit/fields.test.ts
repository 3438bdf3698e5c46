import test from 'ava';
import {
  checkFieldsSupported,
  escapeFieldValue,
  fieldValue,
  fieldsSupported,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  unescapeFieldValue,
} from '../../api/fields.js';
import { SelectorError } from '../../api/labels.js';
import type { KubeObject } from '../../api/types.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { nodeName: 'node-a', restartPolicy: 'Always' },
  status: { phase: 'Running', podIP: '10.0.0.5' },
};

const parseError = (text: string) => t_throws(() => parseFieldSelector(text));
function t_throws(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SelectorError) return e.message;
    throw e;
  }
  throw new Error('expected a SelectorError');
}

// ---- parsing ----------------------------------------------------------------

test('parses =, == and !=', (t) => {
  t.deepEqual(parseFieldSelector('metadata.name=x'), [{ field: 'metadata.name', operator: '=', value: 'x' }]);
  t.deepEqual(parseFieldSelector('metadata.name==x'), [{ field: 'metadata.name', operator: '==', value: 'x' }]);
  t.deepEqual(parseFieldSelector('status.phase!=Running'), [{ field: 'status.phase', operator: '!=', value: 'Running' }]);
});

test('terms are sorted, empty terms skipped, empty values allowed', (t) => {
  t.deepEqual(parseFieldSelector('status.phase!=Running,,metadata.name=x,'), [
    { field: 'metadata.name', operator: '=', value: 'x' },
    { field: 'status.phase', operator: '!=', value: 'Running' },
  ]);
  t.deepEqual(parseFieldSelector('spec.nodeName='), [{ field: 'spec.nodeName', operator: '=', value: '' }]);
  t.deepEqual(parseFieldSelector(''), []);
});

test('the leftmost operator splits a term', (t) => {
  t.deepEqual(parseFieldSelector('a=!b'), [{ field: 'a', operator: '=', value: '!b' }]);
  t.deepEqual(parseFieldSelector('a!=b'), [{ field: 'a', operator: '!=', value: 'b' }]);
});

test('nothing is trimmed', (t) => {
  t.deepEqual(parseFieldSelector('a=b, c=d'), [
    { field: ' c', operator: '=', value: 'd' },
    { field: 'a', operator: '=', value: 'b' },
  ]);
});

test('escaped values', (t) => {
  t.deepEqual(parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,type=x'), [
    { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
    { field: 'type', operator: '=', value: 'x' },
  ]);
  t.is(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  t.is(unescapeFieldValue(escapeFieldValue('x=,\\y')), 'x=,\\y');
});

test('parse errors carry Kubernetes messages', (t) => {
  t.is(parseError('metadata.name'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  t.is(parseError('a=b,oops'), "invalid selector: 'a=b,oops'; can't understand 'oops'");
  t.is(parseError('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  t.is(parseError('a!==b'), 'invalid field selector: unescaped character in value: 61');
  t.is(parseError('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  t.is(parseError('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
});

test('formatFieldSelector', (t) => {
  t.is(formatFieldSelector(parseFieldSelector('b==1,a!=2,c=x\\,y')), 'a!=2,b=1,c=x\\,y');
  t.is(formatFieldSelector([]), '');
});

// ---- supported fields -------------------------------------------------------

test('every kind supports metadata.name and metadata.namespace', (t) => {
  t.deepEqual(fieldsSupported('ConfigMap'), ['metadata.name', 'metadata.namespace']);
  t.deepEqual(fieldsSupported('Deployment'), ['metadata.name', 'metadata.namespace']);
});

test('per-kind fields', (t) => {
  t.deepEqual(fieldsSupported('Pod'), [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ]);
  t.true(fieldsSupported('Event').includes('involvedObject.uid'));
  t.true(fieldsSupported('Event').includes('reportingComponent'));
  t.deepEqual(fieldsSupported('Namespace'), ['metadata.name', 'status.phase']);
  t.deepEqual(fieldsSupported('Node'), ['metadata.name', 'spec.unschedulable']);
  t.true(fieldsSupported('ReplicaSet').includes('status.replicas'));
  t.true(fieldsSupported('ReplicationController').includes('status.replicas'));
  t.true(fieldsSupported('Secret').includes('type'));
  t.true(fieldsSupported('Service').includes('spec.clusterIP'));
});

test('fieldsSupported returns a copy', (t) => {
  fieldsSupported('Pod').push('x');
  t.false(fieldsSupported('Pod').includes('x'));
});

test('checkFieldsSupported names the first unsupported field', (t) => {
  t.is(checkFieldsSupported(parseFieldSelector('status.phase=Running,spec.nodeName=a'), 'Pod'), undefined);
  t.is(checkFieldsSupported(parseFieldSelector('status.phase=Running,foo=bar,zzz=1'), 'Pod'), 'field label not supported: foo');
  t.is(checkFieldsSupported(parseFieldSelector('metadata.namespace=x'), 'Node'), 'field label not supported: metadata.namespace');
  t.is(checkFieldsSupported(parseFieldSelector('type=Opaque'), 'Secret'), undefined);
  t.is(
    checkFieldsSupported(parseFieldSelector('foo.bar=baz'), 'Ingress'),
    '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"',
  );
  t.is(checkFieldsSupported([], 'Ingress'), undefined);
});

// ---- matching ---------------------------------------------------------------

test('matches dotted paths with = and !=', (t) => {
  t.true(matchesFields(parseFieldSelector('metadata.name=web-1'), pod));
  t.true(matchesFields(parseFieldSelector('metadata.name==web-1,status.phase=Running'), pod));
  t.false(matchesFields(parseFieldSelector('metadata.name=web-2'), pod));
  t.true(matchesFields(parseFieldSelector('status.phase!=Pending'), pod));
  t.false(matchesFields(parseFieldSelector('status.phase!=Running'), pod));
  t.false(matchesFields(parseFieldSelector('spec.nodeName=node-a,status.phase!=Running'), pod));
  t.true(matchesFields([], pod));
});

test('missing fields read as the empty string', (t) => {
  t.true(matchesFields(parseFieldSelector('spec.schedulerName='), pod));
  t.true(matchesFields(parseFieldSelector('status.nominatedNodeName!=x'), pod));
  t.false(matchesFields(parseFieldSelector('spec.serviceAccountName=default'), pod));
  t.is(fieldValue(pod, 'spec.nodeName.deeper'), '');
  t.is(fieldValue(pod, 'metadata.constructor'), '');
});

test('booleans and numbers compare in their string form, absent ones as Go zero values', (t) => {
  const hostPod: KubeObject = { ...pod, spec: { ...pod.spec, hostNetwork: true } };
  t.true(matchesFields(parseFieldSelector('spec.hostNetwork=true'), hostPod));
  t.true(matchesFields(parseFieldSelector('spec.hostNetwork=false'), pod));
  const node: KubeObject = { kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } };
  t.true(matchesFields(parseFieldSelector('spec.unschedulable=true'), node));
  t.true(matchesFields(parseFieldSelector('spec.unschedulable=false'), { kind: 'Node', metadata: { name: 'n2' } }));
  const rs: KubeObject = { kind: 'ReplicaSet', metadata: { name: 'r' }, status: { replicas: 3 } };
  t.true(matchesFields(parseFieldSelector('status.replicas=3'), rs));
  t.true(matchesFields(parseFieldSelector('status.replicas=0'), { kind: 'ReplicaSet', metadata: { name: 'r' } }));
});

test('Event fields, with source falling back to reportingComponent', (t) => {
  const event: KubeObject = {
    kind: 'Event',
    metadata: { name: 'web-1.abc', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
    reason: 'Scheduled',
    type: 'Normal',
    source: { component: 'default-scheduler' },
    reportingComponent: 'scheduler',
  };
  t.true(matchesFields(parseFieldSelector('involvedObject.kind=Pod,involvedObject.name=web-1,reason=Scheduled'), event));
  t.true(matchesFields(parseFieldSelector('source=default-scheduler'), event));
  t.true(matchesFields(parseFieldSelector('reportingComponent=scheduler'), event));
  const newer: KubeObject = { ...event, source: {} };
  t.is(fieldValue(newer, 'source'), 'scheduler');
});

import test from 'ava';
import { PatchError } from '../../api/patch/errors.js';
import { applyJsonPatch } from '../../api/patch/json-patch.js';
import { applyMergePatch, createMergePatch } from '../../api/patch/merge-patch.js';
import { applyStrategicMergePatch, createThreeWayMergePatch } from '../../api/patch/strategic.js';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// ---------------------------------------------------------------------------
// RFC 7386 JSON merge patch

test('merge patch: RFC 7386 section 3 example', (t) => {
  const target = {
    title: 'Goodbye!',
    author: { givenName: 'John', familyName: 'Doe' },
    tags: ['example', 'sample'],
    content: 'This will be unchanged',
  };
  const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
  t.deepEqual(applyMergePatch(target, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
});

test('merge patch: RFC 7386 appendix A examples', (t) => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) {
    t.deepEqual(applyMergePatch(target, patch), result, JSON.stringify({ target, patch }));
  }
});

test('merge patch: inputs are not mutated', (t) => {
  const target = { a: { b: 1, c: [1] } };
  const patch = { a: { b: null, d: { e: 1 } } };
  const [targetCopy, patchCopy] = [clone(target), clone(patch)];
  const result = applyMergePatch(target, patch) as { a: { c: number[] } };
  result.a.c.push(2);
  t.deepEqual(target, targetCopy);
  t.deepEqual(patch, patchCopy);
});

test('merge patch: a "__proto__" key is data, not a prototype', (t) => {
  const result = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.deepEqual(Object.keys(result), ['__proto__']);
});

test('createMergePatch: produces the patch that turns original into modified', (t) => {
  const original = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 1, ports: [80] } };
  const modified = { metadata: { labels: { app: 'web', env: 'prod' } }, spec: { replicas: 3, ports: [80, 443] } };
  const patch = createMergePatch(original, modified);
  t.deepEqual(patch, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3, ports: [80, 443] } });
  t.deepEqual(applyMergePatch(original, patch), modified);
  t.deepEqual(createMergePatch(modified, modified), {});
});

// ---------------------------------------------------------------------------
// RFC 6902 JSON patch (appendix A)

test('json patch: A.1 adding an object member', (t) => {
  t.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), { baz: 'qux', foo: 'bar' });
});

test('json patch: A.2 adding an array element', (t) => {
  t.deepEqual(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), {
    foo: ['bar', 'qux', 'baz'],
  });
});

test('json patch: A.3 removing an object member', (t) => {
  t.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), { foo: 'bar' });
});

test('json patch: A.4 removing an array element', (t) => {
  t.deepEqual(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), { foo: ['bar', 'baz'] });
});

test('json patch: A.5 replacing a value', (t) => {
  t.deepEqual(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]), {
    baz: 'boo',
    foo: 'bar',
  });
});

test('json patch: A.6 moving a value', (t) => {
  const doc = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
  t.deepEqual(applyJsonPatch(doc, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]), {
    foo: { bar: 'baz' },
    qux: { corge: 'grault', thud: 'fred' },
  });
});

test('json patch: A.7 moving an array element', (t) => {
  t.deepEqual(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]), {
    foo: ['all', 'cows', 'eat', 'grass'],
  });
});

test('json patch: A.8 testing a value: success', (t) => {
  const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
  const ops = [
    { op: 'test', path: '/baz', value: 'qux' },
    { op: 'test', path: '/foo/1', value: 2 },
  ];
  t.deepEqual(applyJsonPatch(doc, ops), doc);
});

test('json patch: A.9 testing a value: error', (t) => {
  const err = t.throws(() => applyJsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]), {
    instanceOf: PatchError,
  });
  t.is(err?.message, 'testing value /baz failed');
});

test('json patch: A.10 adding a nested member object', (t) => {
  t.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }]), {
    foo: 'bar',
    child: { grandchild: {} },
  });
});

test('json patch: A.11 ignoring unrecognized elements', (t) => {
  t.deepEqual(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
});

test('json patch: A.12 adding to a nonexistent target', (t) => {
  const err = t.throws(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]), {
    instanceOf: PatchError,
  });
  t.is(err?.message, 'add operation does not apply: doc is missing path: "/baz/bat"');
});

test('json patch: A.13 invalid operation', (t) => {
  // A.13's duplicate "op" member is lost by JSON.parse; an unknown op is the equivalent failure.
  t.throws(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'bogus', path: '/baz', value: 'qux' }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch({ foo: 'bar' }, { op: 'add', path: '/baz', value: 'qux' }), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz' }]), { instanceOf: PatchError });
});

test('json patch: A.14 ~ escape ordering', (t) => {
  const doc = { '/': 9, '~1': 10 };
  t.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
  t.deepEqual(applyJsonPatch(doc, [{ op: 'replace', path: '/~1', value: 8 }]), { '/': 8, '~1': 10 });
});

test('json patch: A.15 comparing strings and numbers', (t) => {
  const err = t.throws(() => applyJsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]), {
    instanceOf: PatchError,
  });
  t.is(err?.message, 'testing value /~01 failed');
});

test('json patch: A.16 adding an array value', (t) => {
  t.deepEqual(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]), {
    foo: ['bar', ['abc', 'def']],
  });
});

test('json patch: Kubernetes-style error messages', (t) => {
  const deploy = { spec: { replicas: 2 } };
  t.is(
    t.throws(() => applyJsonPatch(deploy, [{ op: 'replace', path: '/spec/foo', value: 1 }]))?.message,
    'replace operation does not apply: doc is missing path: "/spec/foo"',
  );
  t.is(t.throws(() => applyJsonPatch(deploy, [{ op: 'test', path: '/spec/replicas', value: 3 }]))?.message, 'testing value /spec/replicas failed');
  t.is(
    t.throws(() => applyJsonPatch(deploy, [{ op: 'remove', path: '/spec/template' }]))?.message,
    'remove operation does not apply: doc is missing path: "/spec/template"',
  );
  t.is(
    t.throws(() => applyJsonPatch(deploy, [{ op: 'copy', from: '/spec/x', path: '/spec/y' }]))?.message,
    'copy operation does not apply: doc is missing from path: "/spec/x"',
  );
  t.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/2', value: 1 }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/01' }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]), { instanceOf: PatchError });
  t.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'add', path: 'a', value: 1 }]), { instanceOf: PatchError });
});

test('json patch: copy, whole-document replace, and no mutation on failure', (t) => {
  const doc = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a' }] } };
  const copy = clone(doc);
  const result = applyJsonPatch(doc, [
    { op: 'copy', from: '/metadata/labels', path: '/spec/selector' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'b' } },
    { op: 'replace', path: '/spec/containers/0/name', value: 'a2' },
  ]);
  t.deepEqual(result, { metadata: { labels: { app: 'web' } }, spec: { selector: { app: 'web' }, containers: [{ name: 'a2' }, { name: 'b' }] } });
  t.throws(() => applyJsonPatch(doc, [{ op: 'remove', path: '/metadata' }, { op: 'test', path: '/x', value: 1 }]));
  t.deepEqual(doc, copy);
  t.deepEqual(applyJsonPatch(doc, [{ op: 'replace', path: '', value: [1] }]), [1]);
});

// ---------------------------------------------------------------------------
// Strategic merge patch

function deployment(containers: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
    },
  };
}

function containersOf(obj: unknown): Array<Record<string, unknown>> {
  return (obj as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }).spec.template.spec.containers;
}

function podSpecPatch(spec: Record<string, unknown>): Record<string, unknown> {
  return { spec: { template: { spec } } };
}

test('strategic: containers merge by name (change the image of one of two)', (t) => {
  const original = deployment([
    { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] },
    { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
  ]);
  const copy = clone(original);
  const patch = podSpecPatch({ containers: [{ name: 'sidecar', image: 'busybox:1.36' }] });
  const result = applyStrategicMergePatch(original, patch);
  t.deepEqual(containersOf(result), [
    { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] },
    { name: 'sidecar', image: 'busybox:1.36', args: ['sleep', '3600'] },
  ]);
  t.deepEqual(original, copy, 'original not mutated');
});

test('strategic: a new container goes first, as in the kubectl patch docs', (t) => {
  const original = deployment([{ name: 'patch-demo-ctr', image: 'nginx' }]);
  const result = applyStrategicMergePatch(original, podSpecPatch({ containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] }));
  t.deepEqual(containersOf(result), [
    { name: 'patch-demo-ctr-2', image: 'redis' },
    { name: 'patch-demo-ctr', image: 'nginx' },
  ]);
});

test('strategic: env merges by name, nulls delete fields inside an element', (t) => {
  const original = deployment([
    { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', valueFrom: { fieldRef: { fieldPath: 'x' } } }] },
  ]);
  const patch = podSpecPatch({
    containers: [{ name: 'web', env: [{ name: 'B', value: '20' }, { name: 'C', valueFrom: null, value: '3' }] }],
  });
  t.deepEqual(containersOf(applyStrategicMergePatch(original, patch))[0].env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '20' },
    { name: 'C', value: '3' },
  ]);
});

test('strategic: service ports merge by port (add and remove a port)', (t) => {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
    },
  };
  const added = applyStrategicMergePatch(svc, { spec: { ports: [{ name: 'metrics', port: 9090 }, { port: 80, targetPort: 8081 }] } });
  t.deepEqual((added as typeof svc).spec.ports, [
    { name: 'metrics', port: 9090 },
    { name: 'http', port: 80, targetPort: 8081, protocol: 'TCP' },
    { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
  ]);
  const removed = applyStrategicMergePatch(svc, { spec: { ports: [{ $patch: 'delete', port: 443 }] } });
  t.deepEqual(removed, { ...svc, spec: { clusterIP: '10.96.0.10', ports: [svc.spec.ports[0]] } });
});

test('strategic: container ports merge by containerPort', (t) => {
  const original = deployment([{ name: 'web', image: 'nginx', ports: [{ containerPort: 80, name: 'http' }] }]);
  const patch = podSpecPatch({ containers: [{ name: 'web', ports: [{ containerPort: 80, protocol: 'TCP' }] }] });
  t.deepEqual(containersOf(applyStrategicMergePatch(original, patch))[0].ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
});

test('strategic: $patch: delete removes a keyed element', (t) => {
  const original = deployment([{ name: 'web', image: 'nginx' }, { name: 'sidecar', image: 'busybox' }]);
  const patch = podSpecPatch({ containers: [{ name: 'sidecar', $patch: 'delete' }] });
  t.deepEqual(containersOf(applyStrategicMergePatch(original, patch)), [{ name: 'web', image: 'nginx' }]);
});

test('strategic: $patch: delete on a map removes it', (t) => {
  const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
  t.deepEqual(applyStrategicMergePatch(original, { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } }), {
    spec: { strategy: { type: 'RollingUpdate' } },
  });
});

test('strategic: $setElementOrder orders the merged list (normalizeElementOrder)', (t) => {
  const original = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
  const reordered = applyStrategicMergePatch(original, podSpecPatch({ '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] }));
  t.deepEqual(containersOf(reordered).map((c) => c.name), ['b', 'a']);

  const added = applyStrategicMergePatch(
    original,
    podSpecPatch({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }, { name: 'b' }], containers: [{ name: 'c', image: 'c' }] }),
  );
  t.deepEqual(containersOf(added), [{ name: 'a', image: 'a' }, { name: 'c', image: 'c' }, { name: 'b', image: 'b' }]);

  // Server-only elements (not named in the order) keep their place relative to the live list.
  const live = deployment([{ name: 'a' }, { name: 'injected' }, { name: 'b' }]);
  const withServerOnly = applyStrategicMergePatch(live, podSpecPatch({ '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] }));
  t.deepEqual(containersOf(withServerOnly).map((c) => c.name), ['injected', 'b', 'a']);
  t.false(JSON.stringify(withServerOnly).includes('$setElementOrder'));

  // The directive never leaks, also where the list is new.
  const fresh = applyStrategicMergePatch({}, { spec: { '$setElementOrder/finalizers': ['x'], finalizers: ['x'] } });
  t.deepEqual(fresh, { spec: { finalizers: ['x'] } });

  t.throws(
    () => applyStrategicMergePatch(original, podSpecPatch({ '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'z' }] })),
    { instanceOf: PatchError },
  );
});

test('strategic: finalizers merge as a set; $deleteFromPrimitiveList removes values', (t) => {
  const original = { metadata: { name: 'x', finalizers: ['a', 'b', 'c'] } };
  t.deepEqual(applyStrategicMergePatch(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } }), {
    metadata: { name: 'x', finalizers: ['a', 'c'] },
  });
  t.deepEqual(applyStrategicMergePatch(original, { metadata: { finalizers: ['b', 'd'] } }), {
    metadata: { name: 'x', finalizers: ['a', 'b', 'd', 'c'] },
  });
  t.deepEqual(
    applyStrategicMergePatch(original, {
      metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
    }),
    { metadata: { name: 'x', finalizers: ['c', 'a'] } },
  );
  t.throws(() => applyStrategicMergePatch(original, { metadata: { '$deleteFromPrimitiveList/finalizers': 'b' } }), {
    instanceOf: PatchError,
  });
});

test('strategic: $patch: replace on a map replaces it', (t) => {
  const original = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { selector: { app: 'web', tier: 'fe' } } };
  const result = applyStrategicMergePatch(original, { spec: { selector: { $patch: 'replace', app: 'api' } } });
  t.deepEqual(result, { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { selector: { app: 'api' } } });
});

test('strategic: $patch: replace as a list element replaces the list', (t) => {
  const original = deployment([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]);
  const result = applyStrategicMergePatch(original, podSpecPatch({ containers: [{ name: 'c', image: 'c' }, { $patch: 'replace' }] }));
  t.deepEqual(containersOf(result), [{ name: 'c', image: 'c' }]);
});

test('strategic: $retainKeys clears fields not listed', (t) => {
  const original = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } };
  t.deepEqual(applyStrategicMergePatch(original, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }), {
    spec: { strategy: { type: 'Recreate' } },
  });
  t.throws(() => applyStrategicMergePatch(original, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }), {
    instanceOf: PatchError,
  });
});

test('strategic: atomic lists are replaced', (t) => {
  const original = deployment([{ name: 'web', image: 'nginx', args: ['a', 'b'], command: ['/bin/sh'] }]);
  (original.spec as { template: { spec: Record<string, unknown> } }).template.spec.tolerations = [
    { key: 'dedicated', effect: 'NoSchedule', value: 'test-team' },
  ];
  const patch = podSpecPatch({ tolerations: [{ key: 'disktype', value: 'ssd' }], containers: [{ name: 'web', args: ['c'] }] });
  const result = applyStrategicMergePatch(original, patch) as { spec: { template: { spec: Record<string, unknown> } } };
  t.deepEqual(result.spec.template.spec.tolerations, [{ key: 'disktype', value: 'ssd' }]);
  t.deepEqual(containersOf(result)[0], { name: 'web', image: 'nginx', args: ['c'], command: ['/bin/sh'] });
});

test('strategic: other keyed lists from the table', (t) => {
  const node = { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }] } };
  t.deepEqual(applyStrategicMergePatch(node, { status: { addresses: [{ type: 'Hostname', address: 'n2' }] } }), {
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n2' }] },
  });
  const pod = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Scheduled', status: 'True' }] } };
  t.deepEqual(applyStrategicMergePatch(pod, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }), {
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Scheduled', status: 'True' }] },
  });
  const mounts = { volumeMounts: [{ mountPath: '/a', name: 'x' }] };
  t.deepEqual(applyStrategicMergePatch(mounts, { volumeMounts: [{ mountPath: '/a', readOnly: true }] }), {
    volumeMounts: [{ mountPath: '/a', name: 'x', readOnly: true }],
  });
  // Endpoint addresses (no `type`) are atomic.
  const ep = { addresses: [{ ip: '10.0.0.1' }] };
  t.deepEqual(applyStrategicMergePatch(ep, { addresses: [{ ip: '10.0.0.2' }] }), { addresses: [{ ip: '10.0.0.2' }] });
});

test('strategic: malformed directives throw PatchError', (t) => {
  const original = deployment([{ name: 'web', image: 'nginx' }]);
  t.throws(() => applyStrategicMergePatch(original, { spec: { $patch: 'bogus' } }), { instanceOf: PatchError });
  t.throws(() => applyStrategicMergePatch(original, podSpecPatch({ containers: [{ $patch: 'delete' }] })), { instanceOf: PatchError });
  t.throws(() => applyStrategicMergePatch(original, podSpecPatch({ containers: [{ image: 'x' }] })), { instanceOf: PatchError });
  t.throws(() => applyStrategicMergePatch(original, podSpecPatch({ '$setElementOrder/containers': 'web' })), { instanceOf: PatchError });
  t.throws(() => applyStrategicMergePatch(original, [1]), { instanceOf: PatchError });
});

test('strategic: directives and nulls in new subtrees do not leak', (t) => {
  const result = applyStrategicMergePatch({ spec: {} }, {
    spec: { template: { spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: null }] }, { name: 'b', $patch: 'delete' }] } } },
    metadata: { annotations: { $patch: 'replace', a: 'b', c: null } },
  });
  t.deepEqual(result, { spec: { template: { spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E' }] }] } } }, metadata: { annotations: { a: 'b' } } });
});

// ---------------------------------------------------------------------------
// Three-way merge patch (kubectl apply)

function webDeployment(opts: { replicas?: number; ports?: number[]; labels?: Record<string, string>; image?: string } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: opts.labels ?? { app: 'web', tier: 'frontend' } },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: opts.image ?? 'nginx:1.25', ports: (opts.ports ?? [80, 443]).map((containerPort) => ({ containerPort })) },
          ],
        },
      },
    },
  };
}

/** What the live object looks like after the server defaulted and others touched it. */
function live(applied: ReturnType<typeof webDeployment>): Record<string, unknown> {
  const obj = clone(applied) as Record<string, any>;
  obj.metadata.uid = 'd9607e19-f88f-11e6-a518-42010a800195';
  obj.metadata.labels['added-by'] = 'someone-else';
  obj.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } };
  const container = obj.spec.template.spec.containers[0];
  container.imagePullPolicy = 'IfNotPresent';
  for (const port of container.ports) port.protocol = 'TCP';
  obj.status = { replicas: 2, readyReplicas: 2 };
  return obj;
}

/** Applies the kubectl apply patch and checks the required property. */
function apply(t: import('ava').ExecutionContext, last: unknown, modified: unknown, current: unknown) {
  const patch = createThreeWayMergePatch(last, modified, current);
  const result = applyStrategicMergePatch(current, patch) as Record<string, any>;
  t.is(result.metadata.uid, (current as any).metadata.uid, 'metadata.uid kept');
  t.deepEqual(result.status, (current as any).status, 'status kept');
  t.deepEqual(result.spec.strategy, (current as any).spec.strategy, 'defaulted spec.strategy kept');
  t.false(JSON.stringify(result).includes('$'), 'no directive leaks into the object');
  return { patch, result };
}

test('three-way (a): a port removed from the file disappears', (t) => {
  const last = webDeployment();
  const modified = webDeployment({ ports: [80] });
  const current = live(last);
  const { patch, result } = apply(t, last, modified, current);
  t.deepEqual(patch, {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [{ name: 'web', '$setElementOrder/ports': [{ containerPort: 80 }], ports: [{ $patch: 'delete', containerPort: 443 }] }],
        },
      },
    },
  });
  t.deepEqual(containersOf(result)[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  t.is(containersOf(result)[0].imagePullPolicy, 'IfNotPresent');
});

test('three-way: a Service port removed from the file disappears, clusterIP kept', (t) => {
  const svc = (ports: number[]) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: ports.map((port) => ({ port, targetPort: port + 8000 })) },
  });
  const last = svc([80, 443]);
  const current = clone(last) as Record<string, any>;
  current.spec.clusterIP = '10.96.12.34';
  current.spec.type = 'ClusterIP';
  for (const p of current.spec.ports) p.protocol = 'TCP';
  const patch = createThreeWayMergePatch(last, svc([80]), current);
  t.deepEqual(patch, { spec: { '$setElementOrder/ports': [{ port: 80 }], ports: [{ $patch: 'delete', port: 443 }] } });
  t.deepEqual(applyStrategicMergePatch(current, patch), {
    ...current,
    spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], clusterIP: '10.96.12.34', type: 'ClusterIP' },
  });
});

test('three-way (b): changing replicas sends only replicas', (t) => {
  const last = webDeployment();
  const modified = webDeployment({ replicas: 5 });
  const { patch, result } = apply(t, last, modified, live(last));
  t.deepEqual(patch, { spec: { replicas: 5 } });
  t.is(result.spec.replicas, 5);
});

test('three-way (c): label removed from the file is removed, label added by someone else is kept', (t) => {
  const last = webDeployment();
  const modified = webDeployment({ labels: { app: 'web', env: 'prod' } });
  const { patch, result } = apply(t, last, modified, live(last));
  t.deepEqual(patch, { metadata: { labels: { tier: null, env: 'prod' } } });
  t.deepEqual(result.metadata.labels, { app: 'web', 'added-by': 'someone-else', env: 'prod' });
});

test('three-way (d): an unchanged file gives {}', (t) => {
  const last = webDeployment();
  t.deepEqual(createThreeWayMergePatch(last, clone(last), live(last)), {});
});

test('three-way: changed image and a container added by someone else', (t) => {
  const last = webDeployment();
  const current = live(last) as Record<string, any>;
  current.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'proxy' });
  const modified = webDeployment({ image: 'nginx:1.27' });
  const { patch, result } = apply(t, last, modified, current);
  t.deepEqual(patch, {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  });
  t.deepEqual(containersOf(result).map((c) => [c.name, c.image]), [['web', 'nginx:1.27'], ['istio-proxy', 'proxy']]);
});

test('three-way: finalizers, atomic args and a removed field', (t) => {
  const last = { metadata: { name: 'x', finalizers: ['a', 'b'] }, spec: { args: ['1'], paused: true } };
  const modified = { metadata: { name: 'x', finalizers: ['a', 'c'] }, spec: { args: ['1', '2'] } };
  const current = { metadata: { name: 'x', uid: 'u', finalizers: ['a', 'b', 'server'] }, spec: { args: ['1'], paused: true } };
  const patch = createThreeWayMergePatch(last, modified, current);
  t.deepEqual(patch, {
    metadata: { '$deleteFromPrimitiveList/finalizers': ['b'], '$setElementOrder/finalizers': ['a', 'c'], finalizers: ['c'] },
    spec: { paused: null, args: ['1', '2'] },
  });
  t.deepEqual(applyStrategicMergePatch(current, patch), {
    metadata: { name: 'x', uid: 'u', finalizers: ['a', 'c', 'server'] },
    spec: { args: ['1', '2'] },
  });
});

test('three-way: a whole container removed from the file', (t) => {
  const two = webDeployment() as Record<string, any>;
  two.spec.template.spec.containers.push({ name: 'sidecar', image: 'busybox' });
  const one = webDeployment();
  const { patch, result } = apply(t, two, one, live(two as ReturnType<typeof webDeployment>));
  t.deepEqual(patch, {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
  });
  t.deepEqual(containersOf(result).map((c) => c.name), ['web']);
});

test('three-way: inputs are not mutated', (t) => {
  const last = webDeployment();
  const modified = webDeployment({ ports: [80], replicas: 3 });
  const current = live(last);
  const copies = clone([last, modified, current]);
  applyStrategicMergePatch(current, createThreeWayMergePatch(last, modified, current));
  t.deepEqual([last, modified, current], copies);
});

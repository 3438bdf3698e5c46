import test from 'ava';
import {
  SelectorError,
  fieldErrorString,
  formatLabels,
  formatSelector,
  matchesMap,
  matchesSelector,
  parseLabelSelector,
  selectorFromLabelSelector,
  selectorMapMatches,
  validateLabels,
  type Selector,
} from '../../api/labels.js';

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function parseError(text: string): string {
  const err = (() => {
    try {
      parseLabelSelector(text);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(err instanceof SelectorError)) throw new Error(`expected a SelectorError for ${JSON.stringify(text)}`);
  return err.message;
}

// ---- parsing ----------------------------------------------------------------

test('parses every operator', (t) => {
  t.deepEqual(parseLabelSelector('a=b'), [{ key: 'a', operator: '=', values: ['b'] }]);
  t.deepEqual(parseLabelSelector('a==b'), [{ key: 'a', operator: '==', values: ['b'] }]);
  t.deepEqual(parseLabelSelector('a!=b'), [{ key: 'a', operator: '!=', values: ['b'] }]);
  t.deepEqual(parseLabelSelector('a in (x, y)'), [{ key: 'a', operator: 'In', values: ['x', 'y'] }]);
  t.deepEqual(parseLabelSelector('a notin (x)'), [{ key: 'a', operator: 'NotIn', values: ['x'] }]);
  t.deepEqual(parseLabelSelector('a'), [{ key: 'a', operator: 'Exists', values: [] }]);
  t.deepEqual(parseLabelSelector('!a'), [{ key: 'a', operator: 'DoesNotExist', values: [] }]);
  t.deepEqual(parseLabelSelector('a>5'), [{ key: 'a', operator: 'Gt', values: ['5'] }]);
  t.deepEqual(parseLabelSelector('a<10'), [{ key: 'a', operator: 'Lt', values: ['10'] }]);
});

test('empty and blank selectors match everything', (t) => {
  t.deepEqual(parseLabelSelector(''), []);
  t.deepEqual(parseLabelSelector('  \t '), []);
});

test('tolerates whitespace and sorts requirements by key', (t) => {
  t.deepEqual(parseLabelSelector('  tier in ( b , a ) ,  app = web , !legacy '), [
    { key: 'app', operator: '=', values: ['web'] },
    { key: 'legacy', operator: 'DoesNotExist', values: [] },
    { key: 'tier', operator: 'In', values: ['a', 'b'] },
  ]);
});

test('set values are sorted, deduplicated, and may be empty', (t) => {
  t.deepEqual(parseLabelSelector('x in (foo,,baz),y,z notin ()'), [
    { key: 'x', operator: 'In', values: ['', 'baz', 'foo'] },
    { key: 'y', operator: 'Exists', values: [] },
    { key: 'z', operator: 'NotIn', values: [''] },
  ]);
  t.deepEqual(parseLabelSelector('a in (b,b,a)')[0].values, ['a', 'b']);
  t.deepEqual(parseLabelSelector('a in (b,)')[0].values, ['', 'b']);
  t.deepEqual(parseLabelSelector('a in (,b)')[0].values, ['', 'b']);
});

test('an exact match may have an empty value', (t) => {
  t.deepEqual(parseLabelSelector('a='), [{ key: 'a', operator: '=', values: [''] }]);
  t.deepEqual(parseLabelSelector('a!=,b'), [
    { key: 'a', operator: '!=', values: [''] },
    { key: 'b', operator: 'Exists', values: [] },
  ]);
});

test('in and notin are identifiers where keys and values are expected', (t) => {
  t.deepEqual(parseLabelSelector('in in (in, notin)'), [{ key: 'in', operator: 'In', values: ['in', 'notin'] }]);
  t.deepEqual(parseLabelSelector('notin=in'), [{ key: 'notin', operator: '=', values: ['in'] }]);
});

test('keys may carry a DNS subdomain prefix', (t) => {
  t.deepEqual(parseLabelSelector('app.kubernetes.io/name=web'), [
    { key: 'app.kubernetes.io/name', operator: '=', values: ['web'] },
  ]);
});

test('syntax errors carry Kubernetes messages', (t) => {
  t.is(parseError('a=b c'), "found 'c', expected: ',' or 'end of string'");
  t.is(parseError('a,'), "found '', expected: identifier after ','");
  t.is(parseError(',a'), "found ',', expected: !, identifier, or 'end of string'");
  t.is(parseError('!a=b'), "found '=', expected: ',' or 'end of string'");
  t.is(parseError('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  t.is(parseError('a in b'), "unable to parse requirement: found 'b' expected: '('");
  t.is(parseError('a in (b'), "unable to parse requirement: found '', expected: ',' or ')'");
  t.is(parseError('a in (b c)'), "unable to parse requirement: found 'c', expected: ',' or ')'");
  t.is(parseError('a in (=)'), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  t.is(parseError('a in (,=)'), "unable to parse requirement: found '=', expected: ',', or identifier");
  t.is(parseError('a===b'), "unable to parse requirement: found '=', expected: identifier");
  t.is(parseError('!'), "unable to parse requirement: found '', expected: identifier");
});

test('invalid keys and values are rejected with validation messages', (t) => {
  t.is(parseError('app: nginx'), `unable to parse requirement: <nil>: Invalid value: "app:": ${NAME_PART_MSG}`);
  t.is(
    parseError('a/b/c=d'),
    'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ' +
      NAME_PART_MSG.slice('name part '.length) +
      " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  );
  t.is(
    parseError('app=demo-{nginx}'),
    `unable to parse requirement: values[0][app]: Invalid value: "demo-{nginx}": ${LABEL_VALUE_MSG}`,
  );
  t.is(
    parseError(`a=${'x'.repeat(63)}-`),
    `unable to parse requirement: values[0][a]: Invalid value: "${'x'.repeat(63)}-": must be no more than 63 characters; ${LABEL_VALUE_MSG}`,
  );
});

test('Gt and Lt need an integer', (t) => {
  t.is(
    parseError('environment>qa'),
    `unable to parse requirement: values[0]: Invalid value: "qa": for 'Gt', 'Lt' operators, the value must be an integer`,
  );
  t.is(
    parseError('a<'),
    `unable to parse requirement: values[0]: Invalid value: "": for 'Gt', 'Lt' operators, the value must be an integer`,
  );
});

// ---- matching ---------------------------------------------------------------

const labels = { app: 'web', tier: 'front', replicas: '3' };
const m = (sel: string, l: Record<string, string> | undefined = labels) => matchesSelector(parseLabelSelector(sel), l);

test('= and == require the key with that value', (t) => {
  t.true(m('app=web'));
  t.true(m('app==web'));
  t.false(m('app=db'));
  t.false(m('missing=web'));
  t.false(m('missing='));
});

test('!= matches a different value or a missing key', (t) => {
  t.true(m('app!=db'));
  t.false(m('app!=web'));
  t.true(m('missing!=x'));
});

test('in and notin', (t) => {
  t.true(m('tier in (front, back)'));
  t.false(m('tier in (back)'));
  t.false(m('missing in (x)'));
  t.true(m('tier notin (back)'));
  t.false(m('tier notin (front)'));
  t.true(m('missing notin (x)'));
});

test('exists and does not exist', (t) => {
  t.true(m('app'));
  t.false(m('missing'));
  t.true(m('!missing'));
  t.false(m('!app'));
  t.true(m('x', { x: '' }));
});

test('gt and lt compare integers and never match a missing or non-numeric label', (t) => {
  t.true(m('replicas>2'));
  t.false(m('replicas>3'));
  t.true(m('replicas<4'));
  t.false(m('replicas<3'));
  t.false(m('missing>1'));
  t.false(m('app>1'));
  t.true(m('big>9223372036854775806', { big: '9223372036854775807' }));
});

test('requirements are ANDed; no labels at all', (t) => {
  t.true(m('app=web,tier in (front),!legacy'));
  t.false(m('app=web,tier=back'));
  t.true(matchesSelector(parseLabelSelector(''), undefined));
  t.true(matchesSelector(parseLabelSelector('!app,x notin (y)'), undefined));
  t.false(matchesSelector(parseLabelSelector('app'), null));
});

test('inherited object properties are not labels', (t) => {
  t.false(m('constructor', {}));
  t.true(m('!toString', {}));
});

// ---- metav1.LabelSelector ---------------------------------------------------

test('nil LabelSelector matches nothing, empty matches everything', (t) => {
  t.is(selectorFromLabelSelector(null), null);
  t.is(selectorFromLabelSelector(undefined), null);
  t.false(matchesSelector(selectorFromLabelSelector(undefined), labels));
  t.deepEqual(selectorFromLabelSelector({}), []);
  t.deepEqual(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }), []);
  t.true(matchesSelector(selectorFromLabelSelector({}), labels));
  t.true(matchesSelector(selectorFromLabelSelector({}), undefined));
});

test('matchLabels and set-based matchExpressions', (t) => {
  const sel = selectorFromLabelSelector({
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'staging'] },
      { key: 'track', operator: 'NotIn', values: ['canary'] },
      { key: 'app', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  t.is(formatSelector(sel), 'app=web,app,env in (prod,staging),!legacy,tier=front,track notin (canary)');
  t.deepEqual(
    sel?.map((r) => r.key),
    ['app', 'app', 'env', 'legacy', 'tier', 'track'],
  );
  t.true(matchesSelector(sel, { app: 'web', tier: 'front', env: 'prod' }));
  t.false(matchesSelector(sel, { app: 'web', tier: 'front', env: 'dev' }));
  t.false(matchesSelector(sel, { app: 'web', tier: 'front', env: 'prod', track: 'canary' }));
  t.false(matchesSelector(sel, { app: 'web', tier: 'front', env: 'prod', legacy: 'yes' }));
});

test('LabelSelector errors', (t) => {
  const err = (ls: Parameters<typeof selectorFromLabelSelector>[0]) =>
    t.throws(() => selectorFromLabelSelector(ls), { instanceOf: SelectorError })?.message;
  t.is(err({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), '"Gt" is not a valid label selector operator');
  t.is(
    err({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
  );
  t.is(
    err({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
  );
  t.is(err({ matchLabels: { 'bad key': 'v' } }), `key: Invalid value: "bad key": ${NAME_PART_MSG}`);
  t.is(
    err({ matchExpressions: [{ key: '-a', operator: 'In', values: ['b c'] }] }),
    `[key: Invalid value: "-a": ${NAME_PART_MSG}, values[0][-a]: Invalid value: "b c": ${LABEL_VALUE_MSG}]`,
  );
});

// ---- map selectors ----------------------------------------------------------

test('matchesMap: every pair must match; empty selects everything', (t) => {
  t.true(matchesMap({ app: 'web' }, labels));
  t.true(matchesMap({ app: 'web', tier: 'front' }, labels));
  t.false(matchesMap({ app: 'web', tier: 'back' }, labels));
  t.false(matchesMap({ app: 'web' }, undefined));
  t.true(matchesMap({}, labels));
  t.true(matchesMap(undefined, labels));
});

test('selectorMapMatches: an empty or missing spec.selector selects nothing', (t) => {
  t.true(selectorMapMatches({ app: 'web' }, labels));
  t.false(selectorMapMatches({ app: 'db' }, labels));
  t.false(selectorMapMatches({}, labels));
  t.false(selectorMapMatches(undefined, labels));
  t.false(selectorMapMatches(null, labels));
});

// ---- formatting -------------------------------------------------------------

test('formatSelector prints the canonical form', (t) => {
  t.is(formatSelector(parseLabelSelector('tier in (b, a),app=nginx')), 'app=nginx,tier in (a,b)');
  t.is(
    formatSelector(parseLabelSelector('a==1,b!=2,c notin (x),d,!e,f>1,g<2')),
    'a==1,b!=2,c notin (x),d,!e,f>1,g<2',
  );
  t.is(formatSelector(parseLabelSelector('x in (foo,,baz),z notin ()')), 'x in (,baz,foo),z notin ()');
  t.is(formatSelector([]), '');
  t.is(formatSelector(null), '');
  const unsorted: Selector = [{ key: 'a', operator: 'In', values: ['z', 'y'] }];
  t.is(formatSelector(unsorted), 'a in (y,z)');
  t.deepEqual(unsorted[0].values, ['z', 'y']);
});

test('formatted selectors parse back to the same selector', (t) => {
  for (const text of ['app=nginx,tier in (a,b)', 'a!=b,!c,d notin (e,f),g>3', 'x in (,y)']) {
    const sel = parseLabelSelector(text);
    t.deepEqual(parseLabelSelector(formatSelector(sel)), sel);
  }
});

test('formatLabels: sorted a=b pairs, <none> when empty', (t) => {
  t.is(formatLabels({ tier: 'front', app: 'web' }), 'app=web,tier=front');
  t.is(formatLabels({ a: '' }), 'a=');
  t.is(formatLabels({}), '<none>');
  t.is(formatLabels(undefined), '<none>');
});

// ---- validation -------------------------------------------------------------

test('validateLabels accepts good labels', (t) => {
  t.deepEqual(validateLabels({ app: 'web', 'app.kubernetes.io/name': 'My_App.1', empty: '' }, 'metadata.labels'), []);
  t.deepEqual(validateLabels(undefined, 'metadata.labels'), []);
  t.deepEqual(validateLabels(null, 'metadata.labels'), []);
});

test('validateLabels reports bad keys and values as Kubernetes does', (t) => {
  const errs = validateLabels({ 'bad key': 'ok', good: 'bad value', 'Example.com/x': 'v' }, 'metadata.labels');
  t.deepEqual(errs, [
    {
      field: 'metadata.labels',
      type: 'FieldValueInvalid',
      value: 'Example.com/x',
      message:
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    },
    { field: 'metadata.labels', type: 'FieldValueInvalid', value: 'bad key', message: NAME_PART_MSG },
    { field: 'metadata.labels', type: 'FieldValueInvalid', value: 'bad value', message: LABEL_VALUE_MSG },
  ]);
  t.is(fieldErrorString(errs[1]), `metadata.labels: Invalid value: "bad key": ${NAME_PART_MSG}`);
});

test('validateLabels: lengths, empty parts, too many slashes', (t) => {
  const msgs = (l: Record<string, string>) => validateLabels(l, 'metadata.labels').map((e) => e.message);
  t.deepEqual(msgs({ [`${'a'.repeat(64)}`]: 'v' }), ['name part must be no more than 63 characters']);
  t.deepEqual(msgs({ k: 'v'.repeat(64) }), ['must be no more than 63 characters']);
  t.deepEqual(msgs({ [`${'a'.repeat(254)}/x`]: 'v' }), ['prefix part must be no more than 253 characters']);
  t.deepEqual(msgs({ '/x': 'v' }), ['prefix part must be non-empty']);
  t.deepEqual(msgs({ 'x/': 'v' }), ['name part must be non-empty', NAME_PART_MSG]);
  t.is(msgs({ 'a/b/c': 'v' })[0].startsWith('a qualified name must consist of'), true);
});

test('validateLabels rejects non-maps and non-string values', (t) => {
  t.is(validateLabels('x', 'metadata.labels')[0].type, 'FieldValueTypeInvalid');
  t.is(validateLabels(['x'], 'metadata.labels')[0].type, 'FieldValueTypeInvalid');
  t.deepEqual(
    validateLabels({ a: 1 }, 'metadata.labels').map((e) => [e.field, e.type]),
    [['metadata.labels[a]', 'FieldValueTypeInvalid']],
  );
});

// The lab engine's pure parts: index.json checking (Killercoda's shape),
// Markdown for a terminal, the progress file, and what a reset deletes.
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError, parseLabJson, validateLab } from '../../cli/lab/schema.js';
import { codeBlocks, renderMarkdown } from '../../cli/lab/markdown.js';
import { parseProgress, progressMark, ProgressStore } from '../../cli/lab/progress.js';
import { baselineMatches, labObjects, objectsToDelete, type ObjectRef } from '../../cli/lab/reset.js';
import { failureReason } from '../../cli/lab/scripts.js';
import { findByPlural } from '../../api/resources.js';

const good = () => ({
  title: 'A lab',
  description: 'one line',
  details: {
    intro: { text: 'intro.md', background: 'setup.sh' },
    steps: [
      { title: 'One', text: 'step1/text.md', verify: 'step1/verify.sh', hint: 'step1/hint.md', solution: 'step1/solution.sh' },
      { title: 'Two', text: 'step2/text.md', verify: 'step2/verify.sh', background: 'step2/setup.sh' },
    ],
    finish: { text: 'finish.md' },
  },
  backend: { imageid: 'kubernetes-kubeadm-2nodes' },
  interface: { layout: 'ide' },
});

test('a Killercoda-shaped index.json: background is setup, imageid gives the node count, unknown fields are ignored', (t) => {
  const spec = validateLab(good(), 'labs/a/index.json');
  t.is(spec.nodes, 2);
  t.is(spec.intro.setup, 'setup.sh');
  t.is(spec.steps[1].setup, 'step2/setup.sh');
  t.is(spec.steps[0].solution, 'step1/solution.sh');
  t.deepEqual(spec.timeouts, { verify: 60, setup: 300, solution: 300 });
  const one = { ...good(), backend: { nodes: 1 }, timeouts: { verify: 5 } };
  t.is(validateLab(one, 'f').nodes, 1);
  t.is(validateLab(one, 'f').timeouts.verify, 5);
  t.is(validateLab(one, 'f').storage, undefined, 'no storage asked: either will do');
  t.is(validateLab({ ...good(), backend: { nodes: 1, storage: 'etcd' } }, 'f').storage, 'etcd');
  t.is(validateLab({ ...good(), backend: { nodes: 1, storage: 'level' } }, 'f').storage, undefined);
});

test('a malformed index.json is refused with the file and the field', (t) => {
  const cases: [(d: any) => void, RegExp][] = [
    [(d) => delete d.title, /^labs\/a\/index\.json: title: must be a non-empty string, not missing$/],
    [(d) => (d.details.steps = {}), /details\.steps: must be a list of steps, not an object/],
    [(d) => (d.details.steps = []), /details\.steps: must have at least one step/],
    [(d) => delete d.details.steps[1].verify, /details\.steps\[1\]\.verify: must be a non-empty string, not missing/],
    [(d) => (d.details.steps[0].text = 5), /details\.steps\[0\]\.text: must be a non-empty string, not number 5/],
    [(d) => (d.details.steps[0].solution = '../../etc/passwd'), /details\.steps\[0\]\.solution: must name a file inside the lab folder/],
    [(d) => (d.details.steps[1].setup = 'x.sh'), /details\.steps\[1\]\.setup: give setup or background, not both/],
    [(d) => (d.backend = { imageid: 'ubuntu' }), /backend\.imageid: "ubuntu" is not a Kubernetes backend/],
    [(d) => (d.backend = { nodes: 0 }), /backend\.nodes: must be a whole number from 1 to 10, not number 0/],
    [(d) => (d.backend = { nodes: 1, storage: 'mysql' }), /backend\.storage: "mysql" is not a storage mk8s knows \(etcd, or level for either\)/],
    [(d) => (d.timeouts = { check: 3 }), /timeouts\.check: is not a timeout mk8s knows/],
    [(d) => (d.details.finish = 'finish.md'), /details\.finish: must be an object/],
  ];
  for (const [mutate, re] of cases) {
    const d = good();
    mutate(d);
    const e = t.throws(() => validateLab(d, 'labs/a/index.json'), { instanceOf: LabError });
    t.regex(e!.message, re);
  }
  t.throws(() => parseLabJson('{ "title": ', 'labs/b/index.json'), { instanceOf: LabError, message: /^labs\/b\/index\.json: not valid JSON/ });
});

const md = `# Services

A **Service** gives pods a stable *virtual* IP. See [the docs](https://kubernetes.io/docs/concepts/services-networking/service/).

Apply it with \`kubectl apply\`:

\`\`\`sh
kubectl apply -f cluster_ip.yaml
kubectl get svc **not bold**
\`\`\`

- one
- two \`code\`

> a note
`;

test('Markdown for a pipe: plain text, headings underlined, commands indented and unchanged', (t) => {
  t.is(
    renderMarkdown(md, { color: false }),
    [
      'Services',
      '========',
      '',
      'A Service gives pods a stable virtual IP. See the docs (https://kubernetes.io/docs/concepts/services-networking/service/).',
      '',
      'Apply it with `kubectl apply`:',
      '',
      '    kubectl apply -f cluster_ip.yaml',
      '    kubectl get svc **not bold**',
      '',
      '  - one',
      '  - two `code`',
      '',
      '| a note',
      '',
    ].join('\n'),
  );
});

test('Markdown for a terminal: ANSI styles, code blocks untouched inside', (t) => {
  const out = renderMarkdown(md, { color: true });
  t.true(out.includes('\x1b[1m\x1b[4mServices\x1b[24m\x1b[22m'));
  t.true(out.includes('\x1b[1mService\x1b[22m'));
  t.true(out.includes('\x1b[3mvirtual\x1b[23m'));
  t.true(out.includes('\x1b[36mkubectl apply\x1b[39m'));
  t.true(out.includes('    \x1b[33mkubectl get svc **not bold**\x1b[39m'));
  t.true(out.includes('  • one'));
  t.deepEqual(codeBlocks(md), ['kubectl apply -f cluster_ip.yaml\nkubectl get svc **not bold**']);
});

test('progress: a corrupt file is reported and replaced, a damaged entry dropped, never a crash', (t) => {
  t.deepEqual(parseProgress(undefined), { state: { version: 1, labs: {} } });
  t.regex(parseProgress('{oops').warning!, /not valid JSON/);
  t.regex(parseProgress('[]').warning!, /not a progress file/);
  const ok = { dir: '/l/a', step: 1, done: [0], startedAt: 'x' };
  const r = parseProgress(JSON.stringify({ version: 1, current: 'b', labs: { a: ok, b: { dir: 3 } } }));
  t.deepEqual(r.state.labs, { a: ok });
  t.is(r.state.current, undefined, 'current points at a dropped lab');
  t.regex(r.warning!, /dropped unreadable progress of b/);

  const dir = mkdtempSync(join(tmpdir(), 'mk8s-progress-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'labs', 'progress.json');
  const store = new ProgressStore(path);
  const warnings: string[] = [];
  t.deepEqual(store.load((w) => warnings.push(w)), { version: 1, labs: {} });
  t.deepEqual(warnings, [], 'a missing file is a fresh start, not a warning');
  mkdirSync(join(dir, 'labs'));
  writeFileSync(path, '\0garbage');
  t.deepEqual(store.load((w) => warnings.push(w)), { version: 1, labs: {} });
  t.is(warnings.length, 1);
  t.regex(warnings[0], /was corrupt/);
  t.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, labs: {} }, 'replaced');
  store.save({ version: 1, current: 'a', labs: { a: ok } });
  t.deepEqual(store.load(), { version: 1, current: 'a', labs: { a: ok } });
  t.is(progressMark(undefined, 3, false), '·');
  t.is(progressMark(ok, 3, false), '◐');
  t.is(progressMark({ ...ok, done: [0, 1, 2] }, 3, false), '✓');
});

const ref = (plural: string, name: string, uid: string, o: { ns?: string; owners?: string[] } = {}): ObjectRef => ({
  key: `${plural}/${o.ns ?? ''}/${name}/${uid}`,
  uid,
  type: [findByPlural('', plural), findByPlural('apps', plural)].find(Boolean)!,
  namespace: o.ns,
  name,
  owners: o.owners ?? [],
});

test('reset deletes what came after the baseline: owners take what they own, namespaces their content', (t) => {
  const old = [ref('namespaces', 'default', 'u-ns'), ref('services', 'kubernetes', 'u-k', { ns: 'default' }), ref('replicasets', 'keep', 'u-rs', { ns: 'default' })];
  const baseline = new Set(old.map((r) => r.key));
  const now = [
    ...old,
    ref('pods', 'keep-x', 'u-p0', { ns: 'default', owners: ['u-rs'] }),
    ref('deployments', 'web', 'u-d', { ns: 'default' }),
    ref('replicasets', 'web-1', 'u-rs1', { ns: 'default', owners: ['u-d'] }),
    ref('pods', 'web-1-a', 'u-p1', { ns: 'default', owners: ['u-rs1'] }),
    ref('services', 'web', 'u-s', { ns: 'default' }),
    ref('namespaces', 'lab', 'u-ns2'),
    ref('services', 'db', 'u-s2', { ns: 'lab' }),
    ref('pods', 'coredns-x', 'u-p2', { ns: 'kube-system' }),
    ref('pods', 'lonely', 'u-p3', { ns: 'default', owners: ['u-gone'] }),
  ];
  t.deepEqual(
    labObjects(baseline, now).map((r) => r.name),
    ['web', 'web-1', 'web-1-a', 'web', 'lab', 'db', 'lonely'],
    'a baseline ReplicaSet\'s new pod and the system namespaces are not the lab\'s',
  );
  t.deepEqual(
    objectsToDelete(baseline, now).map((r) => `${r.type.plural}/${r.name}`),
    ['deployments/web', 'services/web', 'namespaces/lab', 'pods/lonely'],
  );
});

test('a failed check\'s reason is its last line of output, or what happened', (t) => {
  t.is(failureReason({ code: 1, output: 'Error from server\nService `web` has no endpoints\n\n', timedOut: false }, 60), 'Service `web` has no endpoints');
  t.is(failureReason({ code: 3, output: '', timedOut: false }, 60), 'the check failed (exit code 3) without saying why');
  t.is(failureReason({ code: 143, output: 'half', timedOut: true }, 7), 'the check did not finish within 7 s and was stopped');
});

test('a baseline from another cluster is recognised, and the cluster\'s own objects are never the lab\'s', (t) => {
  const before = [ref('namespaces', 'default', 'u-def'), ref('services', 'kubernetes', 'u-k', { ns: 'default' })];
  const remade = [ref('namespaces', 'default', 'u-def2'), ref('services', 'kubernetes', 'u-k2', { ns: 'default' }), ref('services', 'web', 'u-w', { ns: 'default' })];
  const baseline = new Set(before.map((r) => r.key));
  t.true(baselineMatches(baseline, before));
  t.false(baselineMatches(baseline, remade), 'mk8s down/up made the default namespace again');
  t.deepEqual(
    labObjects(baseline, remade).map((r) => r.name),
    ['web'],
    'even with a stale baseline, the default namespace and the kubernetes Service are not deleted',
  );
});

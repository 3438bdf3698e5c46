// Every lab of labs/, every step, on a real cluster, through the real
// `mk8s lab` command: a step's check fails with a reason before its solution
// runs (no check is a no-op), the solution runs, the check passes and the lab
// advances; at the end `mk8s lab reset` leaves nothing of the lab behind but
// what its setup makes again (objects, pods, containers). Labs that need the
// same node count share one cluster, cleaned between labs. Also: a
// Killercoda-shaped scenario written here runs with `mk8s lab run DIR`, a
// verify that hangs is stopped, and a malformed index.json is refused.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLabs, type Lab } from '../../cli/lab/engine.js';
import { leftovers, resetTo } from '../../cli/lab/reset.js';
import { R, startCluster, type ClusterParams, type TestCluster } from '../../testkit/cluster.js';
import { eventually } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';

const canRun = process.getuid?.() === 0 && (await run('docker', ['info'])).code === 0;
const serial = canRun ? test.serial : test.serial.skip;

/** A cluster per backend the labs ask for: node count, and etcd storage when a lab reads etcd. */
const clusterParams: Record<string, ClusterParams> = {
  '1': { name: 'lab1', nodes: 1, bridge: 'mk8slab1', nodeCidr: '172.31.218.0/24', podCidr: '10.218.0.0/16', serviceCidr: '10.118.0.0/16' },
  '2': { name: 'lab2', nodes: 2, bridge: 'mk8slab2', nodeCidr: '172.31.219.0/24', podCidr: '10.219.0.0/16', serviceCidr: '10.119.0.0/16' },
  '1/etcd': { name: 'labe', nodes: 1, bridge: 'mk8slab3', nodeCidr: '172.31.217.0/24', podCidr: '10.217.0.0/16', serviceCidr: '10.117.0.0/16', extra: ['--storage', 'etcd'] },
};

const clusters = new Map<string, TestCluster>();
async function clusterFor(nodes: number, storage?: string): Promise<TestCluster> {
  const key = storage ? `${nodes}/${storage}` : String(nodes);
  let c = clusters.get(key);
  if (!c) {
    c = await startCluster(clusterParams[key]);
    clusters.set(key, c);
  }
  return c;
}

test.after.always(async () => {
  for (const c of clusters.values()) await c.down();
});

const labs = listLabs();
const baselineOf = (c: TestCluster, id: string): Set<string> =>
  new Set(JSON.parse(readFileSync(join(c.home, 'labs', 'progress.json'), 'utf8')).labs[id].baseline as string[]);
/** The lab's top-level objects by name (owned ones, a ReplicaSet's pods, have new names each time). */
const names = async (c: TestCluster, baseline: Set<string>) =>
  (await leftovers(c.client, baseline))
    .filter((r) => r.owners.length === 0)
    .map((r) => `${r.type.plural}/${r.namespace ?? ''}/${r.name}`)
    .sort();

/** Pod containers on the cluster's nodes whose pod no longer exists. */
async function orphanContainers(c: TestCluster): Promise<string[]> {
  const pods = new Set((await c.client.list(R.pods, undefined)).items.map((p) => p.metadata.uid));
  const out: string[] = [];
  for (let i = 0; i < c.params.nodes; i++) {
    const node = i === 0 ? `${c.params.name}-control-plane` : `${c.params.name}-worker${i === 1 ? '' : i}`;
    const r = await run('docker', ['ps', '-a', '--filter', `label=io.mk8s.node=${node}`, '--format', '{{.Names}} {{.Label "io.mk8s.pod-uid"}}']);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [name, uid] = line.split(' ');
      if (!pods.has(uid)) out.push(name);
    }
  }
  return out;
}

async function runLab(t: ExecutionContext, lab: Lab): Promise<void> {
  t.timeout(8 * 60_000);
  const c = await clusterFor(lab.spec.nodes, lab.spec.storage);
  // HOME is the test's own: labs keep the learner's files in ~/mk8s-labs.
  const lab_ = (args: string[], timeoutMs = 6 * 60_000) => c.mk8s(['lab', ...args], { timeoutMs, env: { HOME: c.home } });
  const started = Date.now();
  const start = await lab_(['start', lab.id]);
  t.is(start.code, 0, `${start.stdout}\n${start.stderr}`);
  t.true(start.stdout.includes(lab.spec.title) && start.stdout.includes(`Step 1/${lab.spec.steps.length}: ${lab.spec.steps[0].title}`), start.stdout);
  const baseline = baselineOf(c, lab.id);
  const afterSetup = await names(c, baseline);

  for (const [i, step] of lab.spec.steps.entries()) {
    const before = await lab_(['check']);
    t.is(before.code, 1, `step ${i + 1} (${step.title}): the check passed before the solution ran:\n${before.stdout}${before.stderr}`);
    const reason = /is not done yet: (.*)$/m.exec(before.stdout)?.[1]?.trim();
    t.truthy(reason, `step ${i + 1}: the check gives a reason:\n${before.stdout}`);
    t.false(/without saying why|did not finish/.test(reason ?? ''), `step ${i + 1}: ${reason}`);
    const solved = await lab_(['solution', '--run']);
    t.is(solved.code, 0, `step ${i + 1} (${step.title}): the solution failed:\n${solved.stdout}\n${solved.stderr}`);
    const after = await lab_(['check']);
    t.is(after.code, 0, `step ${i + 1} (${step.title}): the check fails after the solution:\n${after.stdout}\n${after.stderr}`);
    t.true(after.stdout.includes(`Step ${i + 1} done`) || i === lab.spec.steps.length - 1, after.stdout);
    if (i === lab.spec.steps.length - 1) t.true(after.stdout.includes('every step done'), after.stdout);
  }
  const status = await lab_(['status']);
  t.regex(status.stdout, /Finished\./);
  const list = await lab_(['list']);
  t.regex(list.stdout, new RegExp(`^${lab.id}\\s.*✓ ${lab.spec.steps.length}/${lab.spec.steps.length}$`, 'm'));

  const reset = await lab_(['reset']);
  t.is(reset.code, 0, `${reset.stdout}\n${reset.stderr}`);
  t.deepEqual(await names(c, baseline), afterSetup, 'after reset only what the setup makes is there');
  await eventually(async () => (await orphanContainers(c)).length === 0, 60_000, 500).catch(async () => t.deepEqual(await orphanContainers(c), [], 'containers of deleted pods'));
  // Clean for the next lab: not even the setup's objects stay.
  await resetTo(c.client, baseline);
  t.log(`${lab.id}: ${lab.spec.steps.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

for (const l of labs) {
  if (!l.lab) {
    test(`lab ${l.id} loads`, (t) => t.fail(l.error));
    continue;
  }
  const lab = l.lab;
  serial(`lab ${lab.id} (${lab.spec.nodes} node(s)${lab.spec.storage ? `, ${lab.spec.storage}` : ''}): every step's check fails before its solution and passes after; reset removes the lab`, (t) => runLab(t, lab));
}

/** A scenario in Killercoda's shape (intro with background, steps with verify and background), written here. */
function writeScenario(dir: string): void {
  mkdirSync(join(dir, 'step1'), { recursive: true });
  mkdirSync(join(dir, 'step2'), { recursive: true });
  const files: Record<string, string> = {
    'index.json': JSON.stringify({
      title: 'A Killercoda scenario',
      description: 'brought over unchanged',
      details: {
        intro: { text: 'intro.md', background: 'background.sh' },
        steps: [
          { title: 'Make a ConfigMap', text: 'step1/text.md', verify: 'step1/verify.sh' },
          { title: 'Label it', text: 'step2/text.md', verify: 'step2/verify.sh', background: 'step2/background.sh' },
        ],
        finish: { text: 'finish.md' },
      },
      backend: { imageid: 'kubernetes-kubeadm-1node' },
      interface: { layout: 'ide' },
    }),
    'intro.md': '# Welcome\n\nA scenario from **Killercoda**.\n',
    'background.sh': 'kubectl create namespace kc-demo --dry-run=client -o yaml | kubectl apply -f - >/dev/null\n',
    'step1/text.md': 'Create it:\n\n```\nkubectl -n kc-demo create configmap hello --from-literal=a=b\n```\n',
    'step1/verify.sh': 'kubectl -n kc-demo get configmap hello >/dev/null 2>&1 || { echo "ConfigMap hello does not exist in kc-demo"; exit 1; }\n',
    'step2/text.md': 'Label it `tier=demo`.\n',
    'step2/background.sh': 'kubectl -n kc-demo annotate configmap hello seen=yes --overwrite >/dev/null\n',
    'step2/verify.sh': '[ "$(kubectl -n kc-demo get configmap hello -o jsonpath={.metadata.labels.tier})" = demo ] || { echo "hello has no label tier=demo"; exit 1; }\n',
    'finish.md': 'Done.\n',
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
}

serial('a Killercoda-shaped scenario runs with mk8s lab run DIR: background scripts, verify, finish', async (t) => {
  t.timeout(5 * 60_000);
  const c = await clusterFor(1);
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-scenario-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeScenario(dir);
  const started = await c.mk8s(['lab', 'run', dir]);
  t.is(started.code, 0, started.stderr);
  t.regex(started.stdout, /A Killercoda scenario\n\nWelcome\n=======\n\nA scenario from Killercoda\.\n/);
  t.regex(started.stdout, /Step 1\/2: Make a ConfigMap\n\nCreate it:\n\n {4}kubectl -n kc-demo create configmap hello --from-literal=a=b\n/);
  t.is((await c.kubectl(['get', 'ns', 'kc-demo'])).code, 0, 'the intro\'s background ran');
  const early = await c.mk8s(['lab', 'check']);
  t.is(early.code, 1);
  t.regex(early.stdout, /✗ Step 1 is not done yet: ConfigMap hello does not exist in kc-demo\nA hint: mk8s lab hint\n/);
  t.is((await c.kubectl(['-n', 'kc-demo', 'create', 'configmap', 'hello', '--from-literal=a=b'])).code, 0);
  const one = await c.mk8s(['lab', 'check']);
  t.is(one.code, 0, one.stdout);
  t.regex(one.stdout, /✓ Step 1 done: Make a ConfigMap\n\nStep 2\/2: Label it/);
  t.is(JSON.parse((await c.kubectl(['-n', 'kc-demo', 'get', 'cm', 'hello', '-o', 'json'])).stdout).metadata.annotations.seen, 'yes', 'step 2\'s background ran');
  t.regex((await c.mk8s(['lab', 'hint'])).stdout, /Step 2 has no hint/);
  t.is((await c.kubectl(['-n', 'kc-demo', 'label', 'cm', 'hello', 'tier=demo'])).code, 0);
  const two = await c.mk8s(['lab', 'check']);
  t.is(two.code, 0);
  t.regex(two.stdout, /every step done\n\nDone\.\n/);
  const reset = await c.mk8s(['lab', 'reset']);
  t.is(reset.code, 0, reset.stderr);
  t.is((await c.kubectl(['-n', 'kc-demo', 'get', 'cm', 'hello'])).code, 1, 'reset removed the ConfigMap (and the namespace with it, then setup made the namespace again)');
  await resetTo(c.client, baselineOf(c, `dir:${dir}`));
});

serial('a verify that hangs is stopped after the lab\'s timeout with a clear message; a malformed index.json is refused', async (t) => {
  t.timeout(3 * 60_000);
  const c = await clusterFor(1);
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-scenario-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeScenario(dir);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  index.timeouts = { verify: 2 };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  writeFileSync(join(dir, 'step1/verify.sh'), 'sleep 600\n');
  t.is((await c.mk8s(['lab', 'run', dir])).code, 0);
  const t0 = Date.now();
  const hung = await c.mk8s(['lab', 'check'], { timeoutMs: 30_000 });
  t.is(hung.code, 1);
  t.regex(hung.stdout, /Step 1 is not done yet: the check did not finish within 2 s and was stopped/);
  t.true(Date.now() - t0 < 10_000, 'stopped at the timeout, not at the sleep');
  t.is((await run('pgrep', ['-f', 'sleep 600'])).code, 1, 'the script\'s processes are gone');
  await resetTo(c.client, baselineOf(c, `dir:${dir}`));

  // A lab that reads etcd is refused, in one line, on a cluster that stores in LevelDB.
  const etcdLab = await c.mk8s(['lab', 'start', 'etcd-services']);
  t.is(etcdLab.code, 1, etcdLab.stdout);
  t.regex(etcdLab.stderr, /^error: lab etcd-services reads the API server's etcd, and cluster "lab1" stores in LevelDB\. Bring one up on etcd: mk8s down && mk8s up --nodes 1 --storage etcd\n$/);

  delete index.details.steps[1].verify;
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  const bad = await c.mk8s(['lab', 'run', dir]);
  t.is(bad.code, 1);
  t.is(bad.stderr, `error: ${join(dir, 'index.json')}: details.steps[1].verify: must be a non-empty string, not missing\n`);
});

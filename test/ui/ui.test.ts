// `mk8s ui` in headless Chromium (Debian's, driven by playwright-core; no
// browser download) against a real 2-node cluster: the cluster view shows
// both nodes and a 3-replica deployment's pods on their nodes and follows a
// deleted pod without a reload; the Service view of a NodePort Service shows
// its chains and pods, and 30 requests through the nodePort add up to 30 in
// the page's counters; the lab pane's Check fails before the step's solution
// and passes after; no token, no answer (401); no console errors. Screenshots
// of each view go to dist/test-artifacts/ui/ (and to docs/ with
// MK8S_UI_SCREENSHOTS_TO_DOCS=1).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { R, runningPods, startCluster, type TestCluster } from '../../testkit/cluster.js';
import { mk8sBin, repoRoot, run } from '../../testkit/process.js';

const chromiumPath = '/usr/bin/chromium';
const why = process.getuid?.() !== 0 ? 'needs root' : !existsSync(chromiumPath) ? `needs Debian's chromium at ${chromiumPath} (apt-get install chromium)` : (await run('docker', ['info'])).code !== 0 ? 'needs a running Docker engine' : '';
if (why) console.log(`test/ui/ui.test.ts skipped: ${why}`);
const serial = why ? test.serial.skip : test.serial;

const P = { name: 'ui', nodes: 2, bridge: 'mk8sui', nodeCidr: '172.31.221.0/24', podCidr: '10.221.0.0/16', serviceCidr: '10.121.0.0/16' };
const artefacts = process.env.MK8S_TEST_ARTIFACTS ?? join(repoRoot, 'dist', 'test-artifacts', 'ui');

let c: TestCluster;
let ui: ChildProcess | undefined;
let url = '';
let base = '';
let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];
let labDir = '';

const web = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: pbitty/hello-from, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}]
`;

function writeLab(dir: string): void {
  mkdirSync(join(dir, 'step1'), { recursive: true });
  const files: Record<string, string> = {
    'index.json': JSON.stringify({
      title: 'The UI lab',
      details: {
        intro: { text: 'intro.md' },
        steps: [{ title: 'Make a ConfigMap', text: 'step1/text.md', verify: 'step1/verify.sh', hint: 'step1/hint.md', solution: 'step1/solution.sh' }],
        finish: { text: 'finish.md' },
      },
      backend: { nodes: 2 },
    }),
    'intro.md': '# The UI lab\n',
    'step1/text.md': 'Create a **ConfigMap** named `ui-demo`:\n\n```\nkubectl create configmap ui-demo --from-literal=a=b\n```\n',
    'step1/hint.md': 'Use `kubectl create configmap`.\n',
    'step1/verify.sh': 'kubectl get configmap ui-demo >/dev/null 2>&1 || { echo "ConfigMap ui-demo does not exist"; exit 1; }\n',
    'step1/solution.sh': 'kubectl create configmap ui-demo --from-literal=a=b\n',
    'finish.md': 'Done.\n',
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
}

async function shot(name: string): Promise<void> {
  mkdirSync(artefacts, { recursive: true });
  const file = join(artefacts, `ui-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  if (process.env.MK8S_UI_SCREENSHOTS_TO_DOCS === '1') copyFileSync(file, join(repoRoot, 'docs', `ui-${name}.png`));
}

test.before(async () => {
  if (why) return;
  c = await startCluster(P);
  const applied = await c.mk8s(['apply', '-f', '-'], { input: web });
  if (applied.code !== 0) throw new Error(applied.stderr);
  await runningPods(c, 'app=web', 3, 90_000);
  labDir = mkdtempSync(join(tmpdir(), 'mk8s-ui-lab-'));
  writeLab(labDir);
  const lab = await c.mk8s(['lab', 'run', labDir]);
  if (lab.code !== 0) throw new Error(`mk8s lab run: ${lab.stdout}${lab.stderr}`);
  const env: NodeJS.ProcessEnv = { ...process.env, MK8S_HOME: c.home, KUBECONFIG: c.kubeconfig };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  ui = spawn(process.execPath, [mk8sBin, 'ui', '--port', '0', '--no-browser'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  ui.stderr!.on('data', (d) => (out += d));
  url = await new Promise<string>((resolve, reject) => {
    ui!.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    ui!.on('exit', (code) => reject(new Error(`mk8s ui exited with ${code}: ${out}`)));
  });
  base = new URL(url).origin;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`${r.status()} ${r.url()}`));
  // Everything the page loads comes from mk8s ui itself.
  page.on('request', (r) => !r.url().startsWith(base) && consoleErrors.push(`request outside mk8s ui: ${r.url()}`));
  await page.goto(url);
});

test.after.always(async () => {
  await browser?.close();
  if (ui && ui.exitCode === null) {
    const gone = new Promise((r) => ui!.once('exit', r));
    ui.kill('SIGTERM');
    await gone;
  }
  if (labDir) rmSync(labDir, { recursive: true, force: true });
  await c?.down();
});

serial('without the token every request gets 401; the printed URL sets it as a cookie and leaves the address bar', async (t) => {
  for (const path of ['/', '/api/cluster', '/api/events', '/assets/app.js', '/api/lab', '/vendor/cytoscape.min.js']) {
    const r = await fetch(base + path);
    t.is(r.status, 401, path);
  }
  t.is((await fetch(`${base}/api/cluster?token=wrong`)).status, 401);
  t.is((await fetch(`${base}/api/cluster`, { headers: { cookie: 'mk8s-ui-token=wrong' } })).status, 401);
  t.is((await fetch(url.replace('/?', '/api/cluster?'))).status, 200);
  t.is(page.url(), `${base}/`, 'the token is not left in the address bar');
});

serial('the cluster view shows both nodes and the 3 pods of the deployment on their nodes', async (t) => {
  const pods = await runningPods(c, 'app=web', 3);
  const nodes = (await c.client.list(R.nodes)).items.map((n) => n.metadata.name!);
  t.is(nodes.length, 2);
  await page.waitForFunction((n) => document.querySelectorAll('#t-nodes tbody tr').length === n, nodes.length);
  for (const n of nodes) t.truthy(await page.$(`#t-nodes tr[data-node="${n}"]`), n);
  for (const p of pods) {
    const row = await page.waitForSelector(`#t-pods tr[data-pod="default/${p.metadata.name}"]`);
    t.is(await row.getAttribute('data-node'), p.spec!.nodeName, p.metadata.name);
  }
  // The diagram draws the same: each pod inside its node.
  const drawn = await page.evaluate(() => {
    const cy = (window as any).mk8sUi.cyCluster;
    return cy.nodes('.pod').map((n: any) => [n.id(), n.parent().id()]);
  });
  for (const p of pods) t.true(drawn.some(([id, parent]: string[]) => id === `pod:default/${p.metadata.name}` && parent === `node:${p.spec!.nodeName}`), JSON.stringify(drawn));
  t.truthy(await page.$('#t-services tr[data-service="default/web"]'));
  await shot('cluster');
});

serial('a deleted pod leaves the page without a reload, and its replacement appears', async (t) => {
  const before = await runningPods(c, 'app=web', 3);
  const victim = before[0].metadata.name!;
  await page.evaluate(() => ((window as any).__noReload = true));
  const started = Date.now();
  t.is((await c.kubectl(['delete', 'pod', victim, '--wait=false'])).code, 0);
  // Within a second it is marked terminating (or gone) …
  await page.waitForFunction((v) => {
    const row = document.querySelector(`#t-pods tr[data-pod="default/${v}"]`);
    return !row || row.textContent!.includes('terminating');
  }, victim, { timeout: 1000 });
  t.log(`the page showed the deletion ${Date.now() - started} ms after kubectl delete`);
  // … then gone, and a new pod of the deployment is listed.
  const after = await runningPods(c, 'app=web', 3, 60_000);
  const names = after.map((p) => `default/${p.metadata.name}`);
  t.false(names.includes(`default/${victim}`));
  await page.waitForFunction((want) => {
    const rows = [...document.querySelectorAll('#t-pods tbody tr')].map((r) => r.getAttribute('data-pod'));
    return want.every((n: string) => rows.includes(n)) && !rows.some((r) => r!.startsWith('default/web-') && !want.includes(r!));
  }, names, { timeout: 5000 });
  t.true(await page.evaluate(() => (window as any).__noReload === true), 'the page was not reloaded');
});

serial('the Service view of a NodePort Service shows its chains and pods; 30 requests through the nodePort add up to 30', async (t) => {
  const svc = await c.client.get(R.services, 'default', 'web');
  const nodePort = svc.spec.ports[0].nodePort;
  const node = (await c.client.list(R.nodes)).items[0];
  const nodeIP = node.status!.addresses.find((a: any) => a.type === 'InternalIP').address;
  const pods = await runningPods(c, 'app=web', 3);
  await page.click('#tab-service');
  await page.selectOption('#svc-select', 'default/web');
  await page.waitForFunction(() => document.querySelectorAll('#t-endpoints tbody tr').length === 3, undefined, { timeout: 10_000 });
  const text = await page.textContent('#view-service');
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-EXT-', 'KUBE-SVC-', 'KUBE-SEP-']) t.true(text!.includes(chain), chain);
  for (const p of pods) t.true(text!.includes(p.metadata.name!), p.metadata.name);
  t.true(text!.includes(`${nodeIP}:${nodePort}`));
  const drawn = await page.evaluate(() => (window as any).mk8sUi.cyService.nodes().map((n: any) => n.id()));
  t.is(drawn.filter((id: string) => id.startsWith('chain:KUBE-SEP-')).length, 3);
  t.is(await page.getAttribute('#svc-summary', 'data-total'), '0', 'a new service: no connection counted yet');
  for (let i = 0; i < 30; i++) {
    const r = await run('curl', ['-s', '-m', '3', `http://${nodeIP}:${nodePort}/`], { timeoutMs: 5000 });
    t.regex(r.stdout, /Hello from web-/);
  }
  await page.waitForFunction(() => document.querySelector('#svc-summary')!.getAttribute('data-total') === '30', undefined, { timeout: 5000 });
  const perPod = await page.$$eval('#t-endpoints tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-total'))));
  t.is(perPod.reduce((a, b) => a + b, 0), 30);
  t.log(`30 connections through ${nodeIP}:${nodePort} went to the pods as ${perPod.join(' + ')}`);
  await page.waitForTimeout(300); // let the diagram's edges repaint with the counters for the screenshot
  await shot('service');
});

serial("the lab pane: Check fails with the verify's reason before the step's solution and passes after", async (t) => {
  await page.click('#tab-cluster');
  await page.waitForFunction(() => document.querySelector('#lab-head')!.textContent!.includes('Step 1 of 1'));
  t.true((await page.innerHTML('#lab-text')).includes('<strong>ConfigMap</strong>'), 'the step text is rendered Markdown');
  await page.click('#lab-check');
  await page.waitForSelector('[data-check="fail"]', { timeout: 30_000 });
  t.regex((await page.textContent('#lab-result'))!, /not done yet: ConfigMap ui-demo does not exist/);
  await page.click('#lab-hint');
  await page.waitForFunction(() => document.querySelector('#lab-extra')!.textContent!.includes('kubectl create configmap'));
  t.regex((await page.textContent('#lab-result'))!, /not done yet/, 'the hint leaves the reason in view');
  await shot('lab');
  await page.click('#lab-run-solution');
  await page.waitForSelector('[data-solution="ran"]', { timeout: 30_000 });
  t.is((await c.kubectl(['get', 'configmap', 'ui-demo'])).code, 0);
  await page.click('#lab-check');
  await page.waitForSelector('[data-check="pass"]', { timeout: 30_000 });
  t.regex((await page.textContent('#lab-head'))!, /Every step done/);
  t.is(await page.getAttribute('#lab-progress', 'value'), '1');
  t.true(await page.isDisabled('#lab-hint'), 'a finished lab has no hint to give');
});

serial('the page is usable at a narrow width and made no console errors', async (t) => {
  await page.setViewportSize({ width: 480, height: 800 });
  await page.click('#tab-cluster');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  t.true(overflow <= 0, `the page is ${overflow}px wider than a 480px window`);
  t.deepEqual(consoleErrors, []);
});

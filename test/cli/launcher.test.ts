// bin/mk8s (the sh launcher) and dist/cli/mk8s.cjs (the CLI in one file,
// cli/bundle.ts) against a real API server: the same output as
// dist/cli/main.js, commands outside the bundle handed over, and
// NODE_EXTRA_CA_CERTS kept from Node's start-up yet trusted when a
// kubeconfig names no CA of its own.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startApiServer, type ApiServer } from '../../apiserver/server.js';
import { Client } from '../../client/http.js';
import { findByPlural } from '../../api/resources.js';
import { bundledVerbs } from '../../cli/bundled-verbs.js';
import { staticImports } from '../../cli/bundle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const launcher = join(root, 'bin', 'mk8s');
const mainJs = join(root, 'dist', 'cli', 'main.js');
const bundleJs = join(root, 'dist', 'cli', 'mk8s.cjs');
const bodyJs = join(root, 'dist', 'cli', 'mk8s.body.js');
const codeCache = join(root, 'dist', 'cli', 'mk8s.body.v8cache');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const envWith = (vars: Record<string, string | undefined>): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
};

let dir: string;
let server: ApiServer;
let noCaKubeconfig: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mk8s-launcher-'));
  server = await startApiServer({ dataDir: join(dir, 'data'), port: 0, logger: pino({ level: 'silent' }) });
  const client = new Client({ server: server.url, token: server.token, caCert: server.caCert });
  try {
    for (const name of ['a', 'b']) await client.create(findByPlural('', 'pods')!, 'default', { metadata: { name, labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  } finally {
    client.close();
  }
  // The same kubeconfig without its CA: the server's certificate is then checked against the machine's trust.
  const kc = await readFile(server.kubeconfigPath, 'utf8');
  noCaKubeconfig = join(dir, 'kubeconfig-no-ca');
  await writeFile(noCaKubeconfig, kc.split('\n').filter((l) => !l.includes('certificate-authority-data')).join('\n'));
  await writeFile(join(dir, 'ca.crt'), server.caCert);
});

test.after.always(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the launcher treats exactly kubectl\'s commands (as `mk8s help` lists them) as kubectl commands', async (t) => {
  const help = await run(process.execPath, [mainJs, 'help']);
  const section = help.stdout.split("kubectl's commands:\n")[1].split('\n\n')[0];
  const kubectlVerbs = section.split('\n').map((l) => l.trim().split(/\s+/)[0]).sort();
  const sh = await readFile(launcher, 'utf8');
  const listed = /\n\s+((?:[a-z-]+\|)+[a-z-]+)\)\n/.exec(sh)![1].split('|').sort();
  t.deepEqual(listed, kubectlVerbs);
  for (const v of bundledVerbs) t.true(kubectlVerbs.includes(v), `${v} is a kubectl command`);
});

test('the bundle loads nothing but Node\'s own modules before it runs', async (t) => {
  for (const file of [bundleJs, bodyJs]) {
    const js = await readFile(file, 'utf8');
    t.deepEqual(staticImports(js).filter((s) => !s.startsWith('node:')), [], file);
    t.deepEqual(js.match(/require\("([^"]+)"\)/g)?.filter((r) => !r.includes('"node:')) ?? [], [], file);
  }
});

test.serial('the code cache: written by a run without one, used by the next (with commands loaded by import()), replaced when V8 rejects it', async (t) => {
  const report = envWith({ MK8S_CLI_CODE_CACHE_REPORT: '1' });
  const get = ['--kubeconfig', server.kubeconfigPath, 'get', 'pod', 'a', '-o', 'name'];
  await rm(codeCache, { force: true });
  let r = await run(launcher, get, report);
  t.is(r.stdout, 'pod/a\n');
  t.is(r.stderr, 'code cache: none\n');
  t.true((await readFile(codeCache)).length > 10_000, 'written on exit');
  r = await run(launcher, get, report);
  t.is(r.stdout, 'pod/a\n');
  t.is(r.stderr, 'code cache: used\n');
  // Compiled from the cache, the body still loads modules on use: `apply` is handed to dist/cli/main.js
  // through import() (Node 20 loses a cached script's own import() callback; the loader passes one).
  const cm = join(dir, 'cache-cm.yaml');
  await writeFile(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache-cm\n');
  r = await run(launcher, ['--kubeconfig', server.kubeconfigPath, 'apply', '-f', cm], report);
  t.is(r.stdout, 'configmap/cache-cm created\n');
  t.is(r.stderr, 'code cache: used\n');
  // A cache of something else: V8 rejects it, the run works, and writes a good one.
  await writeFile(codeCache, Buffer.alloc(20_000, 7));
  r = await run(launcher, get, report);
  t.is(r.stdout, 'pod/a\n');
  t.is(r.stderr, 'code cache: rejected\n');
  r = await run(launcher, get, report);
  t.is(r.stderr, 'code cache: used\n');
});

test('bin/mk8s prints what dist/cli/main.js prints, bundled commands and handed-over ones alike', async (t) => {
  const cases = [
    ['get', 'pods'],
    ['get', 'pods', '-o', 'name', '-l', 'app=x'],
    ['get', 'pod', 'nope'],
    ['describe', 'pod', 'a'],
    ['get', 'pods', '-o', 'yaml'],
    ['get', 'pods', '--show-labels', '-o', 'wide'],
    ['label', 'pod', 'b', 'app=x'],
    ['apply', '--help'],
    ['frobnicate'],
    ['version', '--client'],
  ];
  for (const args of cases) {
    const [viaLauncher, viaMain] = await Promise.all([run(launcher, ['--kubeconfig', server.kubeconfigPath, ...args]), run(process.execPath, [mainJs, '--kubeconfig', server.kubeconfigPath, ...args])]);
    t.deepEqual(
      { ...viaLauncher, stdout: viaLauncher.stdout.replace(/\d+s\b/g, 'AGE') },
      { ...viaMain, stdout: viaMain.stdout.replace(/\d+s\b/g, 'AGE') },
      args.join(' '),
    );
  }
  const status = await run(launcher, ['status', '--name', 'mk8s-launcher-test-none'], envWith({ MK8S_HOME: dir }));
  t.is(status.code, 1);
  t.regex(status.stdout, /no cluster "mk8s-launcher-test-none"/);
});

test('NODE_EXTRA_CA_CERTS: trusted when the kubeconfig names no CA, for bundled and handed-over commands, and put back for child processes', async (t) => {
  const withCa = envWith({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') });
  const get = await run(launcher, ['--kubeconfig', noCaKubeconfig, 'get', 'pod', 'a', '-o', 'name'], withCa);
  t.is(get.stderr, '');
  t.is(get.stdout, 'pod/a\n');
  // apply is handed to dist/cli/main.js, a second copy of cli/tls-agent.js.
  const cm = join(dir, 'cm.yaml');
  await writeFile(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: launcher-cm\n');
  const apply = await run(launcher, ['--kubeconfig', noCaKubeconfig, 'apply', '-f', cm], withCa);
  t.is(apply.stderr, '');
  t.is(apply.stdout, 'configmap/launcher-cm created\n');
  // Without the variable the same server is not trusted: the check above is a real one.
  const without = await run(launcher, ['--kubeconfig', noCaKubeconfig, 'get', 'pod', 'a', '-o', 'name'], envWith({ NODE_EXTRA_CA_CERTS: undefined }));
  t.not(without.code, 0);
  t.regex(without.stderr, /certificate/);
  // A process mk8s starts (here the editor of `mk8s edit`) sees NODE_EXTRA_CA_CERTS as the user set it, and no MK8S_EXTRA_CA_CERTS.
  const seen = join(dir, 'editor-env');
  const editor = join(dir, 'editor.sh');
  await writeFile(editor, `#!/bin/sh\nenv > ${seen}\n`, { mode: 0o755 });
  await run(launcher, ['--kubeconfig', server.kubeconfigPath, 'edit', 'configmap', 'launcher-cm'], envWith({ NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt'), EDITOR: editor, KUBE_EDITOR: editor }));
  const env = await readFile(seen, 'utf8');
  t.true(env.split('\n').includes(`NODE_EXTRA_CA_CERTS=${join(dir, 'ca.crt')}`), env);
  t.false(env.includes('MK8S_EXTRA_CA_CERTS'));
});

// One grammar for every mk8s command, kubectl's (spf13/pflag): every command
// `mk8s help` lists prints its usage for --help and -h and exits 0, refuses
// an unknown flag with kubectl's message and its usage hint, and takes the
// pflag forms (`--x=v`, `--x v`, bools with `=false`). No cluster is needed:
// flags are checked before a command does anything.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mk8sBin } from '../../testkit/process.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// A few processes at once: two cores are shared.
let running = 0;
const waiting: (() => void)[] = [];
async function mk8s(args: string[]): Promise<Result> {
  if (running >= 3) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await new Promise((resolve) =>
      execFile(process.execPath, [mk8sBin, ...args], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The commands `mk8s help` lists (two-space indented names under its sections). */
async function listedCommands(): Promise<string[]> {
  const r = await mk8s(['help']);
  return [...r.stdout.matchAll(/^ {2}([a-z][a-z-]*) {2,}\S/gm)].map((m) => m[1]);
}

test('mk8s help lists every command, kubectl\'s and mk8s\' own', async (t) => {
  const r = await mk8s(['help']);
  t.is(r.code, 0);
  const listed = await listedCommands();
  for (const c of ['get', 'describe', 'apply', 'create', 'delete', 'logs', 'exec', 'port-forward', 'rollout', 'version', 'service', 'explain-route', 'up', 'down', 'status', 'doctor', 'images', 'apiserver', 'controllers', 'kubelet', 'proxy', 'node', 'help']) {
    t.true(listed.includes(c), `${c} in ${listed.join(' ')}`);
  }
  // `mk8s` alone and `mk8s --help` print the same.
  t.is((await mk8s([])).stdout, r.stdout);
  t.is((await mk8s(['--help'])).stdout, r.stdout);
});

test('every listed command: --help and -h print its usage and exit 0', async (t) => {
  const listed = await listedCommands();
  t.true(listed.length >= 30, listed.join(' '));
  await Promise.all(
    listed.map(async (c) => {
      for (const h of ['--help', '-h']) {
        const r = await mk8s([c, h]);
        t.is(r.code, 0, `mk8s ${c} ${h}: ${r.stderr}`);
        t.regex(r.stdout, new RegExp(`\\nUsage:\\n {2}mk8s ${c}\\b`), `mk8s ${c} ${h}`);
        t.is(r.stderr, '', `mk8s ${c} ${h}`);
      }
      // `mk8s help <command>` is the same text.
      t.is((await mk8s(['help', c])).stdout, (await mk8s([c, '--help'])).stdout, `mk8s help ${c}`);
    }),
  );
});

test('mk8s get pods --bogus: unknown flag, the usage hint, exit 1', async (t) => {
  const r = await mk8s(['get', 'pods', '--bogus']);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, "error: unknown flag: --bogus\nSee 'mk8s get --help' for usage.\n");
});

test('every listed command refuses an unknown flag before doing anything', async (t) => {
  // `mk8s etcdctl` hands every argument to Debian's etcdctl unparsed (as `kubectl exec -- cmd` does), so etcdctl judges its flags.
  const listed = (await listedCommands()).filter((c) => c !== 'etcdctl');
  await Promise.all(
    listed.map(async (c) => {
      const r = await mk8s([c, '--bogus']);
      t.is(r.code, 1, `mk8s ${c} --bogus`);
      t.is(r.stderr, `error: unknown flag: --bogus\nSee 'mk8s ${c} --help' for usage.\n`, `mk8s ${c} --bogus`);
      const s = await mk8s([c, '-Z']);
      t.is(s.code, 1, `mk8s ${c} -Z`);
      t.is(s.stderr, `error: unknown shorthand flag: 'Z' in -Z\nSee 'mk8s ${c} --help' for usage.\n`, `mk8s ${c} -Z`);
    }),
  );
});

test("mk8s' own commands take only their own flags, in pflag's forms", async (t) => {
  // kubectl's global flags are not theirs.
  const ns = await mk8s(['-n', 'x', 'up']);
  t.is(ns.code, 1);
  t.is(ns.stderr, "error: unknown shorthand flag: 'n' in -n\nSee 'mk8s up --help' for usage.\n");
  // A value that is not an int, in both forms.
  for (const args of [['up', '--nodes=x'], ['up', '--nodes', 'x']]) {
    const r = await mk8s(args);
    t.is(r.code, 1);
    t.is(r.stderr, `error: invalid argument "x" for "nodes" flag: strconv.ParseInt: parsing "x": invalid syntax\nSee 'mk8s up --help' for usage.\n`);
  }
  const bare = await mk8s(['kubelet', '--node-name']);
  t.is(bare.stderr, "error: flag needs an argument: --node-name\nSee 'mk8s kubelet --help' for usage.\n");
  const bool = await mk8s(['down', '--keep-data=maybe']);
  t.regex(bool.stderr, /^error: invalid argument "maybe" for "keep-data" flag: strconv\.ParseBool/);
  // Required flags, as cobra names them.
  const req = await mk8s(['kubelet', '--node-name=n1', '--pod-cidr', '10.244.1.0/24']);
  t.is(req.code, 1);
  t.is(req.stderr, 'error: required flag(s) "node-ip", "kubeconfig", "tls-cert-file", "tls-private-key-file", "client-ca-file" not set\nSee \'mk8s kubelet --help\' for usage.\n');
  // No stray arguments.
  const extra = await mk8s(['doctor', 'now']);
  t.is(extra.code, 1);
  t.is(extra.stderr, 'error: unknown command "now" for "mk8s doctor"\nSee \'mk8s doctor --help\' for usage.\n');
});

test('unknown commands and help topics', async (t) => {
  const r = await mk8s(['nope']);
  t.is(r.code, 1);
  t.is(r.stderr, 'error: unknown command "nope" for "mk8s"\nRun \'mk8s --help\' for usage.\n');
  const h = await mk8s(['help', 'nope']);
  t.is(h.code, 1);
  t.is(h.stderr, 'Unknown help topic [`nope`]\n');
  const flag = await mk8s(['--bogus']);
  t.is(flag.code, 1);
  t.is(flag.stderr, "error: unknown flag: --bogus\nSee 'mk8s --help' for usage.\n");
});

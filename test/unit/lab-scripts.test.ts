// Lab scripts as processes: a timeout stops the script's whole process
// group, and a signal to mk8s (the learner's Ctrl-C) reaches it too, so no
// setup or solution runs on unsupervised.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from '../../cli/lab/scripts.js';
import { eventually } from '../../testkit/api.js';

// How long a signalled process may take to be gone. Usually milliseconds; but while containers start on this
// 2-core machine, process creation and exit wait on the kernel for up to seconds (docs/proxy.md: /bin/true took
// up to 0.5 s to run), and once, in CI, a SIGTERMed sleep outlived a 5-s wait.
const GONE_WITHIN_MS = 30_000;

/** /proc/PID/stat after "(comm) ": [state, ppid, …]; field 22 of the file (index 19 here) is the start time. */
const statFields = (pid: number): string[] | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
};
const started = new Map<number, string>();
/**
 * Running: it exists, is not a zombie (a killed orphan waits for PID 1 to reap it, which here may take a while),
 * and is the same process as when first asked about (its start time): under a full suite's load a reaped PID
 * can be given to a new process within seconds.
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const f = statFields(pid);
  if (!f || /^[ZX]$/.test(f[0])) return false;
  const first = started.get(pid);
  if (first === undefined) started.set(pid, f[19]);
  return first === undefined || first === f[19];
};

function scriptDir(t: { teardown(fn: () => void): void }, body: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-script-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 's.sh');
  writeFileSync(file, body);
  return { dir, file };
}

test('a script past its timeout is stopped with everything it started', async (t) => {
  const { dir, file } = scriptDir(t, `sleep 300 &\necho $! > ${'$'}PWD/child.pid\nwait\n`);
  const t0 = Date.now();
  const r = await runScript(file, { cwd: dir, env: process.env, timeoutSeconds: 1 });
  t.true(r.timedOut);
  t.true(Date.now() - t0 < GONE_WITHIN_MS, 'stopped long before the 300-s sleep of the script');
  const { readFileSync } = await import('node:fs');
  const pid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  await eventually(() => !alive(pid), GONE_WITHIN_MS);
  t.false(alive(pid), 'the background sleep went with the script');
});

test('SIGINT to the process running a script (Ctrl-C) stops the script\'s group', async (t) => {
  const { dir, file } = scriptDir(t, `sleep 300 &\necho $! > ${'$'}PWD/child.pid\nwait\n`);
  const runner = join(dir, 'runner.mjs');
  const mod = new URL('../../cli/lab/scripts.js', import.meta.url).href;
  writeFileSync(runner, `import { runScript } from '${mod}';\nconst r = await runScript(${JSON.stringify(file)}, { cwd: ${JSON.stringify(dir)}, env: process.env, timeoutSeconds: 300 });\nconsole.log('done', r.code);\n`);
  const child = spawn(process.execPath, [runner], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const { existsSync, readFileSync } = await import('node:fs');
  await eventually(() => existsSync(join(dir, 'child.pid')) && readFileSync(join(dir, 'child.pid'), 'utf8').trim() !== '', 10_000);
  const pid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  t.true(alive(pid));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  await eventually(() => !alive(pid), GONE_WITHIN_MS);
  t.false(alive(pid), 'the script\'s background process is gone');
  t.regex(out, /^done \d+/);
  t.is(code, 130, 'mk8s reports the interruption');
});

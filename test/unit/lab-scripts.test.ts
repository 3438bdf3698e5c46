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

/**
 * The script's background job runs `sleep` with an argument no other process has, so "it still runs" means: this
 * PID's command line is that sleep. A reaped PID handed to another process does not count (under a full suite's
 * load that happens within seconds), nor a zombie or a process already past releasing its memory on the way out
 * (its command line reads empty): its PID 1 here may be slow to reap orphans.
 */
const sleepArg = () => `299.${String(process.pid).slice(-3)}${Math.floor(Math.random() * 1e6)}`;
const readProc = (pid: number, file: string): string => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
};
const running = (pid: number, arg: string) => readProc(pid, 'cmdline') === `sleep\0${arg}\0`;
/** What the process is, for a failure message: its /proc status lines that say where it is. */
const where = (pid: number) => readProc(pid, 'status').split('\n').filter((l) => /^(Name|State|PPid|SigBlk|SigIgn|SigCgt):/.test(l)).join('; ') || 'gone';

function scriptDir(t: { teardown(fn: () => void): void }, body: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-script-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 's.sh');
  writeFileSync(file, body);
  return { dir, file };
}

test('a script past its timeout is stopped with everything it started', async (t) => {
  const arg = sleepArg();
  const { dir, file } = scriptDir(t, `sleep ${arg} &\necho $! > ${'$'}PWD/child.pid\nwait\n`);
  const t0 = Date.now();
  const r = await runScript(file, { cwd: dir, env: process.env, timeoutSeconds: 1 });
  t.true(r.timedOut);
  t.true(Date.now() - t0 < GONE_WITHIN_MS, 'stopped long before the 300-s sleep of the script');
  const { readFileSync } = await import('node:fs');
  const pid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  await eventually(() => !running(pid, arg), GONE_WITHIN_MS).catch(() => undefined);
  t.false(running(pid, arg), `the background sleep went with the script (${where(pid)})`);
});

test('SIGINT to the process running a script (Ctrl-C) stops the script\'s group', async (t) => {
  const arg = sleepArg();
  const { dir, file } = scriptDir(t, `sleep ${arg} &\necho $! > ${'$'}PWD/child.pid\nwait\n`);
  const runner = join(dir, 'runner.mjs');
  const mod = new URL('../../cli/lab/scripts.js', import.meta.url).href;
  writeFileSync(runner, `import { runScript } from '${mod}';\nconst r = await runScript(${JSON.stringify(file)}, { cwd: ${JSON.stringify(dir)}, env: process.env, timeoutSeconds: 300 });\nconsole.log('done', r.code);\n`);
  const child = spawn(process.execPath, [runner], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const { existsSync, readFileSync } = await import('node:fs');
  await eventually(() => existsSync(join(dir, 'child.pid')) && readFileSync(join(dir, 'child.pid'), 'utf8').trim() !== '', 10_000);
  const pid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  // Interrupted once the job runs sleep (not while its shell is between fork and exec).
  await eventually(() => running(pid, arg), 10_000).catch(() => undefined);
  t.true(running(pid, arg), `the sleep runs (${where(pid)})`);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  await eventually(() => !running(pid, arg), GONE_WITHIN_MS).catch(() => undefined);
  t.false(running(pid, arg), `the script's background process is gone (${where(pid)}; runner said ${JSON.stringify(out)}, exit ${code})`);
  t.regex(out, /^done \d+/);
  t.is(code, 130, 'mk8s reports the interruption');
});

// WarmExec with real processes: a command given input twice is started
// again ahead of its next run (it was running before that run was asked
// for), gets exactly that run's input, and close() ends the waiting one
// without it having acted.
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WarmExec } from '../../proxy/warm-exec.js';

/** PIDs of the test's script processes (their command line names the test's own directory). */
async function waitingOnes(dir: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('sh\0-c\0') && cmd.includes(dir)) out.push(Number(e));
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a command run with input twice is started ahead of its next run; close() ends the waiting one unacted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mk8s-warm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'log');
  // Prints its PID (before it reads anything); appends the line it is given, if any.
  const script = `echo $$; read line && echo "$line" >> ${log}`;
  const w = new WarmExec();
  t.teardown(() => w.close());
  const run = async (input: string) => {
    const r = await w.exec('sh', ['-c', script], input);
    t.is(r.code, 0, r.stderr);
    return Number(r.stdout.trim());
  };
  /** The one process waiting for the next run, once it is there (it is started as the last run ends). */
  const nextOne = async () => {
    for (let i = 0; i < 200; i++) {
      const ps = await waitingOnes(dir);
      if (ps.length) return ps;
      await new Promise((r) => setImmediate(r));
    }
    return [];
  };
  const one = await run('one\n');
  t.deepEqual(await waitingOnes(dir), [], 'one run: nothing kept warm (a one-off command)');
  const two = await run('two\n');
  t.is(w.hits, 0);
  const ahead = await nextOne();
  t.is(ahead.length, 1, 'after the second run, the next one waits');
  const three = await run('three\n');
  t.is(three, ahead[0], 'the third run is the process started before it was asked for');
  t.is(w.hits, 1);
  const ahead2 = await nextOne();
  const four = await run('four\n');
  t.is(four, ahead2[0]);
  t.is(new Set([one, two, three, four]).size, 4);
  // A command without input is never kept warm (nothing to wait for).
  t.is((await w.exec('sh', ['-c', 'echo plain'])).stdout, 'plain\n');
  // One process waits now; close() ends it with empty input: it wrote nothing.
  t.is((await waitingOnes(dir)).length, 1);
  await w.close();
  t.deepEqual(await waitingOnes(dir), []);
  t.is(await readFile(log, 'utf8'), 'one\ntwo\nthree\nfour\n');
  // Nothing is started after close.
  await w.exec('sh', ['-c', script], 'five\n');
  await w.exec('sh', ['-c', script], 'six\n');
  for (const pid of [one, two, three, four]) t.false(alive(pid));
  t.deepEqual(await waitingOnes(dir), [], 'none started after close');
  t.is(await readFile(log, 'utf8'), 'one\ntwo\nthree\nfour\nfive\nsix\n');
});

// Which recorded processes are still alive: `mk8s up` (and its repair) must
// never take a process that is in the middle of execve — `ip netns exec`
// becoming node, when /proc/PID/cmdline reads empty for a moment — for one
// that exited (it used to fail `mk8s up` with "proxy … exited" and an empty
// log), and must not take a kernel thread that reused a PID for ours.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processAlive } from '../../cluster/state.js';

test('a process is alive through its execve; a kernel thread and an exited process are not', async (t) => {
  const marker = `/mk8s-state-test-${process.pid}`;
  let samples = 0;
  let empty = 0;
  for (let i = 0; i < 15; i++) {
    // env execs node: the same exec step as `ip netns exec … node …`.
    const child = spawn('/usr/bin/env', [process.execPath, '-e', 'setTimeout(() => {}, 400)', marker], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((r) => child.once('spawn', r));
    const p = { pid: child.pid!, argv: [] };
    const until = Date.now() + 150;
    while (Date.now() < until) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      } catch {
        break;
      }
      samples++;
      if (cmdline === '') empty++;
      if (!processAlive(p, marker)) t.fail(`pid ${p.pid} read as dead while running (cmdline "${cmdline}")`);
    }
    await exited;
    t.false(processAlive(p, marker), 'exited');
  }
  t.true(samples > 100);
  t.log(`${samples} samples, ${empty} with an empty command line`);
  // PID 2 is kthreadd: empty command line, PF_KTHREAD.
  t.false(processAlive({ pid: 2, argv: [] }, marker));
});

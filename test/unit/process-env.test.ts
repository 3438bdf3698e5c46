// cluster/process-env.ts through spawnDetached: a long-running process starts with two malloc arenas unless the caller chose.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDetached } from '../../cluster/state.js';
import { longRunningEnv } from '../../cluster/process-env.js';

test('longRunningEnv: MALLOC_ARENA_MAX=2, a value the caller set wins, the rest kept', (t) => {
  t.deepEqual(longRunningEnv({ A: '1' }), { MALLOC_ARENA_MAX: '2', A: '1' });
  t.is(longRunningEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
});

test('spawnDetached: the process runs with MALLOC_ARENA_MAX=2 in its environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-penv-'));
  const saved = process.env.MALLOC_ARENA_MAX;
  delete process.env.MALLOC_ARENA_MAX;
  const p = await spawnDetached({ role: 'test', argv: ['sleep', '30'], log: join(dir, 'log') });
  t.teardown(() => {
    if (saved !== undefined) process.env.MALLOC_ARENA_MAX = saved;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const env = readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0');
  t.true(env.includes('MALLOC_ARENA_MAX=2'), env.filter((e) => e.startsWith('MALLOC')).join(' ') || 'no MALLOC_ARENA_MAX');
});

// The repository stands alone: nothing in it reads or links a path outside
// it, and a clone into an empty directory (with nothing beside it) installs
// and passes the unit suite. The clone takes the committed tree (HEAD), as a
// user's `git clone` would.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../testkit/process.js';

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, CI: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const isGitCheckout = existsSync(join(repoRoot, '.git'));

test('no tracked file names a path outside the repository', async (t) => {
  if (!isGitCheckout) return t.pass('not a git checkout: nothing to list');
  const files = (await run('git', ['ls-files', '-z'], repoRoot, 30_000)).out.split('\0').filter(Boolean);
  // Spelled in pieces so that this file does not find itself.
  const outside = [['..', 'shared'].join('/'), ['', 'work', ''].join('/'), ['shared', 'tutorials'].join('/'), ['DESIGN', 'md'].join('.')];
  const found: string[] = [];
  for (const f of files) {
    if (f === 'package-lock.json' || !existsSync(join(repoRoot, f))) continue;
    const text = readFileSync(join(repoRoot, f), 'utf8');
    for (const p of outside) if (text.includes(p)) found.push(`${f}: ${p}`);
  }
  t.deepEqual(found, []);
});

test('a clone with nothing beside it installs and passes the unit suite', async (t) => {
  if (!isGitCheckout) return t.pass('not a git checkout: nothing to clone');
  t.timeout(10 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-clone-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clone = join(dir, 'mk8s');
  const cloned = await run('git', ['clone', '--quiet', repoRoot, clone], dir, 60_000);
  t.is(cloned.code, 0, cloned.out);
  const install = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone, 5 * 60_000);
  t.is(install.code, 0, install.out);
  const unit = await run('npm', ['run', 'test:unit'], clone, 5 * 60_000);
  t.is(unit.code, 0, unit.out.slice(-4000));
  t.regex(unit.out, /\d+ tests? passed/);
});

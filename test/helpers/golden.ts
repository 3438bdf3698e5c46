// Golden files: expected outputs kept under test/**/golden/. Run with
// UPDATE_GOLDEN=1 to (re)write them, then review the diff like code.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { repoRoot } from '../../testkit/process.js';

export function golden(t: ExecutionContext, relPath: string, actual: string): void {
  const file = join(repoRoot, 'test', relPath);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.CI && !existsSync(file)) {
      t.fail(`golden file ${relPath} is missing`);
      return;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  t.is(actual, readFileSync(file, 'utf8'), `differs from golden ${relPath} (UPDATE_GOLDEN=1 to accept)`);
}

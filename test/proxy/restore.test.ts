// The ruleset against the real kernel: every golden case loads with one
// iptables-restore in a throwaway network namespace, and iptables-save reads
// back the same chains (modulo the kernel's rounding of probabilities).
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseSave } from '../../proxy/rules/render.js';
import { repoRoot, run } from '../helpers/process.js';

const dir = join(repoRoot, 'test', 'unit', 'golden', 'proxy');
const canAct = process.getuid?.() === 0 && (await run('iptables', ['--version'])).code === 0;
const maybe = canAct ? test.serial : test.serial.skip;

const normalize = (r: string) => r.replace(/--probability (\d\.\d{5})\d+/, '--probability $1');

maybe('every golden ruleset loads atomically and reads back unchanged', async (t) => {
  const ns = `mk8s-rt-${process.pid}`;
  t.is((await run('ip', ['netns', 'add', ns])).code, 0);
  t.teardown(() => run('ip', ['netns', 'del', ns]));
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const res = await run('ip', ['netns', 'exec', ns, 'iptables-restore', '-w', '5', '--noflush'], { input: text });
    t.is(res.code, 0, `${f}: ${res.stderr}`);
    const saved = parseSave((await run('ip', ['netns', 'exec', ns, 'iptables-save'])).stdout);
    const want = parseSave(text);
    for (const table of ['filter', 'nat'] as const) {
      for (const [chain, rules] of want[table]) {
        t.deepEqual((saved[table].get(chain) ?? []).map(normalize), rules.map(normalize), `${f} ${table} ${chain}`);
      }
    }
  }
});

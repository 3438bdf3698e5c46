// Running the CLI under test next to the real kubectl against one apiserver,
// and comparing what they print: tables column by column (AGE-like columns
// ignored), everything else exactly.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startCluster, type TestCluster } from '../controllers/harness.js';
import { findByKind } from '../../api/resources.js';
import { tutorialFixturesDir } from '../helpers/tutorials.js';

export const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../cli/main.js');
/** The real kubectl (v1.32 here; CI installs Debian's kubernetes-client when a machine lacks one). */
export const kubectlBin = existsSync('/usr/bin/kubectl') ? '/usr/bin/kubectl' : 'kubectl';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

// At most a few commands at once per test file: ava starts every test of a file together, and
// a hundred processes at once on two cores starve the cluster under test.
const MAX_CHILDREN = 3;
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function run(file: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return slot(() => spawnOnce(file, args, o));
}

function spawnOnce(file: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: { ...process.env, ...o.env }, cwd: o.cwd, timeout: o.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}

export function mk8s(kubeconfig: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [mainJs, '--kubeconfig', kubeconfig, ...args], o);
}

export function kubectl(kubeconfig: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], o);
}

/** A cluster (apiserver, controllers, fake kubelets) owned by a whole test file: close it in test.after.always. */
export async function startSharedCluster(nodes: number): Promise<TestCluster> {
  const fakeT = { teardown: () => undefined } as unknown as ExecutionContext;
  const cluster = await startCluster(fakeT, {
    nodes,
    // Stable lease times, so `describe node` reads the same twice.
    nodeOptions: { leaseRenewMs: 3_600_000 },
    controllers: { nodeMonitorGracePeriodSeconds: 3600, podEvictionTimeoutSeconds: 3600, lbPool: '172.18.0.200-172.18.0.250' },
  });
  // What a real kubelet reports about itself, so `get no -owide` has every column (awk '{print $6}' in tutorial 000 counts on it).
  const nodeType = findByKind('v1', 'Node')!;
  for (const k of cluster.kubelets) {
    await cluster.client.patch(nodeType, undefined, k.name, {
      status: { nodeInfo: { kubeletVersion: 'v1.32.0-mk8s', kubeProxyVersion: '', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-mk8s', containerRuntimeVersion: 'docker://24.0.7', operatingSystem: 'linux', architecture: 'amd64', machineID: '', systemUUID: '', bootID: '' } },
    }, 'application/merge-patch+json', 'status');
  }
  return cluster;
}

export interface ParsedTable {
  headers: string[];
  rows: string[][];
}

/** Split kubectl-style table output (header columns start where header words start) into blocks of tables. */
export function parseTables(text: string): ParsedTable[] {
  const blocks = text.split(/\n\s*\n/).filter((b) => b.trim());
  return blocks.map((b) => {
    const lines = b.split('\n').filter((l) => l.length);
    const header = lines[0];
    const starts: number[] = [];
    const re = /\S+(?: \S+)*/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(header))) starts.push(m.index);
    const cut = (l: string) => starts.map((s, i) => l.slice(s, i + 1 < starts.length ? starts[i + 1] : undefined).trim());
    return { headers: cut(header), rows: lines.slice(1).map(cut) };
  });
}

const AGE_COLUMNS = new Set(['AGE', 'LAST SEEN', 'FIRST SEEN']);

/** Output without headers: ages (`5s`, `3m2s`, `2d`) blanked, so rows compare cell for cell. */
export function withoutAges(text: string): string[][] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s{3,}/).map((c) => (/^\d+(s|m|h|d|y)(\d+(s|m|h|d))?$/.test(c) ? '<age>' : c)));
}

/** Tables equal column by column, ignoring AGE-like columns; also the same number of blocks and rows. */
export function assertSameTables(t: ExecutionContext, ours: string, theirs: string, what: string): void {
  if (what.includes('--no-headers')) {
    t.deepEqual(withoutAges(ours), withoutAges(theirs), `${what}\n--- mk8s\n${ours}\n--- kubectl\n${theirs}`);
    return;
  }
  const a = parseTables(ours);
  const b = parseTables(theirs);
  t.is(a.length, b.length, `${what}: number of tables\n--- mk8s\n${ours}\n--- kubectl\n${theirs}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    t.deepEqual(a[i].headers, b[i].headers, `${what}: headers of table ${i + 1}`);
    t.is(a[i].rows.length, b[i].rows.length, `${what}: rows of table ${i + 1}\n--- mk8s\n${ours}\n--- kubectl\n${theirs}`);
    for (let r = 0; r < Math.min(a[i].rows.length, b[i].rows.length); r++) {
      a[i].headers.forEach((h, c) => {
        if (AGE_COLUMNS.has(h)) return;
        t.is(a[i].rows[r][c], b[i].rows[r][c], `${what}: table ${i + 1} row ${r + 1} column ${h}\n--- mk8s\n${ours}\n--- kubectl\n${theirs}`);
      });
    }
  }
}

/** Run both; retry when they differ (a second boundary can change an age between the two runs). */
export async function bothUntilStable(kubeconfig: string, args: string[], same: (a: RunResult, b: RunResult) => boolean): Promise<[RunResult, RunResult]> {
  let pair: [RunResult, RunResult] = [await mk8s(kubeconfig, args), await kubectl(kubeconfig, args)];
  for (let i = 0; i < 3 && !same(...pair); i++) pair = [await mk8s(kubeconfig, args), await kubectl(kubeconfig, args)];
  return pair;
}

/** The YAML fixtures (the tutorials' files), read from the source tree. */
export const fixturesDir = tutorialFixturesDir;
export const fixture = (name: string) => join(fixturesDir, name);

/** Text with ages (`12s`, `3m2s`, `5d`) replaced and runs of spaces collapsed: equal when only ages differ. */
export function withoutAgeDrift(text: string): string {
  return text.replace(/\b\d+(s|m|h|d|y)(\d+(s|m|h|d))?\b/g, 'AGE').replace(/ {2,}/g, ' ');
}

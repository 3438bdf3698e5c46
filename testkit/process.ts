// Running mk8s commands as real child processes, for tests that need a
// separate process (kill -9, the real kubectl against our server).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const mk8sBin = join(repoRoot, 'dist', 'cli', 'main.js');

export interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Start `mk8s apiserver` in its own process and wait until it says where it listens. */
export function spawnApiServer(args: string[], timeoutMs = 15_000): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mk8sBin, 'apiserver', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MK8S_LOG_LEVEL: 'warn' } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`apiserver did not start in ${timeoutMs}ms: ${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /mk8s apiserver on (https:\/\/\S+?);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`apiserver exited with ${code}: ${out}`));
    });
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

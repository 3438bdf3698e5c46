// Running a lab's shell scripts (setup, verify, solution): plain `bash` in
// the lab's folder, with the lab cluster's KUBECONFIG and a PATH that has
// `mk8s` (and `kubectl`, running mk8s, where the machine has none). A script
// that runs past its timeout is stopped with its whole process group.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ScriptResult {
  code: number;
  /** stdout and stderr, interleaved as written. */
  output: string;
  timedOut: boolean;
}

export interface ScriptOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutSeconds: number;
  /** Echo output as it comes (solutions run for the learner). */
  onOutput?: (chunk: string) => void;
}

export function runScript(file: string, o: ScriptOptions): Promise<ScriptResult> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout stops the script and everything it started.
    const child = spawn('bash', [file], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const onData = (d: Buffer) => {
      const s = d.toString();
      output = (output + s).slice(-(1 << 20)); // the last MiB: the reason is at the end
      o.onOutput?.(s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
    };
    let killLater: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killLater = setTimeout(() => killGroup('SIGKILL'), 2000);
    }, o.timeoutSeconds * 1000);
    // The learner's Ctrl-C (or a SIGTERM to mk8s) reaches the script's group too: nothing runs on unsupervised.
    // A non-interactive bash starts background jobs with SIGINT ignored, so the group also gets SIGTERM,
    // then SIGKILL if it is still there.
    const forward = (signal: NodeJS.Signals) => () => {
      killGroup(signal);
      killGroup('SIGTERM');
      killLater ??= setTimeout(() => killGroup('SIGKILL'), 2000);
      process.exitCode = 130;
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, forward(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    const onExit = () => killGroup('SIGTERM');
    process.on('exit', onExit);
    const settle = (r: ScriptResult) => {
      clearTimeout(timer);
      if (killLater) {
        // Stopped (timeout or signal) and bash is gone: whatever of its group outlived SIGTERM goes now, not in 2 s
        // (we may exit before then). A background job caught between fork and exec when SIGTERM came can survive it.
        clearTimeout(killLater);
        killGroup('SIGKILL');
      }
      for (const [sig, h] of handlers) process.off(sig, h);
      process.off('exit', onExit);
      resolve(r);
    };
    child.on('error', (e) => settle({ code: 127, output: `cannot run bash: ${e.message}`, timedOut: false }));
    child.on('close', (code, signal) => settle({ code: code ?? (signal ? 128 : 1), output, timedOut }));
  });
}

function onPath(cmd: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/**
 * A folder of command shims for lab scripts: `mk8s` always, `kubectl` when
 * the PATH has none (both run this mk8s). Returns the folder.
 */
export function writeShims(dir: string, mainJs: string, path: string | undefined): string {
  mkdirSync(dir, { recursive: true });
  const shim = `#!/bin/sh\nexec '${process.execPath.replace(/'/g, "'\\''")}' '${mainJs.replace(/'/g, "'\\''")}' "$@"\n`;
  writeFileSync(join(dir, 'mk8s'), shim, { mode: 0o755 });
  if (!onPath('kubectl', path)) writeFileSync(join(dir, 'kubectl'), shim, { mode: 0o755 });
  return dir;
}

/** The environment lab scripts run in. */
export function scriptEnv(base: NodeJS.ProcessEnv, o: { kubeconfig: string; shimDir: string; labDir: string }): NodeJS.ProcessEnv {
  return { ...base, KUBECONFIG: o.kubeconfig, PATH: `${o.shimDir}${delimiter}${base.PATH ?? '/usr/bin:/bin'}`, MK8S_LAB_DIR: o.labDir };
}

/** The reason a failed verify gives: its last non-empty output line, or what happened. */
export function failureReason(r: ScriptResult, timeoutSeconds: number): string {
  if (r.timedOut) return `the check did not finish within ${timeoutSeconds} s and was stopped`;
  const lines = r.output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1] : `the check failed (exit code ${r.code}) without saying why`;
}

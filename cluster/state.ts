// What `mk8s up` made, recorded in the cluster's directory
// (`$MK8S_HOME/<name>/cluster.json`, MK8S_HOME defaulting to ~/.mk8s) so
// that `mk8s down` removes exactly that, and the background processes it
// started, found again by PID and checked by command line before a signal.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { ClusterLayout } from './layout.js';
import { longRunningEnv } from './process-env.js';

export function mk8sHome(): string {
  return process.env.MK8S_HOME ?? join(homedir(), '.mk8s');
}

export function clusterDir(name: string): string {
  return join(mk8sHome(), name);
}

/** The kubeconfig both mk8s and the real kubectl read (`export KUBECONFIG=…` not needed for mk8s). */
export function sharedKubeconfigPath(): string {
  return join(mk8sHome(), 'kubeconfig');
}

export interface ProcessSpec {
  /** `control-plane`, `node` (the node agent), or with split node components `kubelet` and `proxy`. */
  role: string;
  node?: string;
  argv: string[];
  log: string;
}

export interface RecordedProcess extends ProcessSpec {
  pid: number;
  startedAt: string;
}

export interface ClusterState {
  name: string;
  dir: string;
  layout: ClusterLayout;
  createdAt: string;
  processes: RecordedProcess[];
  kubeconfig: string;
  options: { nodeMonitorGracePeriodSeconds?: number; podEvictionTimeoutSeconds?: number; dnsUpstreams?: string; offline?: boolean; splitNodeComponents?: boolean; proxyMode?: 'iptables' | 'nftables'; storage?: 'level' | 'etcd' };
}

export function statePath(dir: string): string {
  return join(dir, 'cluster.json');
}

export async function readState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(dir), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

/** The recorded cluster (under MK8S_HOME) whose API server is `server` (a kubeconfig's URL), if any. */
export async function stateByServer(server: string): Promise<ClusterState | undefined> {
  let names: string[];
  try {
    names = await readdir(mk8sHome());
  } catch {
    return undefined;
  }
  const norm = (u: string) => u.replace(/\/+$/, '');
  for (const name of names.sort()) {
    const s = await readState(clusterDir(name));
    if (s?.layout?.apiServer && norm(s.layout.apiServer) === norm(server)) return s;
  }
  return undefined;
}

export async function writeState(s: ClusterState): Promise<void> {
  await mkdir(s.dir, { recursive: true });
  const tmp = `${statePath(s.dir)}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2) + '\n');
  await rename(tmp, statePath(s.dir));
}

/** Whether `pid` is alive and is the process we started (its command line names our cluster dir). */
export function processAlive(p: { pid: number; argv: string[] }, marker: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    // Fields after the command name: state, ppid, pgrp, session, tty, tpgid, flags.
    const [state, , , , , , flags] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (state Z) has exited; its parent just hasn't reaped it.
    if (state === 'Z') return false;
    // In the middle of execve (`ip netns exec` becoming node) the command line reads empty for a moment;
    // so does a kernel thread (PF_KTHREAD) that reused the PID, and a process on its way out (PF_EXITING).
    if (cmdline === '') return (Number(flags) & (0x00200000 | 0x4)) === 0;
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

/** Start a background process that outlives `mk8s up` (own session, output to its log). */
export async function spawnDetached(spec: ProcessSpec): Promise<RecordedProcess> {
  await mkdir(dirname(spec.log), { recursive: true });
  const fd = openSync(spec.log, 'a');
  try {
    const child = spawn(spec.argv[0], spec.argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: longRunningEnv(process.env) });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    return { ...spec, pid, startedAt: new Date().toISOString() };
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, then SIGKILL after `graceMs`; only if the PID is still ours. */
export async function stopProcess(p: RecordedProcess, marker: string, graceMs = 5000): Promise<void> {
  if (!processAlive(p, marker)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (!processAlive(p, marker)) return;
    await sleep(100);
  }
  if (processAlive(p, marker)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 50 && processAlive(p, marker); i++) await sleep(100);
  }
}

export function tailFile(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

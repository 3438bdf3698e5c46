// Helpers for the e2e tests that build real node networks: whether this
// machine can (root, Docker, iptables, CNI plugins), and a snapshot of the
// machine's network and containers to diff before `up` and after `down`.
import { existsSync } from 'node:fs';
import { exec } from '../../cluster/exec.js';

/** Why the e2e tests can't run here, or undefined when they can. */
export async function whyNoClusterTests(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables)';
  if ((await exec(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 })).code !== 0) return 'needs a running Docker engine';
  if ((await exec(['iptables', '-w', '-S', 'FORWARD'])).code !== 0) return 'needs iptables';
  if (!existsSync('/usr/lib/cni/bridge') || !existsSync('/usr/lib/cni/host-local')) return 'needs the CNI plugins (containernetworking-plugins)';
  return undefined;
}

export interface MachineSnapshot {
  netns: string[];
  links: string[];
  routes: string[];
  iptables: string[];
  containers: string[];
}

const lines = (s: string) => s.split('\n').map((l) => l.trimEnd()).filter(Boolean);

export async function snapshotMachine(): Promise<MachineSnapshot> {
  const [netns, links, routes, ipt, ps] = await Promise.all([
    exec(['ip', 'netns', 'list']),
    exec(['ip', '-o', 'link', 'show']),
    exec(['ip', 'route', 'show', 'table', 'all']),
    exec(['iptables-save']),
    exec(['docker', 'ps', '-a', '--format', '{{.ID}} {{.Names}} {{.Labels}}']),
  ]);
  return {
    netns: lines(netns.stdout).map((l) => l.split(' ')[0]),
    // Link state and flags change with traffic (e.g. docker0's carrier); names and kinds matter.
    links: lines(links.stdout).map((l) => {
      const m = /^\d+: ([^:@]+)[@:]/.exec(l);
      return m ? m[1] : l;
    }),
    routes: lines(routes.stdout),
    // Counters and the dump's timestamps differ between two saves of the same rules.
    iptables: lines(ipt.stdout).filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')),
    containers: lines(ps.stdout),
  };
}

/** Lines added or removed between two snapshots, e.g. `+ links: mk8s0`. */
export function diffSnapshots(before: MachineSnapshot, after: MachineSnapshot): string[] {
  const out: string[] = [];
  for (const k of Object.keys(before) as (keyof MachineSnapshot)[]) {
    const a = new Set(before[k]);
    const b = new Set(after[k]);
    for (const l of b) if (!a.has(l)) out.push(`+ ${k}: ${l}`);
    for (const l of a) if (!b.has(l)) out.push(`- ${k}: ${l}`);
  }
  return out;
}

// `mk8s down`: stop the processes `mk8s up` started (by recorded PID), remove
// the pods' containers (by their io.mk8s.node label), the node network (every
// netns, veth, bridge, route and iptables rule it made) and the cluster's
// files, the API data kept with --keep-data.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { networkDown } from './network.js';
import { exec } from './exec.js';
import { clusterDir, readState, sharedKubeconfigPath, stopProcess, statePath } from './state.js';
import { defaultClusterOptions } from './layout.js';

export interface DownOptions {
  name?: string;
  keepData?: boolean;
  /** Keep logs/ too (a failed `up` leaves them to read). */
  keepLogs?: boolean;
  say?: (line: string) => void;
}

/** Every container the cluster's kubelets made, running or not. */
export async function clusterContainers(nodes: string[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const n of nodes) {
    const r = await exec(['docker', 'ps', '-aq', '--no-trunc', '--filter', `label=io.mk8s.node=${n}`]);
    for (const id of r.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) ids.add(id);
  }
  return [...ids];
}

export async function down(o: DownOptions = {}): Promise<number> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const name = o.name ?? defaultClusterOptions.name;
  const dir = clusterDir(name);
  const s = await readState(dir);
  if (!s) {
    say(`no cluster "${name}" (nothing recorded in ${dir})`);
    return 0;
  }
  // Node agents first (they would otherwise see their pods vanish), the control plane last.
  const agents = s.processes.filter((p) => p.role !== 'control-plane' && p.role !== 'etcd');
  await Promise.all(agents.map((p) => stopProcess(p, s.dir)));
  for (const p of s.processes.filter((p) => p.role === 'control-plane')) await stopProcess(p, s.dir);
  // etcd after the API servers that write to it (its data dir goes with the cluster dir, kept with --keep-data).
  await Promise.all(s.processes.filter((p) => p.role === 'etcd').map((p) => stopProcess(p, s.dir)));
  say(`  ✓ stopped ${s.processes.length} process(es)`);

  const ids = await clusterContainers(s.layout.nodes.map((n) => n.name));
  if (ids.length) {
    for (let i = 0; i < ids.length; i += 50) await exec(['docker', 'rm', '-f', ...ids.slice(i, i + 50)], { timeoutMs: 120_000 });
  }
  say(`  ✓ removed ${ids.length} container(s)`);

  // Deleting a node's netns destroys what lives in it: cni0, the pods' veths, its end of the node veth.
  await networkDown(s.layout);
  say(`  ✓ removed the node network (${s.layout.options.bridge}, ${s.layout.nodes.length} namespace(s), routes, ${s.layout.forwardChain})`);

  // The shared kubeconfig goes only if it is this cluster's.
  try {
    const text = await readFile(sharedKubeconfigPath(), 'utf8');
    if (text.includes(`server: ${s.layout.apiServer}`)) await rm(sharedKubeconfigPath(), { force: true });
  } catch {
    /* none */
  }
  const keep = new Set<string>([...(o.keepData ? ['apiserver', 'etcd', 'pki'] : []), ...(o.keepLogs ? ['logs'] : [])]);
  if (keep.size === 0) await rm(dir, { recursive: true, force: true });
  else {
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      if (!keep.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    }
    await rm(statePath(dir), { force: true });
  }
  // With etcd storage the objects are in etcd's data dir; the apiserver dir keeps its certificates and token.
  const dataDir = join(dir, s.options.storage === 'etcd' ? 'etcd' : 'apiserver');
  say(`cluster "${name}" is down${o.keepData ? ` (API data kept in ${dataDir})` : ''}`);
  return 0;
}

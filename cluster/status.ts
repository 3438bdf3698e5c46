// `mk8s status`: the cluster's processes (alive or not), its node network,
// and the nodes as the API server sees them.
import { existsSync } from 'node:fs';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { clusterDir, mk8sHome, processAlive, readState } from './state.js';
import { defaultClusterOptions } from './layout.js';
import { findByPlural } from '../api/resources.js';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function status(o: { name?: string; say?: (l: string) => void } = {}): Promise<number> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const name = o.name ?? defaultClusterOptions.name;
  const s = await readState(clusterDir(name));
  if (!s) {
    const others = [];
    for (const d of await readdir(mk8sHome()).catch(() => [] as string[])) if (existsSync(join(mk8sHome(), d, 'cluster.json'))) others.push(d);
    say(`no cluster "${name}"${others.length ? ` (clusters here: ${others.join(', ')}; use --name)` : ' (start one: mk8s up)'}`);
    return 1;
  }
  const l = s.layout;
  say(`cluster:     ${s.name} (since ${s.createdAt})`);
  say(`api server:  ${l.apiServer}`);
  say(`kubeconfig:  ${s.kubeconfig}`);
  say(`network:     bridge ${l.options.bridge} ${l.hostIp}/${l.prefixLen}, pods ${l.options.podCidr}, services ${l.options.serviceCidr}`);
  say('processes:');
  let dead = 0;
  for (const p of s.processes) {
    const alive = processAlive(p, s.dir);
    if (!alive) dead++;
    say(`  ${(p.role + (p.node ? ` ${p.node}` : '')).padEnd(40)} pid ${String(p.pid).padEnd(8)} ${alive ? 'running' : 'NOT RUNNING'}   log ${p.log}`);
  }
  say('nodes:');
  let client: Client | undefined;
  try {
    client = new Client(loadKubeconfig(join(s.dir, 'kubeconfig')));
    const nodes = await readyNodes(client);
    for (const n of l.nodes) {
      const api = nodes.find((x) => x.name === n.name);
      say(`  ${n.name.padEnd(30)} ${n.ip.padEnd(15)} pods ${n.podCidr.padEnd(18)} ${api ? (api.ready ? 'Ready' : 'NotReady') : 'not registered'}`);
    }
  } catch (e) {
    say(`  (API server not answering: ${(e as Error).message})`);
    dead++;
  } finally {
    client?.close();
  }
  if (dead) say(`\n${dead} problem(s): mk8s up${name === 'mk8s' ? '' : ` --name ${name}`} restarts what died`);
  return dead ? 1 : 0;
}

export async function readyNodes(client: Client): Promise<{ name: string; ready: boolean; heartbeat: number }[]> {
  const nodes = await client.list(findByPlural('', 'nodes')!);
  return nodes.items.map((n) => {
    const ready = (n.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
    return { name: n.metadata.name!, ready: ready?.status === 'True', heartbeat: Date.parse(ready?.lastHeartbeatTime ?? '') || 0 };
  });
}

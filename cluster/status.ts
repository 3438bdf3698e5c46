// `mk8s status`: the cluster's processes (alive or not), its node network,
// and the nodes as the API server sees them.
import { existsSync } from 'node:fs';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { clusterDir, mk8sHome, processAlive, readState, type ClusterState } from './state.js';
import { exec } from './exec.js';
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
  if (s.options.storage === 'etcd') {
    say('etcd members:');
    for (const m of await etcdMembers(s)) {
      say(`  ${m.name.padEnd(30)} ${m.url.padEnd(28)} ${m.healthy ? 'healthy' : 'UNHEALTHY'}${m.leader ? '   leader' : ''}`);
      if (!m.healthy) dead++;
    }
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
    if ((l.options.controlPlanes ?? 1) > 1) {
      const lease = await client.get(findByPlural('coordination.k8s.io', 'leases')!, 'kube-system', 'kube-controller-manager').catch(() => undefined);
      say(`controllers: leader ${lease?.spec?.holderIdentity ?? '(none yet)'} (Lease kube-system/kube-controller-manager)`);
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

/** Each etcd member: its client URL, whether /health answers true, and whether it leads (etcdctl endpoint status). */
export async function etcdMembers(s: ClusterState): Promise<{ name: string; url: string; healthy: boolean; leader: boolean }[]> {
  const { clusterEtcd } = await import('./up.js');
  const { clientUrl, memberHealthy, etcdctlCommand } = await import('./etcd.js');
  const spec = clusterEtcd(s.layout, s.dir);
  const urls = spec.members.map((m) => clientUrl(m, spec.tls));
  const healthy = await Promise.all(urls.map((u) => memberHealthy(u, spec.tls, 1500)));
  const leaders = new Set<string>();
  const c = etcdctlCommand(urls.filter((_, i) => healthy[i]), spec.tls, ['endpoint', 'status', '-w', 'json', '--command-timeout=2s']);
  if (healthy.some(Boolean)) {
    const r = await exec(c.argv, { env: { ...process.env, ...c.env }, timeoutMs: 5000 });
    // Member IDs are uint64: compared as the digits etcdctl printed, not as JSON numbers (which round them).
    for (const part of r.stdout.split('{"Endpoint":').slice(1)) {
      const url = /^"([^"]+)"/.exec(part)?.[1];
      const id = /"member_id":(\d+)/.exec(part)?.[1];
      const leader = /"leader":(\d+)/.exec(part)?.[1];
      if (url && id && id === leader) leaders.add(url);
    }
  }
  return spec.members.map((m, i) => ({ name: m.name, url: urls[i], healthy: healthy[i], leader: leaders.has(urls[i]) }));
}

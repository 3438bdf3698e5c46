// A real cluster for e2e tests: `mk8s up` as a child process with its own
// MK8S_HOME (a temp dir) and a name, bridge and address ranges no other test
// uses; `down()` removes it (called from ava's after.always, so also on failure).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { findByPlural } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { mk8sBin, run, type RunResult } from './process.js';
import { eventually } from './api.js';
import { clusterLayout, defaultClusterOptions } from '../cluster/layout.js';
import { networkDown } from '../cluster/network.js';
import { clusterContainers } from '../cluster/down.js';
import { exec } from '../cluster/exec.js';

export const R = {
  pods: findByPlural('', 'pods')!,
  nodes: findByPlural('', 'nodes')!,
  services: findByPlural('', 'services')!,
  endpoints: findByPlural('', 'endpoints')!,
  events: findByPlural('', 'events')!,
  deployments: findByPlural('apps', 'deployments')!,
};

export interface ClusterParams {
  name: string;
  nodes: number;
  bridge: string;
  nodeCidr: string;
  podCidr: string;
  serviceCidr: string;
  extra?: string[];
}

export interface TestCluster {
  params: ClusterParams;
  home: string;
  kubeconfig: string;
  client: Client;
  upOutput: string;
  upSeconds: number;
  mk8s(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** The cluster's recorded processes (cluster.json). */
  state(): Promise<any>;
  podsOf(selector: string): Promise<KubeObject[]>;
  down(): Promise<RunResult>;
}

export function upArgs(p: ClusterParams): string[] {
  // Names outside the cluster zone go to a resolver that is not there (the node's own loopback), so a
  // test's DNS traffic stays on the machine and fails fast (SERVFAIL); a test that needs answers gives its own.
  const dns = (p.extra ?? []).includes('--dns-upstream') ? [] : ['--dns-upstream', '127.0.0.1:53'];
  return ['up', '--nodes', String(p.nodes), '--name', p.name, '--bridge', p.bridge, '--node-cidr', p.nodeCidr, '--pod-cidr', p.podCidr, '--service-cidr', p.serviceCidr, ...dns, ...(p.extra ?? [])];
}

/** Leftovers of an earlier run of the same test that died before its cleanup (names are this test's own). */
async function removeLeftovers(p: ClusterParams): Promise<void> {
  const layout = clusterLayout({ ...defaultClusterOptions, ...p });
  const ids = await clusterContainers(layout.nodes.map((n) => n.name));
  if (ids.length) await exec(['docker', 'rm', '-f', ...ids]);
  await networkDown(layout);
}

export async function startCluster(p: ClusterParams): Promise<TestCluster> {
  await removeLeftovers(p);
  const home = await mkdtemp(join(tmpdir(), `mk8s-e2e-${p.name}-`));
  const env = { MK8S_HOME: home, MK8S_LOG_LEVEL: 'info', KUBECONFIG: join(home, 'kubeconfig') };
  const mk8s = (args: string[], o: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}) =>
    run(process.execPath, [mk8sBin, ...args], { ...o, env: { ...env, ...o.env } });
  const kubectl = (args: string[], o: { input?: string; timeoutMs?: number } = {}) => run('kubectl', args, { env, timeoutMs: 30_000, ...o });
  const started = Date.now();
  const up = await mk8s(upArgs(p), { timeoutMs: 150_000 });
  const upSeconds = (Date.now() - started) / 1000;
  const down = async () => {
    const r = await mk8s(['down', '--name', p.name], { timeoutMs: 120_000 });
    await rm(home, { recursive: true, force: true });
    return r;
  };
  if (up.code !== 0) {
    await down();
    throw new Error(`mk8s up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
  }
  const kubeconfig = join(home, 'kubeconfig');
  const client = new Client(loadKubeconfig(kubeconfig));
  return {
    params: p,
    home,
    kubeconfig,
    client,
    upOutput: up.stdout,
    upSeconds,
    mk8s,
    kubectl,
    async state() {
      const { readFile } = await import('node:fs/promises');
      return JSON.parse(await readFile(join(home, p.name, 'cluster.json'), 'utf8'));
    },
    async podsOf(selector: string) {
      return (await client.list(R.pods, 'default', { labelSelector: selector })).items;
    },
    async down() {
      client.close();
      return down();
    },
  };
}

export const isReady = (pod: KubeObject) => (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

/** Wait until `n` pods match `selector`, all Running and Ready, none terminating. */
export async function runningPods(c: TestCluster, selector: string, n: number, timeoutMs = 60_000): Promise<KubeObject[]> {
  const pods = await eventually(async () => {
    const pods = (await c.podsOf(selector)).filter((p) => !p.metadata.deletionTimestamp);
    return pods.length === n && pods.every((p) => p.status?.phase === 'Running' && isReady(p)) ? pods : undefined;
  }, timeoutMs, 250);
  return pods!;
}

/** A plain HTTP GET through busybox nc from inside a pod (exec via the real kubectl). */
export async function httpFromPod(c: TestCluster, pod: string, ip: string, port = 80): Promise<RunResult> {
  return c.kubectl(['exec', pod, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port}`], { timeoutMs: 20_000 });
}

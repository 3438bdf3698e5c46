// The container entrypoints of docker-compose.yml (thin: the shapes come from
// compose-layout.ts). Run as `node dist/cluster/compose-entry.js ROLE`:
// - control-plane: the control-plane process (apiserver + controllers) on the
//   control plane's address; once it answers, the kubeconfigs: one for the
//   nodes and `mk8s` inside the containers, one for the host (server on the
//   host's loopback, where the port is published).
// - node: forwarding and routes in the container's own namespace, the node's
//   certificate, then the kubelet and the proxy (restarted when they die);
//   on SIGTERM both stop and the node's pod containers are removed.
// - images: the built-in images missing on the host's engine, then exits.
// - host-routes: the host's `unreachable` safety routes for the pod and
//   service ranges, removed on SIGTERM (runs in the host's network namespace).
// Each writes /run/mk8s-ready when it is up (the compose healthchecks).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ensureCA, ensureNodeServingCert } from '../apiserver/certs.js';
import { controlPlaneEntry } from './control-plane.js';
import { exec } from './exec.js';
import { LABEL as LABELS } from '../kubelet/runtime.js';
import { composeControlPlaneArgv, composeEnv, composeNode, composeNodeAgents, controlPlaneIp, hostKubeconfig, type ComposeEnv } from './compose-layout.js';
import { parseProxyMode } from '../proxy/backends.js';
import { longRunningEnv } from './process-env.js';

const READY_FILE = '/run/mk8s-ready';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (line: string) => process.stdout.write(`${line}\n`);

async function must(argv: string[]): Promise<string> {
  const r = await exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Until the API server at this kubeconfig answers /readyz. */
async function waitForApi(kubeconfig: string, timeoutMs: number, alive: () => boolean = () => true): Promise<Client> {
  const until = Date.now() + timeoutMs;
  let last = 'no kubeconfig yet';
  while (Date.now() < until && alive()) {
    if (existsSync(kubeconfig)) {
      try {
        const client = new Client(loadKubeconfig(kubeconfig));
        try {
          await client.request('GET', '/readyz', { timeoutMs: 2000 });
          return client;
        } catch (e) {
          last = (e as Error).message;
          client.close();
        }
      } catch (e) {
        last = (e as Error).message;
      }
    }
    await sleep(200);
  }
  throw new Error(`the API server did not answer (${last})`);
}

// ------------------------------------------------------------ control plane

async function controlPlane(e: ComposeEnv): Promise<void> {
  await rm(READY_FILE, { force: true });
  const child = spawn(process.execPath, composeControlPlaneArgv(e, controlPlaneEntry, process.execPath).slice(1), { stdio: 'inherit', env: longRunningEnv(process.env) });
  let exited = false;
  child.on('exit', (code, signal) => {
    exited = true;
    say(`control plane exited (${signal ?? code})`);
    process.exit(code ?? 1);
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      // `down` stops the nodes first: pods of a node that could not remove them itself (killed) go now.
      removeOrphanPods(e)
        .then((n) => n && say(`control plane: removed ${n} pod container(s) of stopped nodes`))
        .catch((err) => say(`control plane: leftover pods not removed: ${(err as Error).message}`))
        .finally(() => child.kill(sig));
    });
  }
  const own = join(e.dataDir, 'apiserver', 'kubeconfig');
  const client = await waitForApi(own, 60_000, () => !exited);
  client.close();
  // The nodes' kubeconfig (the shared volume), `mk8s` inside the containers, and the host's.
  await copyFile(own, join(e.dataDir, 'kubeconfig'));
  await mkdir('/root/.mk8s', { recursive: true });
  await copyFile(own, '/root/.mk8s/kubeconfig');
  const hostFile = process.env.MK8S_HOST_KUBECONFIG;
  if (hostFile) {
    await mkdir(dirname(hostFile), { recursive: true });
    await writeFile(hostFile, hostKubeconfig(await readFile(own, 'utf8'), Number(process.env.MK8S_HOST_API_PORT || e.apiPort)), { mode: 0o600 });
    // The host user's, as the folder (the clone's .mk8s/): kubectl runs as them, not as root.
    const owner = await stat(dirname(hostFile));
    await chown(hostFile, owner.uid, owner.gid);
    await chmod(hostFile, 0o600);
  }
  await writeFile(READY_FILE, '');
  say(`control plane ready: API server https://${controlPlaneIp(e)}:${e.apiPort} (from the host: https://127.0.0.1:${process.env.MK8S_HOST_API_PORT || e.apiPort}); kubeconfig for the host: ${process.env.MK8S_HOST_KUBECONFIG_SHOWN ?? hostFile ?? '-'}`);
}

// ------------------------------------------------------------------- node

/** The container's address on the compose network (eth0). */
async function ownAddress(): Promise<string> {
  const out = await must(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  const m = /inet ([\d.]+)\//.exec(out);
  if (!m) throw new Error(`eth0 has no IPv4 address: ${out.trim()}`);
  return m[1];
}

/** A program kept running: restarted a second after it dies, until stop(). */
class Supervised {
  child?: ChildProcess;
  stopping = false;
  constructor(readonly role: string, readonly argv: string[]) {}
  start(): void {
    const child = spawn(this.argv[0], this.argv.slice(1), { stdio: 'inherit', env: longRunningEnv(process.env) });
    this.child = child;
    // Its PID (the host's: nodes share the host's PID namespace), for `kill` by PID.
    if (child.pid) writeFile(`/run/mk8s-${this.role}.pid`, `${child.pid}\n`).catch(() => undefined);
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      say(`${this.role} exited (${signal ?? code}); restarting it`);
      setTimeout(() => !this.stopping && this.start(), 1000);
    });
  }
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    if (!(await Promise.race([done.then(() => true), sleep(timeoutMs).then(() => false)]))) {
      c.kill('SIGKILL');
      await done;
    }
  }
}

async function node(e: ComposeEnv): Promise<void> {
  await rm(READY_FILE, { force: true });
  const ip = await ownAddress();
  const self = composeNode(e, process.env.MK8S_NODE_NAME || hostname(), ip);
  say(`node ${self.name}: ${self.ip}, pods ${self.podCidr}`);
  // Docker mounts /proc/sys read-only without `privileged`; the proxy and the CNI plugins write this namespace's net.* there.
  if ((await exec(['mount', '-o', 'remount,rw,bind', '/proc/sys'])).code !== 0) say('warning: /proc/sys stays read-only (needs CAP_SYS_ADMIN)');
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
  const { nodeRoutes } = await import('./compose-layout.js');
  const batch = nodeRoutes(e, self).map((r) => `route replace ${r.join(' ')}`).join('\n');
  const r = await new Promise<number>((resolve) => {
    const p = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'inherit', 'inherit'] });
    p.on('exit', (code) => resolve(code ?? 1));
    p.stdin.end(`${batch}\n`);
  });
  if (r !== 0) throw new Error('adding the node routes failed');
  // The CA is the control plane's (it is healthy before nodes start): never make one here.
  const caDir = join(e.dataDir, 'apiserver');
  if (!existsSync(join(caDir, 'ca.key'))) throw new Error(`no cluster CA in ${caDir}: is the control plane up?`);
  await ensureNodeServingCert(join(e.dataDir, 'pki'), await ensureCA(caDir), self);

  // Pods' files (resolv.conf, volumes) are bind-mounted by the host's engine, which reads host paths:
  // the kubelet works under the volume's host path, reachable here through a symlink to the mount.
  const hostData = await hostPathOf(self, e.dataDir);
  if (hostData !== e.dataDir && !existsSync(hostData)) {
    await mkdir(dirname(hostData), { recursive: true });
    await symlink(e.dataDir, hostData);
  }
  say(`node ${self.name}: data ${e.dataDir} (on the host: ${hostData})`);
  // MK8S_PROXY_MODE: iptables (default) or nftables, as mk8s up --proxy-mode.
  const proxyMode = parseProxyMode(process.env.MK8S_PROXY_MODE || undefined);
  const agents = composeNodeAgents({ ...e, dataDir: hostData }, self, { offline: process.env.MK8S_OFFLINE === '1', dnsUpstreams: process.env.MK8S_DNS_UPSTREAMS || undefined, proxyMode }).map((p) => new Supervised(p.role, p.argv));
  for (const a of agents) a.start();
  say(`node ${self.name}: kubelet and proxy started`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say(`node ${self.name}: stopping the kubelet and the proxy`);
    await Promise.all(agents.map((a) => a.stop(10_000)));
    const removed = await removePods(self.name, join(hostData, 'nodes', self.name, 'ipam'));
    say(`node ${self.name}: removed ${removed} pod container(s)`);
    await rm(READY_FILE, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // Healthy while the node is Ready in the API.
  const client = await waitForApi(join(e.dataDir, 'kubeconfig'), 60_000);
  let shown: boolean | undefined;
  for (;;) {
    let ready = false;
    try {
      const n = (await client.request('GET', `/api/v1/nodes/${self.name}`, { timeoutMs: 3000 })) as { status?: { conditions?: { type: string; status: string }[] } };
      ready = (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    } catch {
      /* not registered yet, or the API is busy */
    }
    if (ready !== shown && !stopping) {
      say(`node ${self.name}: ${ready ? 'Ready' : shown === undefined ? 'waiting to be Ready' : 'not Ready'}`);
      shown = ready;
      if (ready) await writeFile(READY_FILE, '');
      else await rm(READY_FILE, { force: true });
    }
    await sleep(1000);
  }
}

/** Where this container's `dir` mount comes from on the host (this container: its compose service, its address). */
async function hostPathOf(self: { name: string; ip: string }, dir: string): Promise<string> {
  const docker = new Docker();
  const list = await docker.listContainers({ filters: { label: [`com.docker.compose.service=${self.name}`] } });
  const me = list.find((c) => Object.values(c.NetworkSettings?.Networks ?? {}).some((n) => n.IPAddress === self.ip));
  if (!me) throw new Error(`cannot find this node's container (compose service ${self.name}, address ${self.ip}) through the Docker socket`);
  const m = me.Mounts.find((x) => x.Destination === dir);
  if (!m?.Source) throw new Error(`this node's container has no mount at ${dir}`);
  return m.Source;
}

/**
 * The pod containers of this project's node services whose container is not
 * running (a node removes its own pods when it stops; one killed outright
 * cannot). A node that runs keeps its pods, so a lone restart of the control
 * plane touches nothing.
 */
async function removeOrphanPods(e: ComposeEnv): Promise<number> {
  const docker = new Docker();
  const me = await docker.getContainer(hostname()).inspect();
  const project = me.Config.Labels['com.docker.compose.project'];
  if (!project) return 0;
  const all = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
  let removed = 0;
  for (const c of all) {
    if (c.Command.split(' ').at(-1) !== 'node' || c.State === 'running') continue;
    const service = c.Labels['com.docker.compose.service'];
    if (service) removed += await removePods(service, join(e.dataDir, 'nodes', service, 'ipam'));
  }
  return removed;
}

/** Force-removes the containers the kubelet made for this node (label io.mk8s.node). */
async function removePods(nodeName: string, ipamDir: string): Promise<number> {
  const docker = new Docker();
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABELS.node}=${nodeName}`] } });
  // App containers first, the pause (sandbox) containers that hold the netns last.
  list.sort((a, b) => Number(a.Labels[LABELS.role] === 'pause') - Number(b.Labels[LABELS.role] === 'pause'));
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  // Their IP leases (host-local's `<ipam>/<network>/<ip>` files hold the container ID), so a restarted node does not run out.
  const ids = new Set(list.map((c) => c.Id));
  for (const net of await readdir(ipamDir).catch(() => [] as string[])) {
    for (const f of await readdir(join(ipamDir, net)).catch(() => [] as string[])) {
      const owner = (await readFile(join(ipamDir, net, f), 'utf8').catch(() => '')).split(/\s/)[0];
      if (ids.has(owner)) await rm(join(ipamDir, net, f), { force: true });
    }
  }
  return list.length;
}

// -------------------------------------------------------------- host routes

async function hostRoutes(e: ComposeEnv): Promise<void> {
  const routes = [e.podCidr, e.serviceCidr];
  for (const c of routes) await must(['ip', 'route', 'replace', 'unreachable', c]);
  say(`host: unreachable routes for ${routes.join(', ')}`);
  await writeFile(READY_FILE, '');
  const stop = async () => {
    for (const c of routes) await exec(['ip', 'route', 'del', 'unreachable', c]);
    say(`host: removed the routes for ${routes.join(', ')}`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30);
}

// ------------------------------------------------------------------- images

/**
 * The built-in images that are missing on the host's engine, built from this
 * image's busybox/curl/dnsutils. Present ones are kept, even when `mk8s up`
 * built them from the host's (slightly different) programs: rebuilding would
 * replace the images under the host's clusters.
 */
async function images(): Promise<void> {
  const { BUILTIN_IMAGE_NAMES } = await import('../images/aliases.js');
  const { RECIPES } = await import('../images/recipes.js');
  const { buildImages } = await import('../images/build.js');
  const missing = [];
  for (const name of BUILTIN_IMAGE_NAMES) if ((await exec(['docker', 'image', 'inspect', RECIPES[name].ref])).code !== 0) missing.push(name);
  if (!missing.length) {
    say(`images: the ${BUILTIN_IMAGE_NAMES.length} built-in images are present`);
    return;
  }
  const r = await buildImages({ only: missing, log: say });
  say(`images: built ${r.built.join(', ')}`);
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const e = composeEnv(process.env);
  if (role === 'control-plane') return controlPlane(e);
  if (role === 'node') return node(e);
  if (role === 'host-routes') return hostRoutes(e);
  if (role === 'images') return images();
  throw new Error(`usage: compose-entry.js control-plane|node|host-routes|images (got "${role ?? ''}")`);
}

main().catch((err) => {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
});

// The proxy loop, one per node, running inside the node's network namespace:
// informers on Services, EndpointSlices and Nodes → desiredRules (pure) →
// IptablesApplier (one iptables-restore), coalesced to at most one sync per
// minSyncPeriod; every syncPeriod a cheap check that the kernel still holds
// our rules (a full sync if not), and a full sync every hour as kube-proxy
// does; LoadBalancer IPs announced on the
// chosen node; health-check nodePorts for Local traffic policy; /healthz and
// /metrics like kube-proxy's.
import http from 'node:http';
import { pino, type Logger } from 'pino';
import type { NodeTlsFiles } from '../api/node-auth.js';
import { findByPlural } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import type { SharedInformers } from '../client/shared-informers.js';
import { RulesCache, desiredRules, servicePorts, usableEndpoints } from './rules/desired.js';
import { IptablesApplier, execCommand, type Exec } from './apply.js';
import { announcedBy, lbAnnouncers } from './lb.js';
import { ProxyMetrics } from './metrics.js';
import { liveRulesFor } from './rules/live.js';
import { startDnsServer, type DnsServer, type Upstream } from './dns/server.js';
import { listenStatusPort } from './status-port.js';
import { checkNodeClient, peerOf } from '../api/node-auth.js';
import { buildZone, type ZoneData } from './dns/zone.js';

export interface ProxyOptions {
  client: Client;
  nodeName: string;
  nodeIP: string;
  clusterCIDR?: string;
  serviceCIDR?: string;
  /** Address for /healthz (kube-proxy: 10256) and /metrics (kube-proxy: 10249). */
  healthPort?: number;
  metricsPort?: number;
  /** Where /healthz and /metrics listen (default: the node IP). */
  healthBind?: string;
  /**
   * The node's serving certificate and the CA of the clients allowed /rules (the apiserver's):
   * /rules is served only over TLS to the apiserver's client certificate (without these, to nobody).
   */
  tls?: NodeTlsFiles;
  minSyncMs?: number;
  /** How often to check that the kernel still holds our rules (kube-proxy's syncPeriod; default 30 s). */
  resyncMs?: number;
  /** How often to rewrite everything regardless (kube-proxy: 1 h). */
  fullSyncMs?: number;
  logger?: Logger;
  exec?: Exec;
  /** The process's shared informers (`mk8s node`): services, slices and nodes are watched once for all its components. */
  informers?: SharedInformers;
  /** Serve cluster DNS on this node (node-local, like NodeLocal DNSCache). */
  dns?: {
    /** The node-local address (169.254.20.10), added to `lo` when it is not a loopback address. */
    bind: string;
    port?: number;
    metricsPort?: number;
    upstreams: Upstream[];
    zone?: string;
    ttl?: number;
  };
}

export interface Proxy {
  stop(): Promise<void>;
  /** Resolves after the next sync completes (tests, benchmarks). */
  synced(): Promise<void>;
  metrics: ProxyMetrics;
  dns?: DnsServer;
}

export async function startProxy(o: ProxyOptions): Promise<Proxy> {
  const log = o.logger ?? pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const exec = o.exec ?? execCommand;
  const cfg = { clusterCIDR: o.clusterCIDR ?? '10.244.0.0/16' };
  const inf = (group: string, plural: string) => o.informers?.informer(findByPlural(group, plural)!) ?? new Informer(o.client, findByPlural(group, plural)!, { log });
  const services = inf('', 'services');
  const slices = inf('discovery.k8s.io', 'endpointslices');
  const nodes = inf('', 'nodes');
  const applier = new IptablesApplier(exec);
  const metrics = new ProxyMetrics();
  const minSync = o.minSyncMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let dirty = false;
  let fullNext = false;
  let verifyNext = true;
  let lastSync = 0;
  let lastFull = 0;
  const cache = new RulesCache();
  const resyncMs = o.resyncMs ?? 30_000;
  const fullSyncMs = o.fullSyncMs ?? 3_600_000;
  let waiters: (() => void)[] = [];
  let stopped = false;
  const held = new Set<string>();
  const healthServers = new Map<number, http.Server>();

  // Safety: a ClusterIP without a rule must never leave the machine.
  const serviceCIDR = o.serviceCIDR ?? '10.96.0.0/12';
  const route = await exec('ip', ['route', 'replace', 'unreachable', serviceCIDR]);
  if (route.code !== 0) log.warn({ err: route.stderr.trim() }, 'could not add the service CIDR safety route');
  await exec('sysctl', ['-w', 'net.ipv4.conf.all.route_localnet=1']);
  const took = await applier.takeOver();
  log.info({ chains: took }, 'took over existing chains');
  // Taken-over chains are updated in place (no traffic gap); with none, the first sync writes everything.
  lastFull = Date.now();

  const iface = await nodeInterface(exec, o.nodeIP);
  for (const ip of await heldAddresses(exec, iface, o.nodeIP)) held.add(ip);

  /** Chains each service port owns, from the last sync (for the live view of explain-route). */
  let owners = new Map<string, string[]>();

  async function syncOnce(): Promise<void> {
    // A periodic check first: if someone flushed our chains, rewrite everything.
    if (verifyNext && !fullNext && !(await applier.intact())) fullNext = true;
    const full = fullNext || Date.now() - lastFull > fullSyncMs;
    const jumps = verifyNext || full;
    fullNext = false;
    verifyNext = false;
    const svcs = services.list();
    const sls = slices.list();
    const rules = desiredRules(svcs, sls, { name: o.nodeName, ips: [o.nodeIP] }, cfg, cache);
    owners = rules.owners;
    // Chains first, then the jumps into them from the built-in chains.
    const res = await applier.sync(rules, full);
    if (full) lastFull = Date.now();
    if (jumps) await applier.ensureJumps(rules.jumps);
    metrics.observeSync(res.ms / 1000, res.rules, res.changed);
    if (res.changed) log.info({ ms: Math.round(res.ms), chains: res.chainsWritten, rules: res.rules, full }, 'synced iptables rules');
    await announce(svcs, sls);
    await syncHealthChecks(svcs, sls);
  }

  async function announce(svcs: any[], sls: any[]): Promise<void> {
    const mine = new Set(announcedBy(lbAnnouncers(svcs, sls, nodes.list()), o.nodeName));
    for (const ip of mine) {
      if (held.has(ip)) continue;
      const r = await exec('ip', ['addr', 'replace', `${ip}/32`, 'dev', iface]);
      if (r.code !== 0) {
        log.warn({ ip, err: r.stderr.trim() }, 'could not add LoadBalancer IP');
        continue;
      }
      held.add(ip);
      // Tell the node network at once, as MetalLB does with gratuitous ARP.
      await exec('arping', ['-U', '-c', '1', '-I', iface, ip]);
      log.info({ ip }, 'announcing LoadBalancer IP');
    }
    for (const ip of [...held]) {
      if (mine.has(ip)) continue;
      await exec('ip', ['addr', 'del', `${ip}/32`, 'dev', iface]);
      held.delete(ip);
      log.info({ ip }, 'withdrew LoadBalancer IP');
    }
  }

  /** Local traffic policy: answer the health-check nodePort with this node's local endpoint count, as kube-proxy does. */
  async function syncHealthChecks(svcs: any[], sls: any[]): Promise<void> {
    const want = new Map<number, { ns: string; name: string; local: number }>();
    for (const sp of servicePorts(svcs, sls, cache)) {
      if (!sp.externalLocal || !sp.healthCheckNodePort) continue;
      const local = usableEndpoints(sp.endpoints.filter((e) => e.nodeName === o.nodeName)).length;
      const cur = want.get(sp.healthCheckNodePort);
      want.set(sp.healthCheckNodePort, { ns: sp.namespace, name: sp.name, local: (cur?.local ?? 0) + local });
    }
    for (const [port, srv] of healthServers) {
      if (want.has(port)) continue;
      srv.close();
      healthServers.delete(port);
    }
    for (const [port, info] of want) {
      let srv = healthServers.get(port);
      if (!srv) {
        srv = http.createServer();
        srv.on('error', (err) => log.warn({ port, err: err.message }, 'health check nodePort'));
        srv.listen(port, o.nodeIP);
        healthServers.set(port, srv);
      }
      srv.removeAllListeners('request');
      srv.on('request', (_req, res) => {
        res.writeHead(info.local > 0 ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
        res.end(JSON.stringify({ service: { namespace: info.ns, name: info.name }, localEndpoints: info.local, serviceProxyHealthy: true }));
      });
    }
  }

  function schedule(): void {
    dirty = true;
    if (timer || running || stopped) return;
    const wait = Math.max(0, lastSync + minSync - Date.now());
    timer = setTimeout(run, wait);
  }

  function run(): void {
    timer = undefined;
    if (!dirty || stopped) return;
    dirty = false;
    running = syncOnce()
      .then(() => {
        lastSync = Date.now();
      })
      .catch((e) => {
        metrics.syncFailures++;
        log.error({ err: (e as Error).message }, 'sync failed; retrying in 1s');
        fullNext = true;
        verifyNext = true;
        setTimeout(schedule, 1000);
      })
      .finally(() => {
        running = undefined;
        const w = waiters;
        waiters = [];
        for (const f of w) f();
        if (dirty) schedule();
      });
  }

  // DNS answers from the same caches; the zone is rebuilt lazily after a change.
  let zone: ZoneData | undefined;
  const zoneCfg = { zone: o.dns?.zone ?? 'cluster.local', ttl: o.dns?.ttl ?? 5 };
  const currentZone = () => (zone ??= buildZone(services.list(), slices.list(), zoneCfg));
  const onChange = {
    add: () => ((zone = undefined), schedule()),
    update: () => ((zone = undefined), schedule()),
    delete: () => ((zone = undefined), schedule()),
  };
  services.on(onChange);
  slices.on(onChange);
  nodes.on(onChange);
  await Promise.all([services.start(), slices.start(), nodes.start()]);
  schedule();
  let dns: DnsServer | undefined;
  if (o.dns) {
    if (!o.dns.bind.startsWith('127.')) await exec('ip', ['addr', 'replace', `${o.dns.bind}/32`, 'dev', 'lo']);
    dns = await startDnsServer({ bind: o.dns.bind, port: o.dns.port ?? 53, metricsPort: o.dns.metricsPort, upstreams: o.dns.upstreams, zone: currentZone, logger: log });
    log.info({ bind: o.dns.bind, port: dns.port, upstreams: o.dns.upstreams }, 'serving cluster DNS');
  }
  const resync = setInterval(() => {
    verifyNext = true;
    schedule();
  }, resyncMs);

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const now = new Date();
    const url = new URL(req.url ?? '/', 'http://proxy');
    if (url.pathname === '/rules') {
      // explain-route --live (through the apiserver's nodes/NAME:10256/proxy): this node's rules for one service, with
      // counters. Rule text names pods and their addresses, so only the apiserver may read it, as the kubelet's API.
      const refused = checkNodeClient(peerOf(req.socket), 'get', 'proxy');
      if (refused) {
        res.writeHead(refused.code, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: refused.message, reason: refused.reason, code: refused.code }));
      }
      const service = url.searchParams.get('service') ?? '';
      const owned = new Set([...owners].filter(([k]) => k === service || k.startsWith(`${service}:`) || k.startsWith(`${service}/`)).flatMap(([, c]) => c));
      const save = await exec('iptables-save', ['-c']);
      res.writeHead(save.code === 0 ? 200 : 500, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ node: o.nodeName, rules: save.code === 0 ? liveRulesFor(save.stdout, service, owned) : [], error: save.code === 0 ? undefined : save.stderr.trim() }));
    }
    if (req.url?.startsWith('/metrics')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      return res.end(metrics.render());
    }
    const healthy = lastSync > 0 && Date.now() - lastSync < 2 * resyncMs + 10_000;
    res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ lastUpdated: new Date(lastSync).toISOString(), currentTime: now.toISOString(), nodeName: o.nodeName, nodeHealthy: true }));
  };
  const bind = o.healthBind ?? o.nodeIP;
  const healthz = await listenStatusPort({ bind, port: o.healthPort ?? 10256, tls: o.tls, handler });
  const metricsSrv = o.metricsPort && o.metricsPort !== (o.healthPort ?? 10256) ? http.createServer((_q, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(metrics.render());
  }) : undefined;
  if (metricsSrv) await new Promise<void>((r) => metricsSrv.listen(o.metricsPort, bind, () => r()));

  return {
    metrics,
    dns,
    synced: () =>
      new Promise<void>((r) => {
        waiters.push(r);
        schedule();
      }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(resync);
      await running;
      await Promise.all([services.stop(), slices.stop(), nodes.stop()]);
      healthz.close();
      metricsSrv?.close();
      for (const s of healthServers.values()) s.close();
      await dns?.close();
      // Rules stay in the kernel while the proxy is down (as kube-proxy): a restart takes them over.
    },
  };
}

async function nodeInterface(exec: Exec, ip: string): Promise<string> {
  const r = await exec('ip', ['-o', '-4', 'addr', 'show']);
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
    if (m && m[2] === ip) return m[1];
  }
  return 'eth0';
}

/** /32 addresses on the node's interface besides its own: LoadBalancer IPs a previous proxy added. */
async function heldAddresses(exec: Exec, iface: string, nodeIP: string): Promise<string[]> {
  const r = await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', iface]);
  return [...r.stdout.matchAll(/inet ([\d.]+)\/32/g)].map((m) => m[1]).filter((ip) => ip !== nodeIP);
}

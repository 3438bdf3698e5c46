// The proxy, one per node, running inside the node's network namespace: it
// wires the parts together. Informers on Services, EndpointSlices and Nodes
// feed the change trackers (changes.ts); the sync runner (sync-runner.ts)
// decides when to sync and whether fully; the backend of the chosen mode
// (backend.ts, backends.ts) programs the kernel; then the LB announcer
// (lb-announcer.ts) and the health-check nodePorts (health.ts) follow the
// same snapshot. The status port serves /healthz, /metrics and /rules; the
// node-local DNS answers from the same informers.
import { pino, type Logger } from 'pino';
import type { NodeTlsFiles } from '../api/node-auth.js';
import type { KubeObject } from '../api/types.js';
import { findByPlural } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import type { InformerView, SharedInformers } from '../client/shared-informers.js';
import type { Exec } from './apply.js';
import { WarmExec } from './warm-exec.js';
import { NftSession } from './nftables/session.js';
import type { ProxyBackend, ProxyMode } from './backend.js';
import type { ProxyConfig } from './rules/desired.js';
import { cleanupOtherModes, createBackend, nftBinary } from './backends.js';
import { ProxyChangeTracker } from './changes.js';
import { HealthCheckServers, startStatusServer } from './health.js';
import { LbAnnouncer } from './lb-announcer.js';
import { ProxyMetrics } from './metrics.js';
import { SyncRunner } from './sync-runner.js';
import { startDnsServer, type DnsServer, type Upstream } from './dns/server.js';
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
  /** The data-path mode (default iptables). The other modes' rules are removed on start, as kube-proxy does. */
  mode?: ProxyMode;
  /** At most one sync per this long (kube-proxy's minSyncPeriod; default 0: a change syncs as soon as the previous sync ends). */
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
  readonly mode: ProxyMode;
  stop(): Promise<void>;
  /** Resolves after the next sync completes (tests, benchmarks). */
  synced(): Promise<void>;
  metrics: ProxyMetrics;
  dns?: DnsServer;
}

/** The informers the proxy reads, made in this one place. */
interface ProxyInformers {
  services: InformerView;
  slices: InformerView;
  nodes: InformerView;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function proxyInformers(o: ProxyOptions, log: Logger): ProxyInformers {
  // One informer set per process when the node agent shares it (o.informers), else our own.
  const inf = (group: string, plural: string): InformerView => o.informers?.informer(findByPlural(group, plural)!) ?? new Informer(o.client, findByPlural(group, plural)!, { log });
  const services = inf('', 'services');
  const slices = inf('discovery.k8s.io', 'endpointslices');
  const nodes = inf('', 'nodes');
  const all = [services, slices, nodes];
  return {
    services,
    slices,
    nodes,
    start: async () => void (await Promise.all(all.map((i) => i.start()))),
    stop: async () => void (await Promise.all(all.map((i) => i.stop()))),
  };
}

/** What every sync's rules depend on besides the objects: the pod range and the ClusterIP range(s). */
export function proxyConfig(o: Pick<ProxyOptions, 'clusterCIDR' | 'serviceCIDR'>): ProxyConfig & { serviceCIDRs: string[] } {
  return { clusterCIDR: o.clusterCIDR ?? '10.244.0.0/16', serviceCIDRs: [o.serviceCIDR ?? '10.96.0.0/12'] };
}

export async function startProxy(o: ProxyOptions): Promise<Proxy> {
  const log = o.logger ?? pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  // The rule-writing commands are started ahead of the syncs that need them (warm-exec.ts).
  const warm = o.exec ? undefined : new WarmExec();
  const exec = o.exec ?? warm!.exec;
  const mode = o.mode ?? 'iptables';
  const node = { name: o.nodeName, ips: [o.nodeIP] };
  const cfg = proxyConfig(o);
  // The nftables mode's partial syncs go through one long-lived `nft -i` (nftables/session.ts).
  const nftSession = !o.exec && mode === 'nftables' ? new NftSession([nftBinary]) : undefined;
  const backend: ProxyBackend = createBackend(mode, exec, log, { nftSession });
  const metrics = new ProxyMetrics();
  metrics.nftSession = nftSession;
  const resyncMs = o.resyncMs ?? 30_000;

  // Safety: a ClusterIP without a rule must never leave the machine.
  const serviceCIDR = cfg.serviceCIDRs[0];
  const route = await exec('ip', ['route', 'replace', 'unreachable', serviceCIDR]);
  if (route.code !== 0) log.warn({ err: route.stderr.trim() }, 'could not add the service CIDR safety route');
  // NodePorts on 127.0.0.1 (kube-proxy's iptables mode sets the same).
  const sysctl = await exec('sysctl', ['-w', 'net.ipv4.conf.all.route_localnet=1']);
  if (sysctl.code !== 0) log.warn({ err: sysctl.stderr.trim() }, 'could not set net.ipv4.conf.all.route_localnet=1 (NodePorts on localhost will not answer)');
  await cleanupOtherModes(mode, exec, log);
  await backend.start();
  const announcer = await LbAnnouncer.create(exec, o.nodeName, o.nodeIP, log);
  const healthChecks = new HealthCheckServers(o.nodeName, o.nodeIP, log);

  const inf = proxyInformers(o, log);
  const tracker = new ProxyChangeTracker();

  async function syncOnce(full: boolean): Promise<void> {
    const changed = tracker.take();
    const input = { services: inf.services.list(), slices: inf.slices.list(), nodes: inf.nodes.list(), node, cfg };
    let res;
    try {
      res = await backend.sync(input, { full, changed });
    } catch (e) {
      tracker.restore(changed);
      throw e;
    }
    metrics.observeSync(res.ms / 1000, res.rules, res.changed);
    if (res.changed) log.info({ mode, ms: Math.round(res.ms), chains: res.written, rules: res.rules, full }, 'synced proxy rules');
    await announcer.sync(input.services, input.slices, input.nodes);
    healthChecks.sync(input.services, input.slices);
  }

  const runner = new SyncRunner({
    sync: syncOnce,
    intact: () => backend.intact(),
    minSyncMs: o.minSyncMs,
    periodMs: resyncMs,
    fullSyncMs: o.fullSyncMs,
    onError: (err, attempt, retryInMs) => {
      metrics.syncFailures++;
      log.error({ mode, err: err.message, attempt, retryInMs }, 'sync failed; retrying with a full sync');
    },
  });

  // DNS answers from the same caches; the zone is rebuilt lazily after a change.
  let zone: ZoneData | undefined;
  const zoneCfg = { zone: o.dns?.zone ?? 'cluster.local', ttl: o.dns?.ttl ?? 5 };
  const currentZone = () => (zone ??= buildZone(inf.services.list(), inf.slices.list(), zoneCfg));
  const feed = (track: (prev: KubeObject | undefined, cur: KubeObject | undefined) => boolean) => ({
    add: (obj: KubeObject) => ((zone = undefined), track(undefined, obj) && runner.request()),
    update: (obj: KubeObject, old: KubeObject) => ((zone = undefined), track(old, obj) && runner.request()),
    delete: (obj: KubeObject) => ((zone = undefined), track(obj, undefined) && runner.request()),
  });
  inf.services.on(feed((a, b) => tracker.services.update(a, b)));
  inf.slices.on(feed((a, b) => tracker.endpoints.update(a, b)));
  inf.nodes.on(feed((a, b) => tracker.node(a, b)));
  await inf.start();
  runner.start();
  let dns: DnsServer | undefined;
  if (o.dns) {
    if (!o.dns.bind.startsWith('127.')) {
      const r = await exec('ip', ['addr', 'replace', `${o.dns.bind}/32`, 'dev', 'lo']);
      if (r.code !== 0) log.warn({ bind: o.dns.bind, err: r.stderr.trim() }, 'could not add the node-local DNS address to lo');
    }
    dns = await startDnsServer({ bind: o.dns.bind, port: o.dns.port ?? 53, metricsPort: o.dns.metricsPort, upstreams: o.dns.upstreams, zone: currentZone, logger: log });
    log.info({ bind: o.dns.bind, port: dns.port, upstreams: o.dns.upstreams }, 'serving cluster DNS');
  }

  const status = await startStatusServer({
    nodeName: o.nodeName,
    bind: o.healthBind ?? o.nodeIP,
    port: o.healthPort ?? 10256,
    metricsPort: o.metricsPort,
    tls: o.tls,
    metrics,
    lastSync: () => runner.lastSuccess,
    staleMs: 2 * resyncMs + 10_000,
    liveRules: (service) => backend.liveRules(service),
  });

  return {
    mode,
    metrics,
    dns,
    synced: () => runner.synced(),
    async stop() {
      await runner.stop();
      await inf.stop();
      status.close();
      healthChecks.close();
      await dns?.close();
      await warm?.close();
      await nftSession?.close();
      // Rules stay in the kernel while the proxy is down (as kube-proxy): a restart takes them over.
    },
  };
}

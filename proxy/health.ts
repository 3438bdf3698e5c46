// The proxy's HTTP side: the status port (/healthz, /metrics, /rules, as
// kube-proxy's :10256 and :10249) and the health-check nodePorts of Services
// with externalTrafficPolicy Local (each answers with this node's local
// endpoint count, as kube-proxy's healthcheck server).
import http from 'node:http';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { checkNodeClient, peerOf, type NodeTlsFiles } from '../api/node-auth.js';
import { RulesCache, servicePorts, usableEndpoints } from './rules/desired.js';
import type { LiveRules } from './backend.js';
import type { ProxyMetrics } from './metrics.js';
import { listenStatusPort } from './status-port.js';

/** Health-check nodePort → the service it answers for and its local endpoint count on this node (pure). */
export function healthChecks(services: KubeObject[], slices: KubeObject[], nodeName: string, cache?: RulesCache): Map<number, { ns: string; name: string; local: number }> {
  const want = new Map<number, { ns: string; name: string; local: number }>();
  for (const sp of servicePorts(services, slices, cache)) {
    if (!sp.externalLocal || !sp.healthCheckNodePort) continue;
    const local = usableEndpoints(sp.endpoints.filter((e) => e.nodeName === nodeName)).length;
    const cur = want.get(sp.healthCheckNodePort);
    want.set(sp.healthCheckNodePort, { ns: sp.namespace, name: sp.name, local: (cur?.local ?? 0) + local });
  }
  return want;
}

export class HealthCheckServers {
  private readonly servers = new Map<number, http.Server>();
  private readonly cache = new RulesCache();

  constructor(
    private readonly nodeName: string,
    private readonly bind: string,
    private readonly log: Logger,
  ) {}

  sync(services: KubeObject[], slices: KubeObject[]): void {
    const want = healthChecks(services, slices, this.nodeName, this.cache);
    for (const [port, srv] of this.servers) {
      if (want.has(port)) continue;
      srv.close();
      this.servers.delete(port);
    }
    for (const [port, info] of want) {
      let srv = this.servers.get(port);
      if (!srv) {
        srv = http.createServer();
        srv.on('error', (err) => this.log.warn({ port, err: err.message }, 'health check nodePort'));
        srv.listen(port, this.bind);
        this.servers.set(port, srv);
      }
      srv.removeAllListeners('request');
      srv.on('request', (_req, res) => {
        res.writeHead(info.local > 0 ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
        res.end(JSON.stringify({ service: { namespace: info.ns, name: info.name }, localEndpoints: info.local, serviceProxyHealthy: true }));
      });
    }
  }

  close(): void {
    for (const s of this.servers.values()) s.close();
    this.servers.clear();
  }
}

export interface StatusServerOptions {
  nodeName: string;
  bind: string;
  port: number;
  metricsPort?: number;
  tls?: NodeTlsFiles;
  metrics: ProxyMetrics;
  /** When the last successful sync ended (0: none yet). */
  lastSync(): number;
  /** How long without a successful sync is still healthy. */
  staleMs: number;
  liveRules(service: string): Promise<LiveRules>;
}

export interface StatusServer {
  port: number;
  close(): void;
}

export async function startStatusServer(o: StatusServerOptions): Promise<StatusServer> {
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
      const live = await o.liveRules(url.searchParams.get('service') ?? '');
      res.writeHead(live.error === undefined ? 200 : 500, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ node: o.nodeName, rules: live.rules, error: live.error }));
    }
    if (url.pathname.startsWith('/metrics')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      return res.end(o.metrics.render());
    }
    const last = o.lastSync();
    const healthy = last > 0 && Date.now() - last < o.staleMs;
    res.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ lastUpdated: new Date(last).toISOString(), currentTime: now.toISOString(), nodeName: o.nodeName, nodeHealthy: true }));
  };
  const status = await listenStatusPort({ bind: o.bind, port: o.port, tls: o.tls, handler });
  const metricsSrv =
    o.metricsPort && o.metricsPort !== o.port
      ? http.createServer((_q, res) => {
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
          res.end(o.metrics.render());
        })
      : undefined;
  if (metricsSrv) await new Promise<void>((r) => metricsSrv.listen(o.metricsPort, o.bind, () => r()));
  return {
    port: status.port,
    close() {
      status.close();
      metricsSrv?.close();
    },
  };
}

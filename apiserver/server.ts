// Starting and stopping the API server: storage, watch hub, registry,
// bootstrap objects, the namespace finalizer and the HTTP listener.
import { chmod, mkdir } from 'node:fs/promises';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { LevelStorage, type Storage } from './storage.js';
import { WatchHub } from './watch.js';
import { Registry } from './registry.js';
import { buildHttpServer, type HttpOptions } from './http.js';
import { bootstrap } from './bootstrap.js';
import { DEFAULT_EVENT_TTL_MS, EventExpiry } from './event-ttl.js';
import { NamespaceFinalizer } from './namespaces.js';
import { bearerTokenMatches, ensureToken, writeKubeconfig } from './credentials.js';
import { apiServerSans, ensureCA, ensureKubeletClientCert, ensureServingCerts } from './certs.js';
import { nthIp, parseCidr } from '../api/cidr.js';
import { parsePortRange } from './allocators.js';
import { KubeletProxy } from './kubelet-proxy.js';
import type { EtcdStorageOptions } from './etcd-storage.js';

export interface ApiServerOptions {
  dataDir: string;
  bind?: string;
  port?: number;
  serviceCidr?: string;
  nodePortRange?: string;
  /** Size of the in-memory watch window (events). */
  watchWindow?: number;
  /** How long a change stays in the watch window (ms; default 75 s, as kube-apiserver's watch cache keeps). */
  watchRetainMs?: number;
  /** How long an Event lives after it was last seen (ms; default 1 h, kube-apiserver's --event-ttl; 0: forever). */
  eventTtlMs?: number;
  /** How often expired Events are looked for (ms; default 60 s). */
  eventSweepMs?: number;
  bookmarkInterval?: number;
  logger?: Logger;
  /** Name used for the kubeconfig's cluster/context. */
  clusterName?: string;
  /** The node-local DNS address every node's proxy serves (kube-dns's endpoint). */
  nodeLocalDNS?: string;
  /** More names/IPs for the serving certificate (e.g. the node network address). */
  extraSans?: string[];
  streamHandler?: HttpOptions['streamHandler'];
  watchLimits?: HttpOptions['watchLimits'];
  /** Time a client has to send a whole request (default 60 s). */
  requestTimeoutMs?: number;
  /** Open connections the server accepts at once; more are closed at once (default 4096). */
  maxConnections?: number;
  /** fsync every write (see storage.ts for what an unsynced write risks); default false. */
  syncWrites?: boolean;
  /** Store in etcd instead of LevelDB in the data dir (`--storage etcd --etcd-servers …`). */
  etcd?: EtcdStorageOptions;
  /**
   * The `kubernetes` Service's endpoint (kube-apiserver's --advertise-address
   * and port); default the bind address and port. Several API servers behind
   * one load balancer all advertise the balancer, so they agree.
   */
  advertise?: { ip: string; port: number };
}

/** The pod subresources served over an HTTP Upgrade (to the kubelet). */
const STREAM_PATH = /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/(exec|attach|portforward)$/;

export interface ApiServer {
  url: string;
  token: string;
  caCert: string;
  kubeconfigPath: string;
  registry: Registry;
  /** The listening HTTPS server (connection counts, timeouts). */
  httpServer: import('node:https').Server;
  close(): Promise<void>;
}

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const log = o.logger ?? pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const bind = o.bind ?? '127.0.0.1';
  // The data dir holds the token, the CA key and every object: only the server's user may enter it.
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  await chmod(o.dataDir, 0o700);
  const token = await ensureToken(o.dataDir);
  const serviceCidr = parseCidr(o.serviceCidr ?? '10.96.0.0/12');
  const sans = apiServerSans(o.serviceCidr ?? '10.96.0.0/12', bind, o.extraSans);
  // Both at once (their RSA keys are made on the thread pool); made ahead by `mk8s up` (cluster/pki.ts), they are only read.
  const ca = await ensureCA(o.dataDir); // first: both below sign with it
  const [certs, kubeletClient] = await Promise.all([ensureServingCerts(o.dataDir, sans), ensureKubeletClientCert(o.dataDir, ca)]);
  const storage: Storage = o.etcd
    ? new (await import('./etcd-storage.js')).EtcdStorage(o.etcd)
    : new LevelStorage(join(o.dataDir, 'db'), { sync: o.syncWrites });
  await storage.open();
  const hub = new WatchHub(storage.currentRv(), { capacity: o.watchWindow, retainMs: o.watchRetainMs });
  storage.onCommit((c) => hub.publish(c));
  const registry = new Registry(storage, hub, {
    serviceCidr,
    nodePortRange: parsePortRange(o.nodePortRange ?? '30000-32767'),
    reservedIPs: new Set([nthIp(serviceCidr, 1), nthIp(serviceCidr, 10)]),
  });
  const finalizer = new NamespaceFinalizer(registry, log);
  const eventExpiry = new EventExpiry(registry, log, o.eventTtlMs ?? DEFAULT_EVENT_TTL_MS, o.eventSweepMs);
  const kubeletProxy = new KubeletProxy(registry, token, log, { ca: certs.caCert, ...kubeletClient });
  const app = buildHttpServer(registry, {
    token,
    serverAddress: `${bind}:${o.port ?? 6443}`,
    logger: log,
    bookmarkInterval: o.bookmarkInterval,
    watchLimits: o.watchLimits,
    requestTimeoutMs: o.requestTimeoutMs,
    streamHandler: o.streamHandler ?? kubeletProxy.handle,
    https: { cert: certs.cert, key: certs.key },
  });
  // exec/attach/portforward arrive as HTTP Upgrade requests, which never reach fastify's routes.
  // Any other request that carries an Upgrade header is served as the ordinary request it is.
  if (!o.streamHandler) {
    app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '/').split('?')[0];
      if (!STREAM_PATH.test(path)) return serveWithoutUpgrade(app.server, req, socket, head);
      // The scheme in any case, the token in constant time, as every other request (the proxy compares exactly).
      if (bearerTokenMatches(req.headers.authorization, token)) req.headers.authorization = `Bearer ${token}`;
      kubeletProxy.upgrade(req, socket, head);
    });
  }
  app.server.maxConnections = o.maxConnections ?? 4096;
  // nodes/NAME[:PORT]/proxy/…: node agents' own endpoints (the kubelet's, the proxy's /rules), reached as the apiserver.
  app.get('/api/v1/nodes/:name/proxy', kubeletProxy.nodeProxy);
  app.get('/api/v1/nodes/:name/proxy/*', kubeletProxy.nodeProxy);
  try {
    await app.listen({ host: bind, port: o.port ?? 6443 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? 6443);
    await bootstrap(registry, {
      kubernetesIP: nthIp(serviceCidr, 1),
      dnsIP: nthIp(serviceCidr, 10),
      nodeLocalDNS: o.nodeLocalDNS ?? '169.254.20.10',
      advertise: o.advertise ?? { ip: bind === '0.0.0.0' ? '127.0.0.1' : bind, port },
    });
    finalizer.start();
    eventExpiry.start();
    const url = `https://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
    const kubeconfigPath = join(o.dataDir, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, { name: o.clusterName ?? 'mk8s', server: url, token, caCert: certs.caCert });
    log.info({ url, dataDir: o.dataDir, rv: storage.currentRv() }, 'apiserver listening');
    return {
      url,
      token,
      caCert: certs.caCert,
      kubeconfigPath,
      registry,
      httpServer: app.server as import('node:https').Server,
      async close() {
        finalizer.stop();
        eventExpiry.stop();
        hub.close();
        await app.close();
        await storage.close();
      },
    };
  } catch (e) {
    hub.close();
    await app.close().catch(() => undefined);
    await storage.close();
    throw e;
  }
}

/**
 * Hand a request Node parsed as an Upgrade back to the HTTP handler. Its body,
 * if any, has not been read by the parser: those requests are refused.
 */
function serveWithoutUpgrade(server: import('node:http').Server, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const hasBody = head.length > 0 || Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as import('node:net').Socket);
  res.on('finish', () => socket.end());
  socket.on('error', () => socket.destroy());
  if (hasBody) {
    const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'a request with a body may not ask for a protocol upgrade here', reason: 'BadRequest', code: 400 });
    res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body);
    return;
  }
  req.push(null);
  server.emit('request', req, res);
}

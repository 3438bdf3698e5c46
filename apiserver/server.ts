// Starting and stopping the API server: storage, watch hub, registry,
// bootstrap objects, the namespace finalizer and the HTTP listener.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Storage } from './storage.js';
import { WatchHub } from './watch.js';
import { Registry } from './registry.js';
import { buildHttpServer, type HttpOptions } from './http.js';
import { bootstrap } from './bootstrap.js';
import { NamespaceFinalizer } from './namespaces.js';
import { ensureToken, writeKubeconfig } from './credentials.js';
import { ensureCA, ensureKubeletClientCert, ensureServingCerts } from './certs.js';
import { nthIp, parseCidr } from '../api/cidr.js';
import { parsePortRange } from './allocators.js';
import { KubeletProxy } from './kubelet-proxy.js';

export interface ApiServerOptions {
  dataDir: string;
  bind?: string;
  port?: number;
  serviceCidr?: string;
  nodePortRange?: string;
  /** Size of the in-memory watch window (events). */
  watchWindow?: number;
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
}

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
  await mkdir(o.dataDir, { recursive: true });
  const token = await ensureToken(o.dataDir);
  const serviceCidr = parseCidr(o.serviceCidr ?? '10.96.0.0/12');
  const sans = ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', nthIp(serviceCidr, 1), ...(bind === '0.0.0.0' ? [] : [bind]), ...(o.extraSans ?? [])];
  const certs = await ensureServingCerts(o.dataDir, sans);
  const kubeletClient = await ensureKubeletClientCert(o.dataDir, await ensureCA(o.dataDir));
  const storage = new Storage(join(o.dataDir, 'db'));
  await storage.open();
  const hub = new WatchHub(storage.currentRv(), o.watchWindow);
  storage.onCommit((c) => hub.publish(c));
  const registry = new Registry(storage, hub, {
    serviceCidr,
    nodePortRange: parsePortRange(o.nodePortRange ?? '30000-32767'),
    reservedIPs: new Set([nthIp(serviceCidr, 1), nthIp(serviceCidr, 10)]),
  });
  const finalizer = new NamespaceFinalizer(registry, log);
  const kubeletProxy = new KubeletProxy(registry, token, log, { ca: certs.caCert, ...kubeletClient });
  const app = buildHttpServer(registry, {
    token,
    serverAddress: `${bind}:${o.port ?? 6443}`,
    logger: log,
    bookmarkInterval: o.bookmarkInterval,
    watchLimits: o.watchLimits,
    streamHandler: o.streamHandler ?? kubeletProxy.handle,
    https: { cert: certs.cert, key: certs.key },
  });
  // exec/attach/portforward arrive as HTTP Upgrade requests, which never reach fastify's routes.
  if (!o.streamHandler) app.server.on('upgrade', kubeletProxy.upgrade);
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
      advertise: { ip: bind === '0.0.0.0' ? '127.0.0.1' : bind, port },
    });
    finalizer.start();
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
        await app.close();
        await storage.close();
      },
    };
  } catch (e) {
    await app.close().catch(() => undefined);
    await storage.close();
    throw e;
  }
}

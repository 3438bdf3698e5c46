// pods/log, pods/exec, pods/attach and pods/portforward, as kube-apiserver
// serves them: proxied to the kubelet of the pod's node (its InternalIP and
// status.daemonEndpoints.kubeletEndpoint.Port). Logs are a plain streamed
// GET; exec and port-forward are HTTP Upgrade (WebSocket) connections,
// handed to the kubelet byte for byte after the apiserver has checked the
// token and found the pod. Every connection to a kubelet is TLS: the
// apiserver presents its kubelet client certificate (kube-apiserver's
// --kubelet-client-certificate) and verifies the kubelet's serving
// certificate against the cluster CA (--kubelet-certificate-authority).
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { findByPlural } from '../api/resources.js';
import { ApiError, errors, statusFailure } from '../api/status.js';
import type { Registry } from './registry.js';

const podsType = findByPlural('', 'pods')!;
const nodesType = findByPlural('', 'nodes')!;

export interface KubeletAddress {
  host: string;
  port: number;
}

/** Where the pod's kubelet listens, from its Node object. */
export function kubeletAddress(node: KubeObject): KubeletAddress | undefined {
  const ip = (node.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  return ip ? { host: ip, port } : undefined;
}

/** The container a request is for: the one named, or the pod's only one (as the apiserver's pod strategy). */
export function pickContainer(pod: KubeObject, requested: string | undefined): string {
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const initNames: string[] = (pod.spec?.initContainers ?? []).map((c: any) => c.name);
  const name = pod.metadata.name;
  if (requested) {
    if (!names.includes(requested) && !initNames.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  if (names.length === 1) return names[0];
  throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
}

/** The kubelet path for a pod subresource request (pure). */
export function kubeletPath(pod: KubeObject, sub: string, query: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata.namespace!);
  const name = encodeURIComponent(pod.metadata.name!);
  const q = new URLSearchParams(query);
  switch (sub) {
    case 'log': {
      const c = pickContainer(pod, q.get('container') ?? undefined);
      q.delete('container');
      const qs = q.toString();
      return `/containerLogs/${ns}/${name}/${encodeURIComponent(c)}${qs ? `?${qs}` : ''}`;
    }
    case 'exec':
    case 'attach': {
      const c = pickContainer(pod, q.get('container') ?? undefined);
      q.delete('container');
      return `/${sub}/${ns}/${name}/${encodeURIComponent(c)}?${q.toString()}`;
    }
    case 'portforward': {
      const qs = q.toString();
      return `/portForward/${ns}/${name}${qs ? `?${qs}` : ''}`;
    }
    default:
      throw errors.pathNotFound();
  }
}

/** The apiserver's TLS client side towards kubelets: its client certificate and the CA their serving certificates chain to. */
export interface KubeletClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** `name`, `name:port` or `scheme:name:port` (apimachinery's SplitSchemeNamePort); undefined when malformed (pure). */
export function splitSchemeNamePort(id: string): { scheme: 'https' | 'http'; name: string; port?: number } | undefined {
  const parts = id.split(':');
  let scheme = 'https';
  let name: string;
  let port: string | undefined;
  if (parts.length === 1) [name] = parts;
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else return undefined;
  if (!name || (scheme !== 'https' && scheme !== 'http')) return undefined;
  if (port === undefined || port === '') return { scheme, name };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) return undefined;
  return { scheme, name, port: n };
}

export class KubeletProxy {
  constructor(
    private readonly registry: Registry,
    private readonly token: string,
    private readonly log: Logger,
    private readonly tls: KubeletClientTls,
  ) {}

  private target(pod: KubeObject): KubeletAddress {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
    const addr = kubeletAddress(this.registry.get(nodesType, undefined, nodeName));
    if (!addr) throw errors.serviceUnavailable(`node ${nodeName} has no InternalIP: is its kubelet running?`);
    return addr;
  }

  /** A GET to a node agent over TLS with the kubelet client certificate (plain HTTP when asked for), its answer streamed back. */
  private pipeFrom(reply: FastifyReply, target: { scheme: 'https' | 'http'; host: string; port: number; path: string; method?: string; accept?: string }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const opts = { method: target.method ?? 'GET', host: target.host, port: target.port, path: target.path, timeout: 10_000, agent: false as const, headers: target.accept ? { Accept: target.accept } : {} };
      const onResponse = (res: http.IncomingMessage) => {
        upstream.setTimeout(0);
        reply.hijack();
        const out = reply.raw;
        const headers: Record<string, string> = { 'Content-Type': String(res.headers['content-type'] ?? 'text/plain') };
        if (res.headers['content-length']) headers['Content-Length'] = String(res.headers['content-length']);
        else headers['Transfer-Encoding'] = 'chunked';
        out.writeHead(res.statusCode ?? 502, headers);
        out.flushHeaders();
        res.pipe(out);
        const done = () => {
          res.destroy();
          resolve();
        };
        out.on('close', done);
        res.on('end', resolve);
        // The kubelet went away mid-stream (restarted, killed): end the client's stream too, as kube-apiserver does.
        const cut = () => {
          if (!res.complete) out.destroy();
          resolve();
        };
        res.on('close', cut);
        res.on('error', cut);
      };
      const upstream = target.scheme === 'http' ? http.request(opts, onResponse) : https.request({ ...opts, ...this.tls }, onResponse);
      upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
      upstream.on('error', (e) => reject(errors.serviceUnavailable(`error dialing backend: dial tcp ${target.host}:${target.port}: ${e.message}`)));
      upstream.end();
    });
  }

  /** HttpOptions.streamHandler: plain requests (logs) streamed back from the kubelet. */
  readonly handle = async (req: FastifyRequest, reply: FastifyReply, pod: KubeObject, sub: string): Promise<void> => {
    if (sub !== 'log') throw errors.badRequest('Upgrade request required: exec, attach and port-forward are served over WebSocket');
    const url = new URL(req.url, 'https://apiserver');
    const path = kubeletPath(pod, sub, url.searchParams);
    const addr = this.target(pod);
    await this.pipeFrom(reply, { scheme: 'https', ...addr, path });
  };

  /**
   * nodes/NAME/proxy/PATH and nodes/[SCHEME:]NAME:PORT/proxy/PATH, as kube-apiserver's node proxy: to the
   * node's InternalIP (the kubelet's port unless named), over TLS with the kubelet client certificate.
   * GET and HEAD only. `mk8s explain-route --live` reads each node proxy's /rules this way.
   */
  readonly nodeProxy = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const m = /^\/api\/v1\/nodes\/([^/?]+)\/proxy(\/[^?]*)?(\?.*)?$/.exec(req.url);
    if (!m) throw errors.pathNotFound();
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(`mk8s proxies only GET and HEAD to nodes (got ${req.method})`);
    const loc = splitSchemeNamePort(decodeURIComponent(m[1]));
    if (!loc) throw errors.badRequest(`invalid node request "${decodeURIComponent(m[1])}": want NAME, NAME:PORT or SCHEME:NAME:PORT`);
    const node = this.registry.get(nodesType, undefined, loc.name);
    const addr = kubeletAddress(node);
    if (!addr) throw errors.serviceUnavailable(`node ${loc.name} has no InternalIP: is its kubelet running?`);
    await this.pipeFrom(reply, { scheme: loc.scheme, host: addr.host, port: loc.port ?? addr.port, path: (m[2] ?? '/') + (m[3] ?? ''), method: req.method, accept: req.headers.accept });
  };

  /** The HTTP server's 'upgrade' listener: exec/attach/portforward handed to the kubelet. */
  readonly upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const fail = (e: ApiError) => {
      const body = JSON.stringify(e.status);
      socket.end(`HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    try {
      const url = new URL(req.url ?? '/', 'https://apiserver');
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(url.pathname);
      if (!m) return fail(errors.pathNotFound());
      if (req.headers.authorization !== `Bearer ${this.token}`) return fail(errors.unauthorized());
      const [, ns, name, sub] = m.map(decodeURIComponent);
      const pod = this.registry.get(podsType, ns, name);
      const path = kubeletPath(pod, sub, url.searchParams);
      const addr = this.target(pod);
      const upstream = tls.connect({ host: addr.host, port: addr.port, ...this.tls, ALPNProtocols: ['http/1.1'] });
      upstream.setNoDelay(true);
      let connected = false;
      upstream.on('secureConnect', () => {
        connected = true;
        const lines = [`${req.method} ${path} HTTP/1.1`, `Host: ${addr.host}:${addr.port}`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          const k = req.rawHeaders[i].toLowerCase();
          if (k === 'host' || k === 'authorization') continue;
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        }
        upstream.write(lines.join('\r\n') + '\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
        this.log.info({ pod: `${ns}/${name}`, sub, node: pod.spec.nodeName }, 'stream proxied to kubelet');
      });
      upstream.on('error', (e) => {
        if (!connected) return fail(errors.serviceUnavailable(`error dialing backend: dial tcp ${addr.host}:${addr.port}: ${e.message}`));
        socket.destroy();
      });
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
    } catch (e) {
      if (e instanceof ApiError) return fail(e);
      fail(new ApiError(statusFailure(500, 'InternalError', (e as Error).message)));
    }
  };
}

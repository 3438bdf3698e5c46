// The small API client every mk8s component uses: JSON over HTTPS with the
// cluster's CA and bearer token, Status errors rebuilt as ApiError, and watch
// streams read line by line. Built on node:https: no generated client.
import https from 'node:https';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import { URL } from 'node:url';
import type { KubeList, KubeObject, Status, WatchEvent } from '../api/types.js';
import { groupVersionPath, type ResourceType } from '../api/resources.js';
import { ApiError, statusFailure } from '../api/status.js';

export interface ClusterConfig {
  server: string;
  token?: string;
  caCert?: string;
  /** Default namespace from the kubeconfig context. */
  namespace?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** Abort after this many ms (0: never). */
  timeoutMs?: number;
}

export type PatchContentType =
  | 'application/merge-patch+json'
  | 'application/json-patch+json'
  | 'application/strategic-merge-patch+json';

/** URL path of a resource collection or object. */
export function resourcePath(r: ResourceType, namespace?: string, name?: string, sub?: string): string {
  let p = groupVersionPath(r);
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

function queryString(q: RequestOptions['query']): string {
  if (!q) return '';
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export interface WatchHandle {
  /** Resolves when the stream ends, for whatever reason (close() included). */
  done: Promise<void>;
  close(): void;
}

export class Client {
  private readonly url: URL;
  private readonly agent: http.Agent;

  /** `agent`: a caller's own connection pool (the CLI passes one that verifies the cluster CA without Node's root store). */
  constructor(readonly config: ClusterConfig, agent?: http.Agent) {
    this.url = new URL(config.server);
    this.agent =
      agent ??
      (this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ca: config.caCert, maxSockets: 64 })
        : new http.Agent({ keepAlive: true, maxSockets: 64 }));
  }

  private open(method: string, path: string, o: RequestOptions, onResponse: (res: IncomingMessage) => void, onError: (e: Error) => void) {
    const mod = this.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' };
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    let payload: string | undefined;
    if (o.body !== undefined) {
      payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const req = mod.request(
      {
        method,
        host: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
        path: path + queryString(o.query),
        headers,
        agent: this.agent,
      },
      onResponse,
    );
    req.on('error', onError);
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`request timed out after ${o.timeoutMs}ms`)));
    if (payload !== undefined) req.write(payload);
    req.end();
    return req;
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError on a Status failure. */
  request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.open(
        method,
        path,
        o,
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any = text;
            if ((res.headers['content-type'] ?? '').includes('json')) {
              try {
                body = text ? JSON.parse(text) : undefined;
              } catch {
                return reject(new ApiError(statusFailure(res.statusCode ?? 500, 'InternalError', `invalid JSON from server: ${text.slice(0, 200)}`)));
              }
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) return resolve(body as T);
            if (body && typeof body === 'object' && body.kind === 'Status') return reject(new ApiError(body as Status));
            reject(new ApiError(statusFailure(code, 'Unknown', `the server responded with ${code}: ${String(text).slice(0, 200)}`)));
          });
        },
        reject,
      );
    });
  }

  // ---- typed helpers ----

  get<T extends KubeObject = KubeObject>(r: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    return this.request('GET', resourcePath(r, namespace, name));
  }

  list<T extends KubeObject = KubeObject>(
    r: ResourceType,
    namespace?: string,
    q: { labelSelector?: string; fieldSelector?: string; limit?: number; continue?: string } = {},
  ): Promise<KubeList<T>> {
    return this.request('GET', resourcePath(r, namespace), { query: q });
  }

  create<T extends KubeObject = KubeObject>(r: ResourceType, namespace: string | undefined, obj: unknown, q: RequestOptions['query'] = {}): Promise<T> {
    return this.request('POST', resourcePath(r, namespace), { body: obj, query: q });
  }

  update<T extends KubeObject = KubeObject>(r: ResourceType, obj: KubeObject, sub?: string): Promise<T> {
    return this.request('PUT', resourcePath(r, obj.metadata.namespace, obj.metadata.name, sub), { body: obj });
  }

  patch<T extends KubeObject = KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchContentType = 'application/merge-patch+json',
    sub?: string,
  ): Promise<T> {
    return this.request('PATCH', resourcePath(r, namespace, name, sub), { body: patch, contentType: type });
  }

  delete<T = KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { propagationPolicy?: string; gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } } = {},
  ): Promise<T> {
    return this.request('DELETE', resourcePath(r, namespace, name), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', ...opts },
    });
  }

  /**
   * A watch stream. `onEvent` gets each event in order; the handle's `done`
   * resolves when the server ends the stream or close() is called, and
   * rejects on a transport error or a non-2xx answer (as ApiError).
   */
  watch(path: string, query: RequestOptions['query'], onEvent: (e: WatchEvent) => void, accept?: string): WatchHandle {
    let req: http.ClientRequest | undefined;
    let closed = false;
    const done = new Promise<void>((resolve, reject) => {
      req = this.open(
        'GET',
        path,
        { query: { ...query, watch: 'true' }, accept },
        (res) => {
          if ((res.statusCode ?? 0) >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                reject(new ApiError(JSON.parse(Buffer.concat(chunks).toString())));
              } catch {
                reject(new ApiError(statusFailure(res.statusCode ?? 500, 'Unknown', `watch failed with ${res.statusCode}`)));
              }
            });
            return;
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (!line || closed) continue;
              try {
                onEvent(JSON.parse(line));
              } catch (e) {
                req?.destroy(e as Error);
              }
            }
          });
          res.on('end', () => resolve());
          // a stream closed before its last chunk was cut, not ended: the caller backs off
          res.on('close', () => (res.complete || closed ? resolve() : reject(new Error('watch stream cut before its end'))));
          res.on('error', (e) => (closed ? resolve() : reject(e)));
        },
        (e) => (closed ? resolve() : reject(e)),
      );
    });
    return {
      done,
      close() {
        closed = true;
        req?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}

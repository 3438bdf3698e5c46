// The REST surface: Kubernetes' URL layout, verbs, content types, Table
// output, watch streams, and every error as a Status. Request handling only;
// the semantics live in registry.ts.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, Status, WatchEvent } from '../api/types.js';
import { apiVersionOf, findByPlural, type ResourceType } from '../api/resources.js';
import { ApiError, errors, statusFailure } from '../api/status.js';
import { tableFor } from '../api/columns.js';
import { Registry, resourceKey, watchEventFor, nowTimestamp, type DeleteOptions, type PatchType } from './registry.js';
import { applyMergePatch } from '../api/patch/merge-patch.js';
import { applyJsonPatch } from '../api/patch/json-patch.js';
import { openapiGroupVersionDoc, openapiIndex } from './openapi.js';
import { coreVersions, group, groupList, resourceList, serverVersion } from './discovery.js';
import { decodeKubernetesProtobuf, isKubernetesProtobuf } from './protobuf.js';
import { nestingDepth } from '../api/shape.js';
import { bearerTokenMatches } from './credentials.js';
import { WatchStreams, defaultWatchLimits, type WatchLimits } from './watch-stream.js';

/** Deepest nesting a request body may have: far beyond any real object, far below the stack's limit. */
export const MAX_BODY_DEPTH = 1000;
/** Aliases a YAML body may resolve (the yaml package's guard against alias bombs). */
const MAX_YAML_ALIASES = 100;

export interface HttpOptions {
  token: string;
  serverAddress: string;
  /** Request body limit in bytes (Kubernetes: 3 MiB). */
  bodyLimit?: number;
  /** Seconds between watch bookmarks for clients that allow them. */
  bookmarkInterval?: number;
  logger: Logger;
  /** Subresources the node agents serve (log, exec, portforward); the kubelet issue plugs in. */
  https?: { cert: string; key: string };
  streamHandler?: (req: FastifyRequest, reply: FastifyReply, pod: KubeObject, sub: string) => Promise<void>;
  /** Time a client has to send a whole request, headers and body (kube-apiserver: 60 s); the answer is 408. */
  requestTimeoutMs?: number;
  /** Bounds on watch streams (buffered bytes per watcher, watches per client). */
  watchLimits?: Partial<WatchLimits>;
  /** How long a watch from a resourceVersion the store has not reached waits for it (Kubernetes: 3 s). */
  tooLargeRvWaitMs?: number;
}

/** What the request handlers share: the options and the open watch streams. */
type Ctx = HttpOptions & { watches: WatchStreams };

interface Target {
  r: ResourceType;
  namespace?: string;
  name?: string;
  sub?: string;
  watch: boolean;
}

/** Map URL segments after `/api/v1` or `/apis/<g>/<v>` to a resource target. */
export function parseResourcePath(groupName: string, segs: string[]): Target | undefined {
  let watch = false;
  if (segs[0] === 'watch') {
    watch = true;
    segs = segs.slice(1);
  }
  const find = (plural: string) => findByPlural(groupName, plural);
  // /api/v1/namespaces/NS/status and /finalize are the Namespace's own subresources.
  const namespaceSub = groupName === '' && segs.length === 3 && ['status', 'finalize'].includes(segs[2]);
  if (segs[0] === 'namespaces' && segs.length >= 3 && !namespaceSub) {
    const r = find(segs[2]);
    if (!r || !r.namespaced || segs.length > 5) return undefined;
    return { r, namespace: segs[1], name: segs[3], sub: segs[4], watch };
  }
  const r = find(segs[0]);
  if (!r || segs.length > 3) return undefined;
  if (r.namespaced && segs.length > 1) return undefined;
  return { r, name: segs[1], sub: segs[2], watch };
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw errors.badRequest(`invalid URL escape in path segment "${seg}"`);
  }
}

function wantsTable(req: FastifyRequest): boolean {
  const accept = String(req.headers.accept ?? '');
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function parseBody(req: FastifyRequest): unknown {
  const body = decodeBody(req);
  if (body !== undefined && nestingDepth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw errors.badRequest(`the request body exceeded max depth (${MAX_BODY_DEPTH} levels of nesting)`);
  }
  return body;
}

function decodeBody(req: FastifyRequest): unknown {
  const raw = req.body;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim();
  if (isKubernetesProtobuf(ct)) {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw), 'latin1');
    if (!buf.length) return undefined;
    try {
      return decodeKubernetesProtobuf(buf);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw errors.badRequest(`protobuf: ${(e as Error).message}`);
    }
  }
  const text = typeof raw === 'string' ? raw : String(raw);
  if (ct === 'application/yaml' || ct === 'application/apply-patch+yaml') {
    try {
      const docs = parseAllDocuments(text);
      const first = Array.isArray(docs) ? docs[0] : docs;
      if (!first || first.errors.length) throw new Error(first?.errors[0]?.message ?? 'empty document');
      // An alias bomb stops at the alias limit; a pathological document that overflows the parser is refused too.
      return first.toJS({ json: true, maxAliasCount: MAX_YAML_ALIASES });
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`json: ${(e as Error).message}`);
  }
}

/** Node's clientError: a Status with the code Node would send, then the connection is closed. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const codes: Record<string, [number, string, string]> = {
    ERR_HTTP_REQUEST_TIMEOUT: [408, 'Timeout', 'the request did not arrive within the allowed time'],
    HPE_HEADER_OVERFLOW: [431, 'BadRequest', 'the request header fields are too large'],
  };
  const [code, reason, message] = codes[err.code ?? ''] ?? [400, 'BadRequest', `malformed HTTP request: ${err.code ?? err.message}`];
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !pending?.headersSent) {
    const body = JSON.stringify(statusFailure(code, reason, message));
    socket.end(`HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  // Gone once the answer is out (or at once if it cannot be written).
  if (socket.writableFinished || !socket.writable) socket.destroy();
  else socket.once('finish', () => socket.destroy());
}

const patchTypes: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
};

function sendStatus(reply: FastifyReply, e: ApiError): FastifyReply {
  const retry = e.status.details?.retryAfterSeconds;
  if (retry) reply.header('Retry-After', String(retry));
  return reply.code(e.code).type('application/json').send(e.status);
}

function query(req: FastifyRequest): Record<string, string> {
  return (req.query ?? {}) as Record<string, string>;
}

function deleteOptions(req: FastifyRequest, body: any): DeleteOptions {
  const q = query(req);
  const o: DeleteOptions = {};
  const grace = body?.gracePeriodSeconds ?? (q.gracePeriodSeconds !== undefined ? Number(q.gracePeriodSeconds) : undefined);
  if (grace !== undefined) o.gracePeriodSeconds = Number(grace);
  let policy = body?.propagationPolicy ?? q.propagationPolicy;
  const orphan = body?.orphanDependents ?? (q.orphanDependents !== undefined ? q.orphanDependents === 'true' : undefined);
  if (!policy && orphan !== undefined) policy = orphan ? 'Orphan' : 'Background';
  if (policy) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw errors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    o.propagationPolicy = policy;
  }
  if (body?.preconditions) o.preconditions = body.preconditions;
  if ((body?.dryRun ?? []).includes?.('All') || q.dryRun === 'All') o.dryRun = true;
  return o;
}

export function buildHttpServer(registry: Registry, options: HttpOptions): FastifyInstance {
  const opts: Ctx = { ...options, watches: new WatchStreams({ ...defaultWatchLimits, ...options.watchLimits }) };
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const app = Fastify({
    // Per-request logs stay off (warn and above only); our own events log at info.
    loggerInstance: opts.logger.child({ component: 'http' }, { level: 'warn' }),
    bodyLimit: opts.bodyLimit ?? 3 * 1024 * 1024,
    // A request (headers and body) must arrive within requestTimeout: a body trickled in a byte at a time
    // does not hold a connection for ever. Node checks the deadlines every connectionsCheckingInterval.
    requestTimeout: requestTimeoutMs,
    ...(opts.https
      ? {
          https: {
            ...opts.https,
            headersTimeout: Math.min(requestTimeoutMs, 32_000),
            connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
          },
        }
      : {}),
    // Errors before a request reaches the router (timeout, oversized headers, not HTTP) are answered as a Status too.
    clientErrorHandler: clientError,
    // A URL the router cannot decode (`%ZZ`) or a bad header is answered as a Status too.
    frameworkErrors: (err: { statusCode?: number; message?: string }, _req: FastifyRequest, reply: FastifyReply) =>
      sendStatus(reply, errors.badRequest(String(err.message))),
  } as any) as unknown as FastifyInstance;
  // Bodies are parsed by us, so malformed input becomes a Status, never a crash.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // kubectl's typed create commands send Kubernetes protobuf: keep those bytes as a Buffer.
  app.addContentTypeParser('application/vnd.kubernetes.protobuf', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof ApiError) return sendStatus(reply, err);
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode === 413) return sendStatus(reply, errors.tooLarge());
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendStatus(reply, errors.badRequest(String(e.message)));
    opts.logger.error({ err }, 'request failed');
    return sendStatus(reply, errors.internal(String(e.message)));
  });
  app.setNotFoundHandler((_req, reply) => sendStatus(reply, errors.pathNotFound()));
  // Shutdown ends open watches (clients re-watch elsewhere) instead of waiting out their timeout.
  app.addHook('preClose', (done) => {
    opts.watches.closeAll();
    done();
  });

  const open = new Set(['/healthz', '/readyz', '/livez']);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0];
    if (open.has(path)) return;
    // Refused before the body is read; the connection is closed rather than kept to drain a body we will not use.
    if (!bearerTokenMatches(req.headers.authorization, opts.token)) return sendStatus(reply.header('Connection', 'close'), errors.unauthorized());
  });

  for (const p of open) app.get(p, async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/version', async () => serverVersion);
  app.get('/api', async () => coreVersions(opts.serverAddress));
  app.get('/openapi/v3', async () => openapiIndex());
  app.get('/openapi/v3/*', async (req) => openapiGroupVersionDoc((req.params as any)['*']) ?? Promise.reject(errors.pathNotFound()));
  app.get('/api/v1', async () => resourceList('', 'v1'));
  app.get('/apis', async () => groupList());
  app.get('/apis/:group', async (req) => group((req.params as any).group) ?? Promise.reject(errors.pathNotFound()));
  app.get('/apis/:group/:version', async (req) => {
    const p = req.params as any;
    return resourceList(p.group, p.version) ?? Promise.reject(errors.pathNotFound());
  });

  const handle = (groupName: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    // Split the raw path, then decode each segment once (an encoded '/' stays inside its segment, `%2525` is `%25`).
    const raw = req.raw.url!.split('?')[0].split('/').filter(Boolean).slice(groupName === '' ? 2 : 3);
    const segs = raw.map(decodeSegment);
    const t = parseResourcePath(groupName, segs);
    if (!t) throw errors.pathNotFound();
    return route(registry, opts, req, reply, t);
  };
  app.all('/api/v1/*', handle(''));
  app.all('/apis/:group/v1/*', async (req, reply) => handle((req.params as any).group)(req, reply));
  return app;
}

async function route(registry: Registry, opts: Ctx, req: FastifyRequest, reply: FastifyReply, t: Target): Promise<unknown> {
  const { r, namespace: ns, name, sub } = t;
  const q = query(req);
  const method = req.method;
  const dryRun = q.dryRun === 'All';

  if (sub) return subresource(registry, opts, req, reply, t);

  if (!name) {
    if (method === 'GET') {
      if (t.watch || q.watch === 'true' || q.watch === '1') return serveWatch(registry, opts, req, reply, t);
      const list = registry.list(r, ns, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, limit: q.limit ? Number(q.limit) : undefined, continue: q.continue });
      return wantsTable(req) ? { ...tableFor(r.kind, list.items, new Date(), includeObject(q)), metadata: list.metadata } : list;
    }
    if (method === 'POST') {
      if (r.namespaced && !ns) throw errors.methodNotAllowed();
      const obj = await registry.create(r, ns, parseBody(req), { dryRun });
      return reply.code(201).send(obj);
    }
    if (method === 'DELETE') {
      const list = await registry.deleteCollection(r, ns, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector }, deleteOptions(req, parseBody(req)));
      return list;
    }
    throw errors.methodNotAllowed();
  }

  switch (method) {
    case 'GET': {
      if (t.watch) return serveWatch(registry, opts, req, reply, { ...t, name: undefined }, name);
      const obj = registry.get(r, ns, name);
      return wantsTable(req) ? tableFor(r.kind, [obj], new Date(), includeObject(q)) : obj;
    }
    case 'PUT':
      return registry.update(r, ns, name, parseBody(req), { dryRun });
    case 'PATCH':
      return registry.patch(r, ns, name, patchType(req), parseBody(req), { dryRun });
    case 'DELETE':
      return registry.delete(r, ns, name, deleteOptions(req, parseBody(req)));
    default:
      throw errors.methodNotAllowed();
  }
}

function patchType(req: FastifyRequest): PatchType {
  const ct = String(req.headers['content-type'] ?? '').split(';')[0].trim();
  const t = patchTypes[ct];
  if (!t) throw errors.unsupportedMediaType(ct);
  return t;
}

function includeObject(q: Record<string, string>): 'None' | 'Metadata' | 'Object' {
  return q.includeObject === 'None' || q.includeObject === 'Object' ? q.includeObject : 'Metadata';
}

async function subresource(registry: Registry, opts: Ctx, req: FastifyRequest, reply: FastifyReply, t: Target): Promise<unknown> {
  const { r, namespace: ns, name, sub } = t;
  if (!r.subresources.includes(sub!)) throw errors.pathNotFound();
  const method = req.method;
  const dryRun = query(req).dryRun === 'All';
  switch (sub) {
    case 'status':
    case 'finalize':
      if (method === 'GET') return registry.get(r, ns, name!);
      if (method === 'PUT') {
        if (sub === 'finalize') {
          const body = parseBody(req) as KubeObject;
          return registry.modify(r, ns, name!, (o) => ({ ...o, spec: { ...o.spec, finalizers: body?.spec?.finalizers ?? [] } }), { dryRun });
        }
        return registry.update(r, ns, name!, parseBody(req), { subresource: 'status', dryRun });
      }
      if (method === 'PATCH') return registry.patch(r, ns, name!, patchType(req), parseBody(req), { subresource: 'status', dryRun });
      throw errors.methodNotAllowed();
    case 'scale':
      return scale(registry, req, r, ns!, name!);
    case 'binding':
      if (method !== 'POST') throw errors.methodNotAllowed();
      await bind(registry, r, ns!, name!, parseBody(req));
      return reply.code(201).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    case 'eviction':
      if (method !== 'POST') throw errors.methodNotAllowed();
      await registry.delete(r, ns, name!, deleteOptions(req, (parseBody(req) as any)?.deleteOptions));
      return reply.code(201).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    default: {
      // log, exec, attach, portforward, proxy: streams served by the node agent.
      const pod = registry.get(r, ns, name!);
      if (r.kind === 'Pod' && !pod.spec?.nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
      if (!opts.streamHandler) throw errors.serviceUnavailable(`${sub} is served by the node's kubelet, and no kubelet stream proxy is configured`);
      await opts.streamHandler(req, reply, pod, sub!);
      return reply;
    }
  }
}

/** pods/binding: the scheduler's one write, as Kubernetes' assignPod. */
async function bind(registry: Registry, r: ResourceType, ns: string, name: string, body: any): Promise<void> {
  const node = body?.target?.name;
  if (!node || (body.target.kind && body.target.kind !== 'Node')) throw errors.badRequest('binding target must be a Node with a name');
  await registry.modify(r, ns, name, (pod) => {
    if (pod.spec.nodeName) throw errors.conflict(r, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    if (pod.metadata.deletionTimestamp) throw errors.conflict(r, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    pod.spec.nodeName = node;
    const conditions = (pod.status?.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowTimestamp() });
    pod.status = { ...(pod.status ?? {}), conditions };
    return pod;
  }, { subresource: 'binding' });
}

/** autoscaling/v1 Scale for deployments, replicasets and replicationcontrollers. */
async function scale(registry: Registry, req: FastifyRequest, r: ResourceType, ns: string, name: string): Promise<unknown> {
  const toScale = (o: KubeObject) => ({
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, creationTimestamp: o.metadata.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: scaleSelector(o) },
  });
  if (req.method === 'GET') return toScale(registry.get(r, ns, name));
  let body = parseBody(req) as any;
  if (req.method === 'PATCH') {
    const current = toScale(registry.get(r, ns, name));
    body = patchType(req) === 'json' ? applyJsonPatch(current, body) : applyMergePatch(current, body);
  } else if (req.method !== 'PUT') throw errors.methodNotAllowed();
  const replicas = body?.spec?.replicas;
  // Scale's spec.replicas is an int32, as the decode into autoscaling/v1 Scale checks.
  if (typeof replicas === 'number' && Number.isInteger(replicas) && replicas > 2 ** 31 - 1) {
    throw errors.badRequest(`Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal number ${replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
  }
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid({ ...r, kind: 'Scale' }, name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
  }
  const updated = await registry.modify(r, ns, name, (o) => {
    const rv = body?.metadata?.resourceVersion;
    if (rv && rv !== o.metadata.resourceVersion) throw errors.conflict(r, name);
    o.spec = { ...o.spec, replicas };
    return o;
  });
  return toScale(updated);
}

function scaleSelector(o: KubeObject): string {
  const sel = o.spec?.selector;
  if (!sel) return '';
  if (o.kind === 'ReplicationController') return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** setTimeout's largest delay; a longer timeoutSeconds is clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A watch stream: newline-delimited `{"type":…,"object":…}` as Kubernetes
 * sends them. Starts with the current state (no resourceVersion or "0") or
 * replays the window after the given resourceVersion; 410 Expired as an
 * ERROR event when that is too old, 504 "Too large resource version" when
 * it is newer than the store becomes within a few seconds. The stream's
 * bounds (buffer, per-client count, shutdown) are watch-stream.ts's.
 */
async function serveWatch(registry: Registry, ctx: Ctx, req: FastifyRequest, reply: FastifyReply, t: Target, onlyName?: string): Promise<FastifyReply> {
  const q = query(req);
  const { r, namespace: ns } = t;
  let fieldSelector = q.fieldSelector;
  if (onlyName) fieldSelector = [fieldSelector, `metadata.name=${onlyName}`].filter(Boolean).join(',');
  const filter = registry.parseFilter(r, ns, { labelSelector: q.labelSelector, fieldSelector });
  const matches = (o: KubeObject) => registry.matches(filter, o);
  const rvParam = q.resourceVersion;
  if (rvParam && rvParam !== '0' && !/^\d+$/.test(rvParam)) throw errors.badRequest(`invalid resource version: ${rvParam}`);
  if (q.timeoutSeconds !== undefined && !/^\d+$/.test(q.timeoutSeconds)) {
    throw errors.badRequest(`timeoutSeconds: Invalid value: "${q.timeoutSeconds}": must be a non-negative integer`);
  }
  // As kube-apiserver: 0 or absent means the server's default; a longer one is clamped (not wrapped to 1 ms by the timer).
  const timeoutMs = Math.min(Number(q.timeoutSeconds ?? 0) * 1000 || 1800_000, MAX_TIMER_MS);
  const asTable = wantsTable(req);
  const encode = (ev: WatchEvent, first: boolean): string => {
    if (!asTable || ev.type === 'BOOKMARK' || ev.type === 'ERROR') return JSON.stringify(ev) + '\n';
    const table = tableFor(r.kind, [ev.object], new Date(), includeObject(q)) as any;
    if (!first) table.columnDefinitions = [];
    return JSON.stringify({ type: ev.type, object: table }) + '\n';
  };

  const release = ctx.watches.admit(req.socket.remoteAddress ?? '');
  let tooLarge: Status | undefined;
  try {
    const wanted = Number(rvParam ?? 0);
    if (wanted > registry.hub.currentRv() && !(await registry.hub.waitForRv(wanted, ctx.tooLargeRvWaitMs ?? 3000))) {
      tooLarge = statusFailure(504, 'Timeout', `Too large resource version: ${wanted}, current: ${registry.hub.currentRv()}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
  } catch (e) {
    release();
    throw e;
  }
  if (req.raw.destroyed || reply.raw.destroyed) {
    // The client left while we waited for its resourceVersion: nothing to stream to.
    release();
    reply.hijack();
    reply.raw.destroy();
    return reply;
  }

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const stream = ctx.watches.start(res, encode, () =>
    ctx.logger.warn({ resource: resourceKey(r), client: req.socket.remoteAddress, budget: ctx.watches.limits.bufferBytes }, 'watcher dropped: it fell behind'),
  );
  stream.onClose(release);
  req.raw.on('close', () => stream.end(true));

  const apiVersion = apiVersionOf(r);
  const withType = (o: KubeObject): KubeObject => ({ apiVersion, kind: r.kind, ...o });
  if (tooLarge) {
    // As the watch cache: errors after the request is accepted are an ERROR event, not an HTTP status.
    stream.sendInitial([{ type: 'ERROR', object: tooLarge as any }]);
    stream.end();
    return reply;
  }
  const initial: WatchEvent[] = [];
  if (!rvParam || rvParam === '0') {
    for (const o of registry.storage.list(resourceKey(r), filter.namespace)) if (matches(o)) initial.push({ type: 'ADDED', object: withType(o) });
  } else {
    const replay = registry.hub.since(resourceKey(r), Number(rvParam));
    if (!replay) {
      stream.sendInitial([{ type: 'ERROR', object: statusFailure(410, 'Expired', `too old resource version: ${rvParam} (${registry.hub.oldestRv()})`) as any }]);
      stream.end();
      return reply;
    }
    for (const c of replay) {
      const ev = watchEventFor(c, matches);
      if (ev) initial.push({ type: ev.type, object: withType(ev.object) });
    }
  }
  stream.onClose(
    registry.hub.add({
      resource: resourceKey(r),
      send: (c, shared) => {
        const ev = watchEventFor(c, matches);
        if (!ev) return;
        if (asTable) return stream.send({ type: ev.type, object: withType(ev.object) });
        // Every JSON watcher that gets this event (same type, same API version) gets the same line: encoded once per change.
        const key = `${ev.type} ${apiVersion}`;
        let line = shared.get(key);
        if (line === undefined) shared.set(key, (line = encode({ type: ev.type, object: withType(ev.object) }, false)));
        stream.sendLine(line);
      },
    }),
  );
  stream.sendInitial(initial);
  if (q.allowWatchBookmarks === 'true') {
    const every = (ctx.bookmarkInterval ?? 10) * 1000;
    const timer = setInterval(() => {
      stream.send({ type: 'BOOKMARK', object: { kind: r.kind, apiVersion, metadata: { resourceVersion: String(registry.storage.currentRv()) } } });
    }, every);
    stream.onClose(() => clearInterval(timer));
  }
  const timer = setTimeout(() => stream.end(), timeoutMs);
  stream.onClose(() => clearTimeout(timer));
  return reply;
}


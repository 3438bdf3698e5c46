// The `mk8s ui` server: fastify on 127.0.0.1 only, every request checked for
// the one-time token (as Jupyter: the printed URL carries it once, the page
// then keeps it in an HttpOnly SameSite=Strict cookie). It reads the cluster
// through informers and pushes the cluster view to the page over
// Server-Sent Events; a Service's path comes with the node proxies'
// counters, asked through the API server's node proxy (never from the
// browser to a node); the lab pane drives the same LabSession as `mk8s lab`.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { marked } from 'marked';
import type { KubeObject } from '../api/types.js';
import { findByKind } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer, type InformerLog } from '../client/informer.js';
import type { LiveRule } from '../proxy/rules/live.js';
import { readLabFile, type LabSession } from '../cli/lab/engine.js';
import { clusterView } from './model.js';
import { servicePath } from './path.js';

/** The page's files: `ui/static/` at the top of the repository (next to dist/). */
export const staticDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui', 'static');
const cytoscapeFile = join(dirname(createRequire(import.meta.url).resolve('cytoscape')), 'cytoscape.min.js');

export interface UiOptions {
  client: Client;
  /** 0: any free port. */
  port: number;
  token?: string;
  lab?: LabSession;
  log?: InformerLog;
}

export interface UiServer {
  url: string;
  token: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

const cookieName = 'mk8s-ui-token';

function cookieToken(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === cookieName) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

const same = (a: string | undefined, b: string) => !!a && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function renderMarkdown(md: string): string {
  return marked.parse(md, { async: false }) as string;
}

const quietLog: InformerLog = { warn: () => {}, error: (o, m) => process.stderr.write(`mk8s ui: ${m} ${JSON.stringify(o)}\n`) };

export async function startUi(o: UiOptions): Promise<UiServer> {
  const token = o.token ?? randomBytes(24).toString('hex');
  const log = o.log ?? quietLog;
  const kinds = {
    nodes: findByKind('v1', 'Node')!,
    pods: findByKind('v1', 'Pod')!,
    services: findByKind('v1', 'Service')!,
    slices: findByKind('discovery.k8s.io/v1', 'EndpointSlice')!,
  };
  const inf = Object.fromEntries(Object.entries(kinds).map(([k, r]) => [k, new Informer(o.client, r, { log, maxBackoffMs: 2000 })])) as Record<keyof typeof kinds, Informer>;
  const view = () => clusterView(inf.nodes.list(), inf.pods.list(), inf.services.list(), inf.slices.list());

  // SSE clients get the whole view on connect and after each change (changes within 50 ms go as one).
  const clients = new Set<FastifyReply>();
  let pending: NodeJS.Timeout | undefined;
  const send = (r: FastifyReply, data: string) => r.raw.write(`event: cluster\ndata: ${data}\n\n`);
  const changed = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      const data = JSON.stringify(view());
      for (const c of clients) send(c, data);
    }, 50);
  };
  for (const i of Object.values(inf)) i.on({ add: changed, update: changed, delete: changed });
  await Promise.all(Object.values(inf).map((i) => i.start()));

  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (req, reply) => {
    // Only this machine's names reach it (a page elsewhere cannot rebind its own name to 127.0.0.1 and read it).
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (host !== '127.0.0.1' && host !== 'localhost') return reply.code(403).type('text/plain').send('403: mk8s ui answers on 127.0.0.1 only\n');
    const q = (req.query as Record<string, string> | undefined)?.token;
    if (same(q, token)) {
      reply.header('set-cookie', `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict`);
      if (req.method === 'GET' && req.url.split('?')[0] === '/') return reply.redirect('/', 303);
      return;
    }
    if (same(cookieToken(req), token) || same(req.headers['x-mk8s-token'] as string | undefined, token)) return;
    return reply.code(401).type('text/plain').send('401 Unauthorized: open the URL `mk8s ui` printed (it carries the token)\n');
  });

  await app.register(fastifyStatic, { root: staticDir, prefix: '/assets/', index: false });
  app.get('/', (_req, reply) => reply.sendFile('index.html'));
  app.get('/vendor/cytoscape.min.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(readFileSync(cytoscapeFile)));

  app.get('/api/cluster', async () => view());

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write('retry: 1000\n\n');
    send(reply, JSON.stringify(view()));
    clients.add(reply);
    const ping = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      clients.delete(reply);
    });
  });

  app.get<{ Params: { ns: string; name: string } }>('/api/services/:ns/:name/path', async (req, reply) => {
    const { ns, name } = req.params;
    const svc = inf.services.get(`${ns}/${name}`);
    if (!svc) return reply.code(404).send({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `services "${name}" not found` });
    const nodes = inf.nodes.list();
    const rules: Record<string, LiveRule[]> = {};
    const unreachable: Record<string, string> = {};
    await Promise.all(
      nodes.map(async (n) => {
        const node = n.metadata.name!;
        try {
          const r = await o.client.request('GET', `/api/v1/nodes/${encodeURIComponent(`${node}:10256`)}/proxy/rules`, { query: { service: `${ns}/${name}` }, timeoutMs: 3000 });
          rules[node] = r.rules ?? [];
        } catch (e) {
          unreachable[node] = (e as Error).message;
        }
      }),
    );
    const slices = inf.slices.list(ns).filter((s: KubeObject) => s.metadata.labels?.['kubernetes.io/service-name'] === name);
    return servicePath(svc, slices, nodes, inf.pods.list(ns), rules, unreachable);
  });

  // The lab pane: one lab operation at a time (a check runs the step's script).
  let labQueue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = labQueue.then(f, f);
    labQueue = p.catch(() => {});
    return p;
  };
  const labState = () => {
    if (!o.lab) return { active: false, message: 'No lab session (mk8s ui was started without one).' };
    let cur;
    try {
      cur = o.lab.current();
    } catch (e) {
      return { active: false, message: (e as Error).message };
    }
    const { lab, progress } = cur;
    const total = lab.spec.steps.length;
    const finished = progress.step >= total;
    const step = lab.spec.steps[progress.step];
    return {
      active: true,
      title: lab.spec.title,
      step: progress.step,
      total,
      done: progress.done,
      finished,
      stepTitle: finished ? 'Finished' : step.title,
      html: renderMarkdown(readLabFile(lab, finished ? lab.spec.finish.text : step.text)),
      hasHint: !!step?.hint,
      hasSolution: !!step?.solution,
    };
  };
  const labError = (reply: FastifyReply, e: unknown) => reply.code(409).send({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: (e as Error).message });
  app.get('/api/lab', async () => labState());
  app.post('/api/lab/check', async (_req, reply) => {
    if (!o.lab) return labError(reply, new Error('no lab session'));
    try {
      const r = await serial(() => o.lab!.check());
      return r.ok ? { ok: true, step: r.step, finished: r.finished, lab: labState() } : { ok: false, step: r.step, reason: r.reason, lab: labState() };
    } catch (e) {
      return labError(reply, e);
    }
  });
  app.get('/api/lab/hint', async (_req, reply) => {
    try {
      const { lab, progress } = o.lab!.current();
      const step = lab.spec.steps[progress.step];
      return { html: step?.hint ? renderMarkdown(readLabFile(lab, step.hint)) : '<p>This step has no hint; the solution shows the answer.</p>' };
    } catch (e) {
      return labError(reply, e);
    }
  });
  app.get('/api/lab/solution', async (_req, reply) => {
    try {
      const { lab, progress } = o.lab!.current();
      const step = lab.spec.steps[progress.step];
      if (!step?.solution) throw new Error('this step has no solution script');
      return { script: readLabFile(lab, step.solution) };
    } catch (e) {
      return labError(reply, e);
    }
  });
  app.post('/api/lab/solution/run', async (_req, reply) => {
    try {
      const r = await serial(() => o.lab!.solve());
      return { code: r.code, output: r.output, timedOut: r.timedOut };
    } catch (e) {
      return labError(reply, e);
    }
  });

  try {
    await app.listen({ host: '127.0.0.1', port: o.port });
  } catch (e) {
    await Promise.all(Object.values(inf).map((i) => i.stop()));
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  return {
    url,
    token,
    port,
    app,
    async close() {
      if (pending) clearTimeout(pending);
      for (const c of clients) c.raw.end();
      clients.clear();
      await app.close();
      await Promise.all(Object.values(inf).map((i) => i.stop()));
    },
  };
}

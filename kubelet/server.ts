// The kubelet's stream server, on the node IP, HTTPS with the node's serving
// certificate from the cluster CA; it answers only the API server (a client
// certificate from the cluster CA with the apiserver's identity, see
// api/node-auth.ts): 401 without one, 403 for another identity.
//   GET /containerLogs/NS/POD/CONTAINER?follow=&tailLines=&timestamps=&previous=
//   GET /exec/NS/POD/CONTAINER?command=…&stdin=&stdout=&stderr=&tty=   (WebSocket, channel.k8s.io v4/v5)
//   GET /attach/NS/POD/CONTAINER?stdin=&stdout=&stderr=&tty=           (WebSocket, the same protocol)
//   GET /portForward/NS/POD                                             (WebSocket, see portforward.ts)
//   GET /metrics                                                        (Prometheus text, see metrics.ts)
// as the kubelet's streaming server answers the apiserver's pods/log,
// pods/exec and pods/portforward.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Kubelet } from './kubelet.js';
import { checkNodeClient, nodeTlsServerOptions, peerOf, subresourceFor, verbFor, type NodeTlsFiles } from '../api/node-auth.js';
import { servePortForward, serveChannelPortForward, CHANNEL_PORT_FORWARD_PROTOCOLS, PORT_FORWARD_PROTOCOLS, PORT_FORWARD_PROTOCOL_ALIAS, PORT_FORWARD_TUNNEL_PROTOCOL } from './portforward.js';

export interface StreamServer {
  url: string;
  close(): Promise<void>;
}

/** channel.k8s.io stream numbers. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound' };

function sendError(res: http.ServerResponse, code: number, message: string): void {
  const reason = reasons[code] ?? 'InternalError';
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(statusBody(code, reason, message));
}

function rejectUpgrade(socket: Duplex, code: number, message: string): void {
  const body = statusBody(code, reasons[code] ?? 'InternalError', message);
  socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

const truthy = (v: string | null) => v === 'true' || v === '1';

export async function startStreamServer(k: Kubelet, o: { host: string; port: number; logger: Logger; tls: NodeTlsFiles }): Promise<StreamServer> {
  const log = o.logger.child({ component: 'kubelet-server', node: k.o.nodeName });
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols, req) => {
      if (String(req.url).startsWith('/portForward/')) {
        for (const p of CHANNEL_PORT_FORWARD_PROTOCOLS) if (protocols.has(p)) return p;
      } else for (const p of EXEC_PROTOCOLS) if (protocols.has(p)) return p;
      // Answer with the name the client offered (see the alias below).
      if (protocols.has(PORT_FORWARD_PROTOCOL_ALIAS)) return PORT_FORWARD_TUNNEL_PROTOCOL;
      return false;
    },
  });

  /** As the kubelet's authn/authz filter: the request's answer when the client is not the API server. */
  const denied = (req: http.IncomingMessage) => {
    const path = new URL(req.url ?? '/', 'https://kubelet').pathname;
    const peer = peerOf(req.socket);
    const failure = checkNodeClient(peer, verbFor(req.method), subresourceFor(path));
    if (failure) log.info({ path, code: failure.code, remote: req.socket.remoteAddress, tls: peer.error }, 'request refused');
    return failure;
  };

  const server = https.createServer(nodeTlsServerOptions(o.tls), (req, res) => {
    const refused = denied(req);
    if (refused) return sendError(res, refused.code, refused.message);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (url.pathname === '/healthz') {
      res.end('ok');
      return;
    }
    if (url.pathname === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(k.metrics.render());
      return;
    }
    if (segs[0] === 'containerLogs' && segs.length === 4 && req.method === 'GET') {
      void serveLogs(k, segs[1], segs[2], segs[3], url.searchParams, res, log);
      return;
    }
    if (segs[0] === 'exec' || segs[0] === 'attach' || segs[0] === 'portForward') {
      sendError(res, 400, 'Upgrade request required (mk8s streams over WebSocket; SPDY is not served)');
      return;
    }
    sendError(res, 404, 'the server could not find the requested resource');
  });

  server.on('upgrade', (req, socket, head) => {
    const refused = denied(req);
    if (refused) return rejectUpgrade(socket, refused.code, refused.message);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const ws = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!ws) return rejectUpgrade(socket, 400, `unsupported upgrade "${req.headers.upgrade}": mk8s streams over WebSocket only`);
    if ((segs[0] === 'exec' || segs[0] === 'attach') && (segs.length === 3 || segs.length === 4)) {
      void (async () => {
        const found = await k.findContainer(segs[1], segs[2], segs[3]);
        if ('error' in found) return rejectUpgrade(socket, found.code, found.error);
        const current = found.instances[0];
        if (!current || current.state !== 'running') {
          return rejectUpgrade(socket, 400, `container ${found.container} is not running (pod ${segs[2]})`);
        }
        wss.handleUpgrade(req, socket, head, (conn) => {
          log.info({ pod: `${segs[1]}/${segs[2]}`, container: found.container, command: url.searchParams.getAll('command').join(' ') }, segs[0]);
          if (segs[0] === 'exec') void serveExec(k, current.id, url.searchParams, conn, log);
          else void serveAttach(k, current.id, url.searchParams, conn, log);
        });
      })().catch((e) => rejectUpgrade(socket, 500, (e as Error).message));
      return;
    }
    if (segs[0] === 'portForward' && segs.length === 3) {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      // kubectl 1.31+ tunnels SPDY in the WebSocket; otherwise the kubelet's channel protocol (v4.channel.k8s.io).
      const tunnel = offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL);
      if (!tunnel && !offered.some((p) => CHANNEL_PORT_FORWARD_PROTOCOLS.includes(p))) {
        return rejectUpgrade(socket, 400, `port-forward needs the WebSocket subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL} or ${CHANNEL_PORT_FORWARD_PROTOCOLS[0]}`);
      }
      if (tunnel) req.headers['sec-websocket-protocol'] = PORT_FORWARD_PROTOCOLS.join(', ');
      void (async () => {
        const pod = k.pods.get(`${segs[1]}/${segs[2]}`);
        if (!pod) return rejectUpgrade(socket, 404, `pods "${segs[2]}" not found`);
        const ip = await k.podIP(pod.metadata.uid!);
        if (!ip) return rejectUpgrade(socket, 400, `pod ${segs[2]} has no IP yet`);
        wss.handleUpgrade(req, socket, head, (conn) => {
          log.info({ pod: `${segs[1]}/${segs[2]}`, ip, protocol: conn.protocol }, 'port-forward');
          if (tunnel) servePortForward(conn, ip, url.searchParams, log);
          else serveChannelPortForward(conn, ip, url.searchParams, log);
        });
      })().catch((e) => rejectUpgrade(socket, 500, (e as Error).message));
      return;
    }
    rejectUpgrade(socket, 404, 'the server could not find the requested resource');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return {
    url: `https://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

async function serveLogs(k: Kubelet, ns: string, pod: string, container: string, q: URLSearchParams, res: http.ServerResponse, log: Logger): Promise<void> {
  try {
    const found = await k.findContainer(ns, pod, container);
    if ('error' in found) return sendError(res, found.code, found.error);
    const previous = truthy(q.get('previous'));
    const target = previous ? found.instances[1] : found.instances[0];
    if (!target) {
      if (previous) return sendError(res, 400, `previous terminated container "${container}" in pod "${pod}" not found`);
      const waiting = found.pod.status?.containerStatuses?.find((s: any) => s.name === container)?.state?.waiting?.reason ?? 'ContainerCreating';
      return sendError(res, 400, `container "${container}" in pod "${pod}" is waiting to start: ${waiting}`);
    }
    const follow = truthy(q.get('follow'));
    const tail = q.get('tailLines');
    const since = q.get('sinceSeconds');
    const limit = q.get('limitBytes');
    const stream = await k.runtime.logs(target.id, {
      follow,
      timestamps: truthy(q.get('timestamps')),
      tail: tail !== null ? Number(tail) : undefined,
      since: since !== null ? Math.floor(Date.now() / 1000) - Number(since) : undefined,
    });
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    let sent = 0;
    const max = limit !== null ? Number(limit) : Infinity;
    stream.on('data', (chunk: Buffer) => {
      if (sent >= max) return;
      const part = sent + chunk.length > max ? chunk.subarray(0, max - sent) : chunk;
      sent += part.length;
      res.write(part);
      if (sent >= max) {
        res.end();
        stream.destroy();
      }
    });
    stream.on('end', () => res.end());
    stream.on('error', () => res.end());
    res.on('close', () => stream.destroy());
  } catch (e) {
    log.warn({ pod: `${ns}/${pod}`, err: (e as Error).message }, 'logs failed');
    if (!res.headersSent) sendError(res, 500, (e as Error).message);
    else res.end();
  }
}

/** A Writable that sends each chunk as one message on a channel. */
function channelWriter(conn: WebSocket, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (conn.readyState !== conn.OPEN) return cb();
      conn.send(Buffer.concat([Buffer.from([channel]), chunk]), cb);
    },
  });
}

/** A Docker stream (exec or attach) behind the channel.k8s.io protocol. */
interface DockerSession {
  stream: Duplex;
  resize(width: number, height: number): Promise<unknown>;
  /** The exit code once the stream has ended (undefined: still running, as after a detach). */
  exitCode(): Promise<number | undefined>;
}

/**
 * The channel.k8s.io WebSocket protocol (v4/v5) over a Docker stream:
 * stdin (0), stdout (1), stderr (2), the closing Status (3), resize (4),
 * and v5's close-stdin (255).
 */
async function serveChannels(
  conn: WebSocket,
  q: URLSearchParams,
  open: (o: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }) => Promise<DockerSession>,
  demux: (stream: Duplex, out: Writable, err: Writable) => void,
  failureMessage: (code: number) => string,
  log: Logger,
): Promise<void> {
  const tty = truthy(q.get('tty'));
  const wantStdin = truthy(q.get('stdin'));
  const wantStdout = q.get('stdout') === null ? true : truthy(q.get('stdout'));
  const wantStderr = !tty && (q.get('stderr') === null ? true : truthy(q.get('stderr')));
  const sendStatus = (status: object) => {
    if (conn.readyState === conn.OPEN) conn.send(Buffer.concat([Buffer.from([CHANNEL.error]), Buffer.from(JSON.stringify(status))]));
  };
  // The client may send stdin (and close it) before Docker's stream is up: hold those messages until it is.
  const early: Buffer[] = [];
  let onMessage = (buf: Buffer) => void early.push(buf);
  conn.on('message', (data: Buffer) => onMessage(Buffer.isBuffer(data) ? data : Buffer.from(data as any)));
  try {
    const session = await open({ tty, stdin: wantStdin, stdout: wantStdout, stderr: wantStderr });
    const stream = session.stream;
    // As the kubelet: an empty frame on the first writable stream tells the client the streams are up.
    if (wantStdout) conn.send(Buffer.from([CHANNEL.stdout]));
    else if (wantStderr) conn.send(Buffer.from([CHANNEL.stderr]));
    const stdout = channelWriter(conn, CHANNEL.stdout);
    const stderr = channelWriter(conn, CHANNEL.stderr);
    if (tty) stream.on('data', (d: Buffer) => stdout.write(d));
    else demux(stream, stdout, stderr);
    onMessage = (buf: Buffer) => {
      if (!buf.length) return;
      const ch = buf[0];
      const payload = buf.subarray(1);
      if (ch === CHANNEL.stdin && wantStdin) stream.write(payload);
      else if (ch === CHANNEL.resize && tty) {
        try {
          const size = JSON.parse(payload.toString());
          void session.resize(size.Width, size.Height).catch(() => undefined);
        } catch {
          /* ignore a bad resize */
        }
      } else if (ch === CHANNEL.close && payload[0] === CHANNEL.stdin) stream.end();
    };
    for (const m of early.splice(0)) onMessage(m);
    let clientGone = false;
    conn.on('close', () => {
      clientGone = true;
      stream.destroy();
    });
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', resolve);
    });
    if (clientGone) return;
    const code = await session.exitCode();
    if (code === undefined || code === 0) sendStatus({ metadata: {}, status: 'Success' });
    else {
      sendStatus({
        metadata: {},
        status: 'Failure',
        message: failureMessage(code),
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
      });
    }
  } catch (e) {
    log.warn({ err: (e as Error).message }, 'stream failed');
    sendStatus({ metadata: {}, status: 'Failure', message: (e as Error).message.replace(/^\(HTTP code \d+\) [a-z ]+- /, ''), reason: 'InternalError' });
  }
  conn.close(1000);
}

/** exec: a Docker exec in the container. */
function serveExec(k: Kubelet, containerId: string, q: URLSearchParams, conn: WebSocket, log: Logger): Promise<void> {
  const command = q.getAll('command');
  return serveChannels(
    conn,
    q,
    async (o) => {
      const exec = await k.runtime.docker.getContainer(containerId).exec({ Cmd: command, AttachStdin: o.stdin, AttachStdout: o.stdout, AttachStderr: o.stderr, Tty: o.tty });
      const stream = (await exec.start({ hijack: true, stdin: o.stdin, Tty: o.tty } as any)) as unknown as Duplex;
      return { stream, resize: (w, h) => exec.resize({ w, h }), exitCode: async () => (await exec.inspect()).ExitCode ?? 0 };
    },
    (stream, out, err) => k.runtime.docker.modem.demuxStream(stream, out, err),
    (code) => `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    log,
  );
}

/** attach (kubectl attach, kubectl run -it): the container's own stdio, as `docker attach`. */
function serveAttach(k: Kubelet, containerId: string, q: URLSearchParams, conn: WebSocket, log: Logger): Promise<void> {
  const container = k.runtime.docker.getContainer(containerId);
  return serveChannels(
    conn,
    q,
    async (o) => {
      const stream = (await container.attach({ stream: true, hijack: true, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr })) as unknown as Duplex;
      return {
        stream,
        resize: (w, h) => container.resize({ w, h }),
        // As the kubelet's attach: the streams just end; kubectl reads the exit code from the pod's status.
        exitCode: async () => undefined,
      };
    },
    (stream, out, err) => k.runtime.docker.modem.demuxStream(stream, out, err),
    (code) => `command terminated with non-zero exit code: exit code ${code}`,
    log,
  );
}

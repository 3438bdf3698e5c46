// Port-forward, as the kubelet's portforward.k8s.io server: kubectl opens,
// per forwarded connection, an `error` and a `data` stream carrying the same
// `requestid` and `port`; the kubelet connects to the pod IP and port from
// the node's network namespace and copies bytes both ways, writing any
// failure to the error stream. kubectl 1.31+ tunnels that SPDY session in a
// WebSocket (subprotocol `SPDY/3.1+portforward.k8s.io`).
import net from 'node:net';
import type { Logger } from 'pino';
import { createWebSocketStream, type WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';

export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** A token-safe stand-in for that subprotocol: the `ws` package rejects '/' and '+' in Sec-WebSocket-Protocol. */
export const PORT_FORWARD_PROTOCOL_ALIAS = 'mk8s-spdy-portforward';
export const PORT_FORWARD_PROTOCOLS = [PORT_FORWARD_PROTOCOL_ALIAS];

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForward(conn: WebSocket, podIP: string, _q: URLSearchParams, log: Logger): void {
  const tunnel = createWebSocketStream(conn);
  tunnel.on('error', () => undefined);
  const pairs = new Map<string, Pair>();
  const session = new SpdySession(
    tunnel,
    (s) => {
      const id = s.headers.requestid ?? String(s.id);
      const pair = pairs.get(id) ?? {};
      pairs.set(id, pair);
      if (s.headers.streamtype === 'error') pair.error = s;
      else if (s.headers.streamtype === 'data') pair.data = s;
      else return s.reset();
      if (pair.error && pair.data) {
        pairs.delete(id);
        forward(pair.error, pair.data, podIP, log);
      }
    },
    (e) => log.warn({ err: e.message }, 'port-forward session failed'),
  );
  conn.on('close', () => session.close());
}

function forward(errorStream: SpdyStream, data: SpdyStream, podIP: string, log: Logger): void {
  const port = Number(data.headers.port);
  const sock = net.connect({ host: podIP, port });
  let open = true;
  sock.on('connect', () => log.debug?.({ podIP, port }, 'port-forward connection'));
  data.onData((d) => sock.write(d));
  data.onEnd(() => sock.end());
  sock.on('data', (d) => data.write(d));
  sock.on('end', () => data.end());
  sock.on('close', () => {
    if (!open) return;
    open = false;
    data.end();
    errorStream.end();
  });
  sock.on('error', (e) => {
    // As the kubelet: the reason goes back on the error stream, and kubectl prints it.
    errorStream.write(Buffer.from(`error forwarding port ${port} to pod IP ${podIP}: ${e.message}`));
    errorStream.end();
    data.end();
    open = false;
  });
}

/** The kubelet's plain WebSocket port-forward (`v4.channel.k8s.io`, `?ports=80,8080`): channels 2i (data) and 2i+1 (error) per port. */
export const CHANNEL_PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'portforward.k8s.io'];

export function serveChannelPortForward(conn: WebSocket, podIP: string, q: URLSearchParams, log: Logger): void {
  const ports = (q.get('ports') ?? '').split(',').map((p) => Number(p.trim())).filter((p) => p > 0 && p < 65536);
  if (!ports.length) {
    conn.close(1008, 'query parameter "ports" is required');
    return;
  }
  const send = (ch: number, d: Buffer) => conn.readyState === conn.OPEN && conn.send(Buffer.concat([Buffer.from([ch]), d]));
  const socks = ports.map((port, i) => {
    // As the kubelet: each channel's first message is its port number, 2 bytes little endian.
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
    const sock = net.connect({ host: podIP, port });
    sock.on('data', (d) => send(2 * i, d));
    sock.on('error', (e) => {
      send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod IP ${podIP}: ${e.message}`));
      conn.close();
    });
    sock.on('close', () => conn.close());
    return sock;
  });
  conn.on('message', (m: Buffer) => {
    const buf = Buffer.isBuffer(m) ? m : Buffer.from(m as any);
    const ch = buf[0];
    if (ch % 2 === 0 && socks[ch / 2]) socks[ch / 2].write(buf.subarray(1));
  });
  conn.on('close', () => socks.forEach((s) => s.destroy()));
  log.debug?.({ podIP, ports }, 'port-forward (channels)');
}

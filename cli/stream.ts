// The kubelet-served streams (pods/log, pods/exec, pods/portforward): a raw
// streaming GET for logs, and a WebSocket upgrade speaking Kubernetes'
// channel protocol (v5.channel.k8s.io: one leading byte per message names
// the stream: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize) for exec and
// port-forward. An answer other than the upgrade is read as a Status and
// thrown as ApiError, so the CLI prints what the apiserver said (503 until
// the kubelet serves these).
import https from 'node:https';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ApiError, statusFailure } from '../api/status.js';
import type { ClusterConfig } from '../client/http.js';
import { clusterAgent } from './tls-agent.js';

function requestOptions(cfg: ClusterConfig, path: string, query: Record<string, string | string[] | undefined>, headers: Record<string, string>): https.RequestOptions {
  const url = new URL(cfg.server);
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) qs.append(k, x);
  }
  const q = qs.toString();
  const h: Record<string, string> = { ...headers };
  if (cfg.token) h.Authorization = `Bearer ${cfg.token}`;
  const https_ = url.protocol === 'https:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (https_ ? 443 : 80),
    path: path + (q ? `?${q}` : ''),
    headers: h,
    agent: clusterAgent(cfg.server, cfg.caCert),
  };
}

function mod(cfg: ClusterConfig) {
  return cfg.server.startsWith('https:') ? https : http;
}

function statusFrom(code: number, text: string): ApiError {
  try {
    const body = JSON.parse(text);
    if (body?.kind === 'Status') return new ApiError(body);
  } catch {
    // not JSON
  }
  return new ApiError(statusFailure(code, 'Unknown', `the server responded with ${code}: ${text.slice(0, 200)}`));
}

/** GET a streaming text resource, writing each chunk; resolves when the stream ends. */
export function streamGet(cfg: ClusterConfig, path: string, query: Record<string, string | undefined>, write: (chunk: Buffer) => void, onRequest?: (close: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = mod(cfg).get(requestOptions(cfg, path, query, { Accept: '*/*' }), (res) => {
      const code = res.statusCode ?? 0;
      if (code < 200 || code >= 300) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(statusFrom(code, Buffer.concat(chunks).toString())));
        return;
      }
      res.on('data', (c: Buffer) => write(c));
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    onRequest?.(() => req.destroy());
  });
}

/** One WebSocket (RFC 6455, client side, binary messages). */
export class WebSocketConn {
  private buf = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private handler: ((data: Buffer) => void) | undefined;
  /** Messages that arrived before anyone listened (the kubelet sends each channel's port number at once). */
  private early: Buffer[] = [];
  onClose: () => void = () => undefined;

  set onMessage(fn: (data: Buffer) => void) {
    this.handler = fn;
    for (const m of this.early.splice(0)) fn(m);
  }

  private deliver(msg: Buffer): void {
    if (this.handler) this.handler(msg);
    else this.early.push(msg);
  }

  constructor(readonly socket: Duplex, head: Buffer) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('close', () => this.onClose());
    socket.on('end', () => this.onClose());
    if (head.length) this.feed(head);
  }

  private feed(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const opcode = this.buf[0] & 0x0f;
      const masked = (this.buf[1] & 0x80) !== 0;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const maskKey = masked ? this.buf.subarray(off, off + 4) : undefined;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      const payload = Buffer.from(this.buf.subarray(off, off + len));
      if (maskKey) for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i % 4];
      this.buf = this.buf.subarray(off + len);
      if (opcode === 0x8) {
        this.socket.end();
        this.onClose();
        return;
      }
      if (opcode === 0x9) {
        this.frame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      this.fragments.push(payload);
      if (fin) {
        const msg = Buffer.concat(this.fragments);
        this.fragments = [];
        this.deliver(msg);
      }
    }
  }

  private frame(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const len = payload.length;
    const header = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (len >= 126 && len < 65536) {
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else if (len >= 65536) {
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i % 4];
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  send(data: Buffer): void {
    this.frame(0x2, data);
  }

  close(): void {
    try {
      this.frame(0x8, Buffer.alloc(0));
    } catch {
      // already gone
    }
    this.socket.end();
  }
}

/** Upgrade to a WebSocket with one of the given subprotocols; throws the server's Status when it refuses. */
export function upgrade(cfg: ClusterConfig, path: string, query: Record<string, string | string[] | undefined>, protocols: string[]): Promise<{ ws: WebSocketConn; protocol: string }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const req = mod(cfg).request({
      ...requestOptions(cfg, path, query, {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': key,
        'Sec-WebSocket-Protocol': protocols.join(', '),
      }),
      method: 'GET',
    });
    req.on('upgrade', (res, socket, head) => {
      resolve({ ws: new WebSocketConn(socket, head), protocol: String(res.headers['sec-websocket-protocol'] ?? '') });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(statusFrom(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
    });
    req.on('error', reject);
    req.end();
  });
}

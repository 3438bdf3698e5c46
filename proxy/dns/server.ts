// The DNS server's sockets: UDP and TCP on the node-local address, answers
// from answer.ts, forwarding for names outside the zone (short timeout, then
// SERVFAIL: a pod's lookup never hangs), truncation with TC over UDP, and
// FORMERR or silence for garbage. The socket code stays small; the logic is pure.
import dgram from 'node:dgram';
import net from 'node:net';
import http from 'node:http';
import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import type { Logger } from 'pino';
import { answerQuery, respond, rcodes } from './answer.js';
import type { ZoneData } from './zone.js';
import { DnsMetrics } from './metrics.js';

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  bind: string;
  port?: number;
  metricsPort?: number;
  upstreams: Upstream[];
  upstreamTimeoutMs?: number;
  zone: () => ZoneData;
  logger: Logger;
  /** Most forwards in flight at once; more are answered SERVFAIL (flood guard). */
  maxInFlight?: number;
}

export interface DnsServer {
  port: number;
  metrics: DnsMetrics;
  close(): Promise<void>;
}

/** Nameservers from a resolv.conf text. */
export function parseResolvConf(text: string): Upstream[] {
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => ({ host: m[1], port: 53 })).filter((u) => net.isIPv4(u.host));
}

const rcodeName = (n: number) => Object.keys(rcodes).find((k) => (rcodes as Record<string, number>)[k] === n) ?? String(n);

function udpLimit(query: Packet): number {
  // EDNS0: the client says how big a UDP answer it takes.
  const opt = (query.additionals ?? []).find((a: any) => a.type === 'OPT') as any;
  return Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
}

/** A response that fits in `limit` bytes: answers dropped and TC set, as RFC 1035 says, so the client retries over TCP. */
export function fitUdp(resp: Packet, limit: number): Buffer {
  const buf = dnsPacket.encode(resp);
  if (buf.length <= limit) return buf;
  return dnsPacket.encode({ ...resp, flags: (resp.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] });
}

/** FORMERR for a message whose header we can read; undefined (drop) otherwise. */
export function formerr(buf: Buffer): Buffer | undefined {
  if (buf.length < 12) return undefined;
  if (buf[2] & 0x80) return undefined; // a response: never answer those
  const out = Buffer.alloc(12);
  buf.copy(out, 0, 0, 2); // id
  out[2] = 0x80 | (buf[2] & 0x79); // QR, opcode and RD echoed
  out[3] = 0x80 | rcodes.FORMERR; // RA
  return out;
}

export async function startDnsServer(o: DnsServerOptions): Promise<DnsServer> {
  const metrics = new DnsMetrics();
  const timeout = o.upstreamTimeoutMs ?? 2000;
  const maxInFlight = o.maxInFlight ?? 512;
  let inFlight = 0;
  const answerCache = new WeakMap<ZoneData, Map<string, { buf: Buffer; rcode: string; qtype: string }>>();

  /** Ask the upstreams in turn; undefined when none answered in time. */
  async function forward(raw: Buffer): Promise<Buffer | undefined> {
    for (const u of o.upstreams) {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const sock = dgram.createSocket('udp4');
        const timer = setTimeout(() => done(undefined), timeout);
        const done = (b: Buffer | undefined) => {
          clearTimeout(timer);
          sock.close();
          resolve(b);
        };
        sock.on('error', () => done(undefined));
        sock.on('message', (m) => done(m));
        sock.send(raw, u.port, u.host, (err) => err && done(undefined));
      });
      if (reply) return reply;
    }
    return undefined;
  }

  async function handle(buf: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const t0 = performance.now();
    // Fast path: a plain one-question query whose answer this zone version already gave. The key is the
    // question's wire bytes (lower-cased) and RD, so no decoding is needed; only the id is patched in.
    const plain = buf.length > 12 && !(buf[2] & 0x80) && buf.readUInt16BE(4) === 1 && buf.readUInt32BE(6) === 0 && buf.readUInt16BE(10) === 0;
    const cacheKey = plain ? `${proto}${buf[2] & 1}${buf.toString('latin1', 12).toLowerCase()}` : undefined;
    const hit = cacheKey ? answerCache.get(o.zone())?.get(cacheKey) : undefined;
    if (hit) {
      const out = Buffer.from(hit.buf);
      out.writeUInt16BE(buf.readUInt16BE(0), 0);
      buf.copy(out, 12, 12); // the question exactly as asked (resolvers using 0x20 case randomization check it)
      metrics.count(hit.rcode, hit.qtype, (performance.now() - t0) / 1000);
      return out;
    }
    let query: Packet;
    try {
      query = dnsPacket.decode(buf);
    } catch {
      metrics.count('FORMERR', 'invalid');
      return formerr(buf);
    }
    if (query.type === 'response') return undefined;
    const qtype = String(query.questions?.[0]?.type ?? 'none');
    const finish = (resp: Packet | Buffer): Buffer => {
      const out = Buffer.isBuffer(resp) ? resp : proto === 'udp' ? fitUdp(resp, udpLimit(query)) : dnsPacket.encode(resp);
      metrics.count(rcodeName(out.length >= 4 ? out[3] & 0x0f : 0), qtype, (performance.now() - t0) / 1000);
      return out;
    };
    const zone = o.zone();
    let perZone = answerCache.get(zone);
    if (!perZone) answerCache.set(zone, (perZone = new Map()));
    let decision;
    try {
      decision = answerQuery(query, zone);
    } catch (e) {
      o.logger.error({ err: (e as Error).message }, 'dns: answering failed');
      return finish(respond(query, rcodes.SERVFAIL, [], [], [], false));
    }
    if (decision.kind === 'answer') {
      const out = finish(decision.response);
      if (cacheKey && perZone.size < 50_000) perZone.set(cacheKey, { buf: out, rcode: rcodeName(out[3] & 15), qtype });
      return out;
    }
    if (inFlight >= maxInFlight) return finish(respond(query, rcodes.SERVFAIL, [], [], [], false));
    inFlight++;
    try {
      if (decision.kind === 'forward') {
        const reply = await forward(buf);
        if (!reply) return finish(respond(query, rcodes.SERVFAIL, [], [], [], false));
        if (proto === 'udp' && reply.length > udpLimit(query)) {
          try {
            return finish(dnsPacket.decode(reply));
          } catch {
            return finish(respond(query, rcodes.SERVFAIL, [], [], [], false));
          }
        }
        return finish(reply);
      }
      // An ExternalName CNAME: resolve its target upstream and append what comes back.
      const sub = dnsPacket.encode({ id: Math.floor(Math.random() * 65535), type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: decision.target, type: decision.qtype as any, class: 'IN' }] });
      const reply = await forward(sub);
      const resp = decision.response;
      if (reply) {
        try {
          resp.answers = [...(resp.answers ?? []), ...(dnsPacket.decode(reply).answers ?? [])];
        } catch {
          // keep the CNAME alone
        }
      }
      return finish(resp);
    } finally {
      inFlight--;
    }
  }

  const onUdp = (udp: dgram.Socket) => (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    handle(msg, 'udp').then(
      (out) => out && udp.send(out, rinfo.port, rinfo.address),
      (e) => o.logger.error({ err: (e as Error).message }, 'dns: udp'),
    );
  };
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return sock.destroy();
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        handle(Buffer.from(msg), 'tcp').then((out) => {
          if (!out || sock.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length);
          sock.write(Buffer.concat([head, out]));
        });
      }
    });
  });
  // UDP and TCP on the same port. With port 0 the kernel picks the UDP port, which TCP may
  // already use: then try another (a few times) rather than fail; never leave a socket behind.
  let udp: dgram.Socket | undefined;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    const sock = dgram.createSocket('udp4');
    sock.on('message', onUdp(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(o.port ?? 53, o.bind, () => resolve());
      });
      port = sock.address().port;
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, o.bind, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      sock.removeAllListeners('error');
      sock.on('error', (e) => o.logger.error({ err: e.message }, 'dns: udp socket'));
      udp = sock;
      break;
    } catch (e) {
      sock.close();
      if (o.port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw e;
    }
  }
  const udpSock = udp;

  let metricsSrv: http.Server | undefined;
  if (o.metricsPort !== undefined) {
    metricsSrv = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    });
    try {
      await new Promise<void>((resolve, reject) => {
        metricsSrv!.once('error', reject);
        metricsSrv!.listen(o.metricsPort, o.bind, () => resolve());
      });
    } catch (e) {
      udpSock.close();
      tcp.close();
      throw e;
    }
  }

  return {
    port,
    metrics,
    async close() {
      udpSock.close();
      await new Promise((r) => tcp.close(r));
      metricsSrv?.close();
    },
  };
}

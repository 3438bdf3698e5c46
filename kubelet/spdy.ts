// A small SPDY/3.1 server session, enough for Kubernetes' port-forward
// protocol (portforward.k8s.io): the client opens streams (SYN_STREAM), the
// server accepts them (SYN_REPLY) and both send data frames; PINGs are
// echoed. Header blocks are zlib streams seeded with SPDY/3's dictionary,
// one per direction for the whole session. Flow control (WINDOW_UPDATE) is
// not enforced, as moby/spdystream (kubectl's side) does not enforce it.
import zlib from 'node:zlib';
import type { Duplex } from 'node:stream';

// SPDY/3 §2.6.10.1: the header compression dictionary: length-prefixed
// header names and values, then a run of common status lines and values.
const DICT_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICT_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICT_WORDS.map((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return Buffer.concat([len, Buffer.from(w, 'latin1')]);
  }),
  Buffer.from(DICT_TAIL, 'latin1'),
]);

export const FRAME = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
export const FLAG_FIN = 0x01;

export type Headers = Record<string, string>;

/** A name/value block (SPDY/3: 32-bit counts and lengths), uncompressed. */
export function encodeHeaderBlock(h: Headers): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(h);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    const kb = Buffer.from(k.toLowerCase());
    const vb = Buffer.from(v);
    parts.push(u32(kb.length), kb, u32(vb.length), vb);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): Headers {
  const out: Headers = {};
  let off = 0;
  const n = b.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(off);
    off += 4;
    const k = b.subarray(off, off + kl).toString();
    off += kl;
    const vl = b.readUInt32BE(off);
    off += 4;
    out[k] = b.subarray(off, off + vl).toString();
    off += vl;
  }
  return out;
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | 3, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

export interface SpdyStream {
  id: number;
  headers: Headers;
  /** Data from the client; `end` when it half-closes (FIN) or resets the stream. */
  onData(cb: (d: Buffer) => void): void;
  onEnd(cb: () => void): void;
  write(d: Buffer): void;
  /** Half-close our side (data frame with FIN). */
  end(): void;
  reset(): void;
}

/** One persistent zlib stream: each block is flushed with Z_SYNC_FLUSH and collected. */
class ZStream {
  private chunks: Buffer[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly z: zlib.Deflate | zlib.Inflate) {
    z.on('data', (c: Buffer) => this.chunks.push(c));
    z.on('error', () => undefined);
  }
  run(input: Buffer): Promise<Buffer> {
    const p = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          this.chunks = [];
          this.z.write(input, (err) => {
            if (err) return reject(err);
            this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(this.chunks)));
          });
        }),
    );
    this.chain = p.catch(() => undefined);
    return p;
  }
  close() {
    this.z.destroy();
  }
}

/**
 * A server session over a byte stream (here: the WebSocket tunnel kubectl
 * 1.31+ opens with the `SPDY/3.1+portforward.k8s.io` subprotocol).
 */
export class SpdySession {
  private buf = Buffer.alloc(0);
  private streams = new Map<number, { data: ((d: Buffer) => void)[]; end: (() => void)[]; ended: boolean; pending: Buffer[] }>();
  private inflate = new ZStream(zlib.createInflate({ dictionary: SPDY_DICTIONARY }));
  private deflate = new ZStream(zlib.createDeflate({ dictionary: SPDY_DICTIONARY }));
  private work: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly io: Duplex,
    private readonly onStream: (s: SpdyStream) => void,
    private readonly onError: (e: Error) => void = () => undefined,
  ) {
    io.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    io.on('close', () => this.close());
    io.on('end', () => this.close());
    io.on('error', () => this.close());
  }

  private send(frame: Buffer) {
    if (!this.closed) this.io.write(frame);
  }

  private drain() {
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) return;
      const frame = this.buf.subarray(0, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      // Frames are handled in order: header blocks share one zlib stream.
      this.work = this.work.then(() => this.handle(frame)).catch((e) => {
        this.onError(e as Error);
        this.close();
      });
    }
  }

  private async handle(f: Buffer): Promise<void> {
    const flags = f[4];
    const payload = f.subarray(8);
    if ((f[0] & 0x80) === 0) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return;
      if (payload.length) {
        if (s.data.length) for (const cb of s.data) cb(Buffer.from(payload));
        else s.pending.push(Buffer.from(payload));
      }
      if (flags & FLAG_FIN) this.finishRemote(id);
      return;
    }
    const type = f.readUInt16BE(2);
    switch (type) {
      case FRAME.SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.inflate.run(payload.subarray(10)));
        const state = { data: [] as ((d: Buffer) => void)[], end: [] as (() => void)[], ended: false, pending: [] as Buffer[] };
        this.streams.set(id, state);
        // Accept the stream, as spdystream's server side does with SendReply.
        const block = await this.deflate.run(encodeHeaderBlock({}));
        const idBuf = Buffer.alloc(4);
        idBuf.writeUInt32BE(id);
        this.send(controlFrame(FRAME.SYN_REPLY, 0, Buffer.concat([idBuf, block])));
        this.onStream(this.streamHandle(id, headers));
        if (flags & FLAG_FIN) this.finishRemote(id);
        return;
      }
      case FRAME.RST_STREAM:
        this.finishRemote(payload.readUInt32BE(0) & 0x7fffffff);
        return;
      case FRAME.PING:
        this.send(controlFrame(FRAME.PING, 0, Buffer.from(payload)));
        return;
      case FRAME.GOAWAY:
        this.close();
        return;
      case FRAME.HEADERS:
        await this.inflate.run(payload.subarray(4)); // keep the zlib stream in step
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE: nothing to do
    }
  }

  private finishRemote(id: number) {
    const s = this.streams.get(id);
    if (!s || s.ended) return;
    s.ended = true;
    for (const cb of s.end) cb();
  }

  private streamHandle(id: number, headers: Headers): SpdyStream {
    const s = this.streams.get(id)!;
    let localEnded = false;
    return {
      id,
      headers,
      onData: (cb) => {
        s.data.push(cb);
        for (const d of s.pending.splice(0)) cb(d);
      },
      onEnd: (cb) => {
        if (s.ended) cb();
        else s.end.push(cb);
      },
      write: (d) => {
        if (localEnded) return;
        for (let i = 0; i < d.length; i += 0xffff) this.send(dataFrame(id, 0, d.subarray(i, i + 0xffff)));
      },
      end: () => {
        if (localEnded) return;
        localEnded = true;
        this.send(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
      },
      reset: () => {
        const p = Buffer.alloc(8);
        p.writeUInt32BE(id, 0);
        p.writeUInt32BE(5, 4); // CANCEL
        this.send(controlFrame(FRAME.RST_STREAM, 0, p));
        localEnded = true;
        this.finishRemote(id);
      },
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const id of this.streams.keys()) this.finishRemote(id);
    this.inflate.close();
    this.deflate.close();
    this.io.destroy();
  }
}

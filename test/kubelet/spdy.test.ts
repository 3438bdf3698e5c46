// The SPDY/3.1 server session behind port-forward, driven by a client made
// here: SYN_STREAM with compressed headers → SYN_REPLY, data both ways,
// FIN, PING echo. (The real kubectl is exercised in pods.test.ts.)
import test from 'ava';
import net from 'node:net';
import zlib from 'node:zlib';
import { SPDY_DICTIONARY, SpdySession, FRAME, FLAG_FIN, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, type SpdyStream } from '../../kubelet/spdy.js';

function socketPair(): Promise<[net.Socket, net.Socket, () => void]> {
  return new Promise((resolve) => {
    const srv = net.createServer((server) => resolve([server, client, () => srv.close()]));
    let client: net.Socket;
    srv.listen(0, '127.0.0.1', () => {
      client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
    });
  });
}

function deflateBlock(z: zlib.Deflate, b: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const on = (c: Buffer) => chunks.push(c);
    z.on('data', on);
    z.write(b, () => z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', on);
      resolve(Buffer.concat(chunks));
    }));
  });
}

test("the header dictionary is SPDY/3's: its length and the checksum peers verify", (t) => {
  t.is(SPDY_DICTIONARY.length, 1423);
  // A zlib stream seeded with a dictionary names it by adler32 in its header (FDICT); kubectl 1.32 accepted this one.
  const z = zlib.deflateSync(Buffer.from('x'), { dictionary: SPDY_DICTIONARY });
  t.is(z.readUInt32BE(2).toString(16), 'e3c6a7c2');
});

test('streams: SYN_STREAM gets a SYN_REPLY; data both ways; FIN; PING echoed', async (t) => {
  const [serverSock, client, close] = await socketPair();
  t.teardown(() => {
    client.destroy();
    close();
  });
  const streams: SpdyStream[] = [];
  new SpdySession(serverSock, (s) => {
    streams.push(s);
    s.onData((d) => s.write(Buffer.from(d.toString().toUpperCase())));
    s.onEnd(() => s.end());
  });
  const received: Buffer[] = [];
  client.on('data', (d) => received.push(d));
  const deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  const block = await deflateBlock(deflate, encodeHeaderBlock({ streamtype: 'data', port: '80', requestid: '0' }));
  const syn = Buffer.alloc(10);
  syn.writeUInt32BE(1, 0);
  client.write(controlFrame(FRAME.SYN_STREAM, 0, Buffer.concat([syn, block])));
  client.write(dataFrame(1, 0, Buffer.from('hello')));
  client.write(dataFrame(1, FLAG_FIN, Buffer.alloc(0)));
  const ping = Buffer.alloc(4);
  ping.writeUInt32BE(7);
  client.write(controlFrame(FRAME.PING, 0, ping));
  const frames = await new Promise<Buffer[]>((resolve) => {
    const check = () => {
      const all = Buffer.concat(received);
      const out: Buffer[] = [];
      let off = 0;
      while (off + 8 <= all.length) {
        const len = all.readUInt32BE(off + 4) & 0xffffff;
        if (off + 8 + len > all.length) break;
        out.push(all.subarray(off, off + 8 + len));
        off += 8 + len;
      }
      if (out.length >= 4) resolve(out);
      else setTimeout(check, 10);
    };
    check();
  });
  t.is(streams[0].headers.port, '80');
  t.is(streams[0].headers.streamtype, 'data');
  const reply = frames.find((f) => f[0] & 0x80 && f.readUInt16BE(2) === FRAME.SYN_REPLY)!;
  t.is(reply.readUInt32BE(8), 1);
  const replyHeaders = decodeHeaderBlock(zlib.inflateSync(reply.subarray(12), { dictionary: SPDY_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  t.deepEqual(replyHeaders, {});
  const data = frames.filter((f) => !(f[0] & 0x80));
  t.is(Buffer.concat(data.map((f) => f.subarray(8))).toString(), 'HELLO');
  t.true(data.some((f) => f[4] & FLAG_FIN), 'our side half-closed after theirs');
  const pong = frames.find((f) => f[0] & 0x80 && f.readUInt16BE(2) === FRAME.PING)!;
  t.is(pong.readUInt32BE(8), 7);
});

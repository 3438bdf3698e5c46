// The DNS server over real UDP and TCP sockets on loopback: answers,
// truncation and TCP retry, forwarding to a (test-owned) loopback upstream,
// SERVFAIL when the upstream is silent, and 10,000 garbage packets that
// never stop it answering.
import test from 'ava';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';
import { pino } from 'pino';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import { startDnsServer, parseResolvConf } from '../../proxy/dns/server.js';
import { buildZone } from '../../proxy/dns/zone.js';

const log = pino({ level: 'silent' });
const svc = (name: string, spec: Record<string, unknown>): KubeObject => ({ metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', ...spec } });
const many = Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.244.${1 + Math.floor(i / 50)}.${(i % 50) + 2}`], conditions: { ready: true } }));
const zone = buildZone(
  [svc('my-svc', { clusterIP: '10.96.1.1', ports: [{ port: 80 }] }), svc('big', { clusterIP: 'None' }), svc('external-service', { type: 'ExternalName', externalName: 'api.acmecorp.com' })],
  [{ metadata: { name: 'big-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'big' } }, addressType: 'IPv4', ports: [], endpoints: many }],
  { zone: 'cluster.local', ttl: 5 },
);

/** A tiny upstream the test owns: answers every A query with 203.0.113.7 (a documentation address; never contacted). */
async function fakeUpstream(): Promise<{ port: number; close(): void; queries: string[] }> {
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (m, r) => {
    const qp = dnsPacket.decode(m);
    queries.push(qp.questions![0].name);
    sock.send(dnsPacket.encode({ id: qp.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, questions: qp.questions, answers: [{ name: qp.questions![0].name, type: 'A', ttl: 60, class: 'IN', data: '203.0.113.7' }] }), r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, queries, close: () => sock.close() };
}

function udpQuery(port: number, name: string, type = 'A', timeoutMs = 4000): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no answer for ${name}`));
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as any, class: 'IN' }] }), port, '127.0.0.1');
  });
}

function tcpQuery(port: number, name: string, type = 'A'): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    s.on('error', reject);
    s.write(dnsPacket.streamEncode({ id: 9, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as any, class: 'IN' }] }));
  });
}

const ips = (p: Packet) => (p.answers ?? []).filter((a: any) => a.type === 'A').map((a: any) => a.data);

test.serial('answers over UDP and TCP; a big answer is truncated over UDP and whole over TCP', async (t) => {
  const dns = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [], zone: () => zone, logger: log });
  t.teardown(() => dns.close());
  t.deepEqual(ips(await udpQuery(dns.port, 'my-svc.default.svc.cluster.local')), ['10.96.1.1']);
  t.deepEqual(ips(await tcpQuery(dns.port, 'my-svc.default.svc.cluster.local')), ['10.96.1.1']);
  const udp = await udpQuery(dns.port, 'big.default.svc.cluster.local');
  t.truthy((udp.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE, 'TC set');
  t.is(udp.answers!.length, 0);
  t.is(ips(await tcpQuery(dns.port, 'big.default.svc.cluster.local')).length, 100);
  t.true(dns.metrics.total() >= 4);
});

test.serial('outside names go to the upstream; a silent upstream gives SERVFAIL quickly; ExternalName is chased upstream', async (t) => {
  const up = await fakeUpstream();
  t.teardown(() => up.close());
  const dns = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: up.port }], zone: () => zone, logger: log, upstreamTimeoutMs: 300 });
  t.teardown(() => dns.close());
  t.deepEqual(ips(await udpQuery(dns.port, 'example.org')), ['203.0.113.7']);
  const ext = await udpQuery(dns.port, 'external-service.default.svc.cluster.local');
  t.deepEqual((ext.answers ?? []).map((a: any) => `${a.type} ${a.data}`), ['CNAME api.acmecorp.com', 'A 203.0.113.7']);
  t.true(up.queries.includes('api.acmecorp.com'));

  // A silent upstream: a bound socket that never answers.
  const silent = dgram.createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => silent.close());
  const dns2 = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: silent.address().port }], zone: () => zone, logger: log, upstreamTimeoutMs: 300 });
  t.teardown(() => dns2.close());
  const t0 = Date.now();
  const r = await udpQuery(dns2.port, 'example.org');
  t.is((r.flags ?? 0) & 15, 2, 'SERVFAIL');
  t.true(Date.now() - t0 < 2000);
});

test.serial('10,000 random and malformed packets never stop it answering valid queries', async (t) => {
  const dns = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [], zone: () => zone, logger: log });
  t.teardown(() => dns.close());
  const s = dgram.createSocket('udp4');
  t.teardown(() => s.close());
  const valid = dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: 'my-svc.default.svc.cluster.local', type: 'A', class: 'IN' }] });
  for (let i = 0; i < 10_000; i++) {
    let pkt: Buffer;
    switch (i % 4) {
      case 0: pkt = randomBytes(1 + (i % 600)); break; // noise
      case 1: pkt = valid.subarray(0, i % valid.length); break; // truncated
      case 2: pkt = Buffer.concat([valid.subarray(0, 12), randomBytes(40)]); break; // good header, bad body
      default: pkt = Buffer.from(valid); pkt.writeUInt16BE(50, 4); // claims 50 questions
    }
    s.send(pkt, dns.port, '127.0.0.1');
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  // Like a resolver, retry: while the flood drains, the kernel may drop a datagram or two.
  let answer: Packet | undefined;
  for (let attempt = 0; attempt < 5 && !answer; attempt++) answer = await udpQuery(dns.port, 'my-svc.default.svc.cluster.local', 'A', 1000).catch(() => undefined);
  t.deepEqual(ips(answer!), ['10.96.1.1']);
  t.true(dns.metrics.rcodeCount('FORMERR') > 0);
});

test.serial('resolv.conf parsing keeps IPv4 nameservers', (t) => {
  t.deepEqual(parseResolvConf('search x\nnameserver 10.0.0.2\nnameserver ::1\n nameserver 1.1.1.1\n'), [{ host: '10.0.0.2', port: 53 }, { host: '1.1.1.1', port: 53 }]);
});

test.serial('cached answers follow zone changes and echo the question exactly as asked (0x20)', async (t) => {
  let current = zone;
  const dns = await startDnsServer({ bind: '127.0.0.1', port: 0, upstreams: [], zone: () => current, logger: log });
  t.teardown(() => dns.close());
  t.deepEqual(ips(await udpQuery(dns.port, 'my-svc.default.svc.cluster.local')), ['10.96.1.1']);
  t.deepEqual(ips(await udpQuery(dns.port, 'my-svc.default.svc.cluster.local')), ['10.96.1.1'], 'cached');
  const mixed = await udpQuery(dns.port, 'mY-sVc.DEFAULT.svc.cluster.local');
  t.is(mixed.questions![0].name, 'mY-sVc.DEFAULT.svc.cluster.local');
  // The service is recreated with a new ClusterIP: the next answer has it.
  current = buildZone([svc('my-svc', { clusterIP: '10.96.7.7', ports: [{ port: 80 }] })], [], { zone: 'cluster.local', ttl: 5 });
  t.deepEqual(ips(await udpQuery(dns.port, 'my-svc.default.svc.cluster.local')), ['10.96.7.7']);
});

test.serial('a port taken for TCP fails the start with EADDRINUSE and leaves no UDP socket behind', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  const err = await t.throwsAsync(startDnsServer({ bind: '127.0.0.1', port, upstreams: [], zone: () => zone, logger: log }));
  t.is((err as NodeJS.ErrnoException).code, 'EADDRINUSE');
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve());
  });
  udp.close();
  t.pass('the UDP port is free again');
});

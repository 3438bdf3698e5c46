// DNS answers as the Kubernetes DNS specification and CoreDNS give them: one
// test per record type and error case.
import test from 'ava';
import type { Packet } from 'dns-packet';
import type { KubeObject } from '../../api/types.js';
import { answerQuery, rcodes } from '../../proxy/dns/answer.js';
import { buildZone } from '../../proxy/dns/zone.js';

const svc = (name: string, spec: Record<string, unknown>, ns = 'default'): KubeObject => ({ metadata: { name, namespace: ns }, spec: { type: 'ClusterIP', ...spec } });
const slice = (svcName: string, ports: any[], eps: { ip: string; ready?: boolean; hostname?: string }[], ns = 'default'): KubeObject => ({
  metadata: { name: `${svcName}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports,
  endpoints: eps.map((e) => ({ addresses: [e.ip], hostname: e.hostname, conditions: { ready: e.ready ?? true } })),
});

const services = [
  svc('my-svc', { clusterIP: '10.96.1.1', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'https', port: 443, protocol: 'TCP' }] }),
  svc('db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
  svc('external-service', { type: 'ExternalName', externalName: 'api.acmecorp.com' }),
  svc('alias', { type: 'ExternalName', externalName: 'my-svc.default.svc.cluster.local' }),
  svc('kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }, 'kube-system'),
];
const slices = [
  slice('my-svc', [{ name: 'http', port: 8080, protocol: 'TCP' }], [{ ip: '10.244.1.5' }]),
  slice('db', [{ name: 'pg', port: 5432, protocol: 'TCP' }], [{ ip: '10.244.2.7', hostname: 'db-0' }, { ip: '10.244.1.9' }, { ip: '10.244.1.10', ready: false }]),
];
const zone = buildZone(services, slices, { zone: 'cluster.local', ttl: 5 });

const q = (name: string, type: string): Packet => ({ id: 42, type: 'query', flags: 1 << 8, questions: [{ name, type: type as any, class: 'IN' }] });
const ask = (name: string, type: string) => {
  const d = answerQuery(q(name, type), zone);
  if (d.kind !== 'answer') throw new Error(`expected an answer, got ${d.kind}`);
  return d.response;
};
const rcode = (p: Packet) => (p.flags ?? 0) & 15;
const data = (p: Packet) => (p.answers ?? []).map((a: any) => (typeof a.data === 'object' && !Array.isArray(a.data) ? { ...a.data } : a.data));

test('service A record by FQDN, case-insensitive, with the TTL and AA flag', (t) => {
  const r = ask('My-Svc.default.svc.cluster.local', 'A');
  t.is(rcode(r), rcodes.NOERROR);
  t.deepEqual(data(r), ['10.96.1.1']);
  t.is((r.answers![0] as any).ttl, 5);
  t.truthy((r.flags ?? 0) & (1 << 10), 'authoritative');
  t.is(r.id, 42);
});

test('headless service: A for each ready endpoint; endpoint hostnames; not-ready left out', (t) => {
  t.deepEqual(data(ask('db.default.svc.cluster.local', 'A')), ['10.244.1.9', '10.244.2.7']);
  t.deepEqual(data(ask('db-0.db.default.svc.cluster.local', 'A')), ['10.244.2.7']);
  t.deepEqual(data(ask('10-244-1-9.db.default.svc.cluster.local', 'A')), ['10.244.1.9']);
  t.is(rcode(ask('10-244-1-10.db.default.svc.cluster.local', 'A')), rcodes.NXDOMAIN);
});

test('SRV for named ports: the service name for ClusterIP services, each endpoint for headless ones', (t) => {
  const r = ask('_https._tcp.my-svc.default.svc.cluster.local', 'SRV');
  t.deepEqual(data(r), [{ priority: 0, weight: 100, port: 443, target: 'my-svc.default.svc.cluster.local' }]);
  t.deepEqual((r.additionals ?? []).map((a: any) => [a.name, a.data]), [['my-svc.default.svc.cluster.local', '10.96.1.1']]);
  const h = ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  t.deepEqual(data(h).map((d: any) => `${d.target}:${d.port}:${d.weight}`).sort(), ['10-244-1-9.db.default.svc.cluster.local:5432:50', 'db-0.db.default.svc.cluster.local:5432:50']);
});

test('ExternalName: a CNAME to an outside name is chased upstream; to an inside name it is resolved here', (t) => {
  const d = answerQuery(q('external-service.default.svc.cluster.local', 'A'), zone);
  t.is(d.kind, 'chase');
  if (d.kind === 'chase') {
    t.is(d.target, 'api.acmecorp.com');
    t.deepEqual(data(d.response), ['api.acmecorp.com']);
  }
  const inside = ask('alias.default.svc.cluster.local', 'A');
  t.deepEqual(data(inside), ['my-svc.default.svc.cluster.local', '10.96.1.1']);
  t.deepEqual(data(ask('external-service.default.svc.cluster.local', 'CNAME')), ['api.acmecorp.com']);
});

test('PTR for ClusterIPs and endpoint IPs; other reverse names are forwarded', (t) => {
  t.deepEqual(data(ask('1.1.96.10.in-addr.arpa', 'PTR')), ['my-svc.default.svc.cluster.local']);
  t.deepEqual(data(ask('10.0.96.10.in-addr.arpa', 'PTR')), ['kube-dns.kube-system.svc.cluster.local']);
  t.deepEqual(data(ask('7.2.244.10.in-addr.arpa', 'PTR')), ['db-0.db.default.svc.cluster.local']);
  t.is(answerQuery(q('8.8.8.8.in-addr.arpa', 'PTR'), zone).kind, 'forward');
});

test('pod A records from the dashed IP', (t) => {
  t.deepEqual(data(ask('10-244-1-5.default.pod.cluster.local', 'A')), ['10.244.1.5']);
  t.is(rcode(ask('10-244-1-999.default.pod.cluster.local', 'A')), rcodes.NXDOMAIN);
});

test('NXDOMAIN with the SOA for names that do not exist; NOERROR/NODATA with the SOA for known names without the type', (t) => {
  const nx = ask('nope.default.svc.cluster.local', 'A');
  t.is(rcode(nx), rcodes.NXDOMAIN);
  t.deepEqual(data(nx), []);
  t.is(nx.authorities![0].type, 'SOA');
  t.like((nx.authorities![0] as any).data, { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', minimum: 5 });
  // What the search path tries first from a pod in `default` for `my-svc.default`:
  t.is(rcode(ask('my-svc.default.default.svc.cluster.local', 'A')), rcodes.NXDOMAIN);
  const nodata = ask('my-svc.default.svc.cluster.local', 'AAAA');
  t.is(rcode(nodata), rcodes.NOERROR);
  t.deepEqual(data(nodata), []);
  t.is(nodata.authorities![0].type, 'SOA');
  t.is(rcode(ask('default.svc.cluster.local', 'A')), rcodes.NOERROR, 'namespaces are empty non-terminals');
});

test('dns-version TXT like CoreDNS; names outside the zone are forwarded; two questions are FORMERR', (t) => {
  t.deepEqual(data(ask('dns-version.cluster.local', 'TXT')), [['1.1.0']]);
  t.is(rcode(ask('dns-version.cluster.local', 'TXT')), rcodes.NOERROR);
  t.is(answerQuery(q('example.com', 'A'), zone).kind, 'forward');
  const two: Packet = { ...q('a.cluster.local', 'A'), questions: [q('a.cluster.local', 'A').questions![0], q('b.cluster.local', 'A').questions![0]] };
  const d = answerQuery(two, zone);
  t.is(d.kind === 'answer' ? rcode(d.response) : -1, rcodes.FORMERR);
});

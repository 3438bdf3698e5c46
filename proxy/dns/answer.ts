// Answering a DNS query from the zone: a pure function of (zone, query).
// Names outside the zone are handed back to the caller to forward; a CNAME
// to an outside name is answered and the caller chases its target upstream.
import dnsPacket from 'dns-packet';
import type { Packet, Answer, Question } from 'dns-packet';
import { reverseName, type ZoneData, type Rr } from './zone.js';

export const rcodes = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const AA = dnsPacket.AUTHORITATIVE_ANSWER;
const RD = dnsPacket.RECURSION_DESIRED;
const RA = dnsPacket.RECURSION_AVAILABLE;

export type Decision =
  | { kind: 'answer'; response: Packet }
  /** Not ours: forward the query as it is. */
  | { kind: 'forward' }
  /** An in-zone CNAME to an outside name: send `response` with the target's records appended. */
  | { kind: 'chase'; response: Packet; target: string; qtype: string };

export function respond(query: Packet, rcode: number, answers: Answer[] = [], authorities: Answer[] = [], additionals: Answer[] = [], authoritative = true): Packet {
  const rd = (query.flags ?? 0) & RD;
  return {
    id: query.id,
    type: 'response',
    flags: (authoritative ? AA : 0) | rd | RA | rcode,
    questions: query.questions ?? [],
    answers,
    authorities,
    additionals,
  };
}

const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');

function soa(zone: ZoneData): Answer {
  const z = zone.cfg.zone;
  return {
    name: z,
    type: 'SOA',
    ttl: zone.cfg.ttl,
    class: 'IN',
    data: { mname: `ns.dns.${z}`, rname: `hostmaster.${z}`, serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: zone.cfg.ttl },
  } as Answer;
}

const rr = (r: Rr): Answer => ({ name: r.name, type: r.type, ttl: r.ttl, class: 'IN', data: r.data }) as Answer;

/** `10-244-1-5.default.pod.cluster.local` → 10.244.1.5 (CoreDNS `pods insecure`, the kubeadm default). */
function podAddress(name: string, zone: string): string | undefined {
  const m = new RegExp(`^(\\d{1,3})-(\\d{1,3})-(\\d{1,3})-(\\d{1,3})\\.[a-z0-9-]+\\.pod\\.${zone.replace(/\./g, '\\.')}$`).exec(name);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255)) return undefined;
  return m.slice(1, 5).join('.');
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Records for one in-zone name and type (no CNAME handling). */
function records(zone: ZoneData, name: string, qtype: string): { answers: Answer[]; additionals: Answer[] } {
  const ttl = zone.cfg.ttl;
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  if (qtype === 'A' || qtype === 'ANY') {
    for (const ip of zone.a.get(name) ?? []) answers.push(rr({ name, type: 'A', ttl, data: ip }));
    const pod = podAddress(name, zone.cfg.zone);
    if (pod) answers.push(rr({ name, type: 'A', ttl, data: pod }));
  }
  if (qtype === 'SRV' || qtype === 'ANY') {
    const targets = zone.srv.get(name) ?? [];
    const weight = targets.length ? Math.floor(100 / targets.length) : 0;
    for (const t of targets) {
      answers.push(rr({ name, type: 'SRV', ttl, data: { priority: 0, weight, port: t.port, target: t.target } }));
      if (t.ip) additionals.push(rr({ name: t.target, type: 'A', ttl, data: t.ip }));
    }
  }
  if (qtype === 'TXT' && name === `dns-version.${zone.cfg.zone}`) answers.push(rr({ name, type: 'TXT', ttl, data: ['1.1.0'] }));
  if (qtype === 'SOA' && name === zone.cfg.zone) answers.push(soa(zone));
  return { answers, additionals };
}

function exists(zone: ZoneData, name: string): boolean {
  return zone.exists.has(name) || name === zone.cfg.zone || name === `dns-version.${zone.cfg.zone}` || podAddress(name, zone.cfg.zone) !== undefined;
}

export function answerQuery(query: Packet, zone: ZoneData): Decision {
  const qs = query.questions ?? [];
  if (qs.length !== 1) return { kind: 'answer', response: respond(query, rcodes.FORMERR, [], [], [], false) };
  const q: Question = qs[0];
  const name = norm(q.name);
  const qtype = String(q.type);
  const ttl = zone.cfg.ttl;

  if (qtype === 'PTR' && name.endsWith('.in-addr.arpa')) {
    const target = zone.ptr.get(name);
    if (target) return { kind: 'answer', response: respond(query, rcodes.NOERROR, [rr({ name, type: 'PTR', ttl, data: target })]) };
    return { kind: 'forward' }; // as CoreDNS' `fallthrough in-addr.arpa`
  }
  if (!inZone(name, zone.cfg.zone)) return { kind: 'forward' };

  const cname = zone.cname.get(name);
  if (cname && qtype !== 'CNAME') {
    const answers = [rr({ name, type: 'CNAME', ttl, data: cname })];
    const target = norm(cname);
    if (inZone(target, zone.cfg.zone)) {
      const more = records(zone, target, qtype);
      return { kind: 'answer', response: respond(query, rcodes.NOERROR, [...answers, ...more.answers], [], more.additionals) };
    }
    return { kind: 'chase', response: respond(query, rcodes.NOERROR, answers), target, qtype };
  }
  if (cname) return { kind: 'answer', response: respond(query, rcodes.NOERROR, [rr({ name, type: 'CNAME', ttl, data: cname })]) };

  const { answers, additionals } = records(zone, name, qtype);
  if (answers.length) return { kind: 'answer', response: respond(query, rcodes.NOERROR, answers, [], additionals) };
  // The name exists but has nothing of this type: NOERROR/NODATA with the SOA, else NXDOMAIN with the SOA.
  return { kind: 'answer', response: respond(query, exists(zone, name) ? rcodes.NOERROR : rcodes.NXDOMAIN, [], [soa(zone)]) };
}

export { reverseName };

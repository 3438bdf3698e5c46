// The cluster zone as data, following the Kubernetes DNS-based service
// discovery specification (kubernetes/dns docs/specification.md) the way
// CoreDNS' kubernetes plugin serves it: what a name in `cluster.local` holds.
// Pure: built from Services and EndpointSlices; the answer logic is in answer.ts.
import type { KubeObject } from '../../api/types.js';

export interface ZoneConfig {
  zone: string; // 'cluster.local'
  ttl: number;
}

export type RecordType = 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT' | 'SOA' | 'NS';

export interface Rr {
  name: string;
  type: RecordType;
  ttl: number;
  data: any;
}

interface SrvTarget {
  port: number;
  target: string;
  ip?: string;
}

/** Everything the zone holds, indexed by lowercase owner name. */
export class ZoneData {
  readonly a = new Map<string, string[]>();
  readonly cname = new Map<string, string>();
  readonly srv = new Map<string, SrvTarget[]>();
  readonly ptr = new Map<string, string>();
  /** Names that exist (have records, or have names below them): NODATA instead of NXDOMAIN. */
  readonly exists = new Set<string>();

  constructor(readonly cfg: ZoneConfig) {}

  touch(name: string): void {
    // Every ancestor inside the zone exists too (empty non-terminals).
    const labels = name.split('.');
    const zoneLabels = this.cfg.zone.split('.').length;
    for (let i = 0; i <= labels.length - zoneLabels; i++) this.exists.add(labels.slice(i).join('.'));
  }

  addA(name: string, ip: string): void {
    const n = name.toLowerCase();
    const list = this.a.get(n) ?? [];
    if (!list.includes(ip)) list.push(ip);
    this.a.set(n, list);
    this.touch(n);
  }

  addSrv(name: string, t: SrvTarget): void {
    const n = name.toLowerCase();
    this.srv.set(n, [...(this.srv.get(n) ?? []), t]);
    this.touch(n);
  }

  addCname(name: string, target: string): void {
    this.cname.set(name.toLowerCase(), target);
    this.touch(name.toLowerCase());
  }

  addPtr(ip: string, name: string): void {
    // The first name wins: a ClusterIP names its service, an endpoint IP its first service.
    const rev = reverseName(ip);
    if (!this.ptr.has(rev)) this.ptr.set(rev, name);
  }
}

export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** `10-244-1-5`: an endpoint without a hostname is named by its dashed IP, as the spec says. */
export const dashed = (ip: string) => ip.replace(/\./g, '-');

function readyEndpoints(svc: KubeObject, slices: KubeObject[]): { ip: string; hostname?: string; ports: any[] }[] {
  const out: { ip: string; hostname?: string; ports: any[] }[] = [];
  const seen = new Set<string>();
  const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
  for (const s of slices) {
    if (s.metadata.namespace !== svc.metadata.namespace) continue;
    if (s.metadata.labels?.['kubernetes.io/service-name'] !== svc.metadata.name) continue;
    for (const e of s.endpoints ?? []) {
      if (!publishNotReady && e.conditions?.ready === false) continue;
      const ip = e.addresses?.[0];
      if (!ip || seen.has(ip)) continue;
      seen.add(ip);
      out.push({ ip, hostname: e.hostname, ports: s.ports ?? [] });
    }
  }
  return out;
}

export function buildZone(services: KubeObject[], slices: KubeObject[], cfg: ZoneConfig): ZoneData {
  const z = new ZoneData(cfg);
  for (const svc of services) {
    const ns = svc.metadata.namespace!;
    const base = `${svc.metadata.name}.${ns}.svc.${cfg.zone}`;
    const s = svc.spec ?? {};
    if (s.type === 'ExternalName') {
      z.addCname(base, String(s.externalName).replace(/\.$/, ''));
      continue;
    }
    const headless = s.clusterIP === 'None';
    if (!headless && s.clusterIP) {
      z.addA(base, s.clusterIP);
      z.addPtr(s.clusterIP, base);
      for (const p of s.ports ?? []) {
        if (!p.name) continue;
        z.addSrv(`_${p.name}._${String(p.protocol ?? 'TCP').toLowerCase()}.${base}`, { port: p.port, target: base, ip: s.clusterIP });
      }
    } else {
      z.touch(base);
    }
    // Endpoint names exist for every service with endpoints (the spec's hostname records are for headless ones).
    for (const e of readyEndpoints(svc, slices)) {
      const host = `${e.hostname ?? dashed(e.ip)}.${base}`;
      if (headless) {
        z.addA(base, e.ip);
        z.addA(host, e.ip);
        for (const p of e.ports) {
          if (!p.name) continue;
          z.addSrv(`_${p.name}._${String(p.protocol ?? 'TCP').toLowerCase()}.${base}`, { port: p.port, target: host, ip: e.ip });
        }
      }
      z.addPtr(e.ip, host);
    }
  }
  // Stable answers: addresses in numeric order.
  for (const [k, ips] of z.a) z.a.set(k, ips.sort(ipCompare));
  return z;
}

function ipCompare(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

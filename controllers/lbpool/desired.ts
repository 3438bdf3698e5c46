// LoadBalancer IP allocation from a pool, as MetalLB's controller does it,
// pure: parse the pool, then give each LoadBalancer Service the IP it already
// has (if still valid), else the IP it asks for (spec.loadBalancerIP or
// MetalLB's annotation) if free, else the lowest free one. Everything is
// derived from the Services' statuses, so a restarted controller finds the
// same answer.
import type { KubeObject } from '../../api/types.js';
import { intToIp, ipToInt } from '../../api/cidr.js';

export interface IpRange {
  start: number;
  end: number;
}

/**
 * Ranges as MetalLB's IPAddressPool `addresses` accepts them: `a.b.c.d-e.f.g.h`,
 * a CIDR, or one address; several separated by commas, spaces or newlines.
 */
export function parsePool(text: string | undefined): { ranges: IpRange[]; errors: string[] } {
  const ranges: IpRange[] = [];
  const errors: string[] = [];
  for (const tok of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (tok.includes('-')) {
      const [a, b] = tok.split('-');
      const start = ipToInt(a);
      const end = ipToInt(b);
      if (start === undefined || end === undefined || end < start) errors.push(`invalid range "${tok}"`);
      else ranges.push({ start, end });
    } else if (tok.includes('/')) {
      const [ip, bits] = tok.split('/');
      const base = ipToInt(ip);
      const n = Number(bits);
      if (base === undefined || !Number.isInteger(n) || n < 0 || n > 32) errors.push(`invalid CIDR "${tok}"`);
      else {
        const size = 2 ** (32 - n);
        const start = Math.floor(base / size) * size;
        ranges.push({ start, end: start + size - 1 });
      }
    } else {
      const ip = ipToInt(tok);
      if (ip === undefined) errors.push(`invalid address "${tok}"`);
      else ranges.push({ start: ip, end: ip });
    }
  }
  return { ranges, errors };
}

export function poolContains(ranges: IpRange[], ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && ranges.some((r) => n >= r.start && n <= r.end);
}

export interface LbServiceView {
  /** `ns/name` */
  key: string;
  /** IP asked for (spec.loadBalancerIP or metallb.universe.tf/loadBalancerIPs). */
  requested?: string;
  /** IP in status now. */
  current?: string;
  /** For ordering: who was first. */
  creationTimestamp?: string;
}

export type Allocation = { ip: string } | { error: string };

/** One allocation per Service (never an address in `reserved`: the host's, a node's): current ones kept first (oldest Service wins a clash), then requests, then the rest lowest-free. */
export function allocate(services: LbServiceView[], ranges: IpRange[], reserved: ReadonlySet<string> = new Set()): Map<string, Allocation> {
  const out = new Map<string, Allocation>();
  const used = new Map<string, string>(); // ip → service key
  const order = [...services].sort((a, b) => (a.creationTimestamp ?? '').localeCompare(b.creationTimestamp ?? '') || a.key.localeCompare(b.key));
  for (const s of order) {
    if (!s.current || !poolContains(ranges, s.current) || used.has(s.current) || reserved.has(s.current)) continue;
    if (s.requested && s.requested !== s.current) continue;
    used.set(s.current, s.key);
    out.set(s.key, { ip: s.current });
  }
  const rest = order.filter((s) => !out.has(s.key));
  // Requests first, so a Service asking for an address gets it before a lowest-free pick takes it.
  for (const s of rest.filter((s) => s.requested)) {
    const ip = s.requested!;
    if (!poolContains(ranges, ip)) out.set(s.key, { error: `["${ip}"] is not allowed in config` });
    else if (reserved.has(ip)) out.set(s.key, { error: `["${ip}"] is an address of the host or a node` });
    else if (used.has(ip)) out.set(s.key, { error: `can't change sharing key for "${s.key}", address also in use by ${used.get(ip)}` });
    else {
      used.set(ip, s.key);
      out.set(s.key, { ip });
    }
  }
  for (const s of rest.filter((s) => !s.requested)) {
    let found: string | undefined;
    for (const r of ranges) {
      for (let n = r.start; n <= r.end && !found; n++) {
        const ip = intToIp(n);
        if (!used.has(ip) && !reserved.has(ip)) found = ip;
      }
      if (found) break;
    }
    if (!found) out.set(s.key, { error: 'no available IPs' });
    else {
      used.set(found, s.key);
      out.set(s.key, { ip: found });
    }
  }
  return out;
}

/** mk8s' own pool ConfigMap (key `ranges`). */
export const POOL_CONFIGMAP = 'mk8s-system/lb-pool';
/** MetalLB's legacy (before v0.13) configuration ConfigMap, key `config`, as tutorials write it. */
export const METALLB_CONFIGMAP = 'metallb-system/config';

/**
 * The layer-2 address pools of MetalLB's legacy `config` (YAML with
 * `address-pools: [{name, protocol, addresses: [...]}]`), as one pool text;
 * pools of another protocol (bgp) are reported, not used. Pure; the YAML is
 * parsed by the caller-supplied function so this module stays light.
 */
export function metallbLegacyPool(config: unknown): { text: string; errors: string[] } {
  const errors: string[] = [];
  const pools = (config as any)?.['address-pools'];
  if (!Array.isArray(pools)) return { text: '', errors: ['no address-pools list in MetalLB\'s config'] };
  const addresses: string[] = [];
  for (const [i, p] of pools.entries()) {
    const name = typeof p?.name === 'string' ? p.name : `#${i}`;
    if (p?.protocol !== undefined && p.protocol !== 'layer2') {
      errors.push(`address pool ${name}: protocol ${String(p.protocol)} is not supported (mk8s announces addresses as MetalLB's layer2 mode)`);
      continue;
    }
    if (!Array.isArray(p?.addresses)) {
      errors.push(`address pool ${name}: no addresses list`);
      continue;
    }
    // MetalLB trims spaces around the dash of a range (`10.8.8.93 - 10.8.8.103`).
    for (const a of p.addresses) if (typeof a === 'string') addresses.push(a.trim().replace(/\s*-\s*/, '-'));
  }
  return { text: addresses.join('\n'), errors };
}

export interface PoolSource {
  text: string;
  /** Where it came from, for logs and Events. */
  from: string;
  errors: string[];
}

/**
 * Which pool is in force: mk8s' ConfigMap, else MetalLB's legacy one, else
 * the controller's option. `parseYaml` turns MetalLB's `config` text into data.
 */
export function poolSource(
  configMap: (key: string) => KubeObject | undefined,
  option: string | undefined,
  parseYaml: (text: string) => unknown,
): PoolSource {
  const own = configMap(POOL_CONFIGMAP);
  if (own) return { text: own.data?.ranges ?? '', from: `ConfigMap ${POOL_CONFIGMAP}`, errors: [] };
  const legacy = configMap(METALLB_CONFIGMAP);
  if (legacy) {
    let doc: unknown;
    try {
      doc = parseYaml(legacy.data?.config ?? '');
    } catch (e) {
      return { text: '', from: `ConfigMap ${METALLB_CONFIGMAP}`, errors: [`config is not valid YAML: ${(e as Error).message}`] };
    }
    const { text, errors } = metallbLegacyPool(doc);
    return { text, from: `ConfigMap ${METALLB_CONFIGMAP}`, errors };
  }
  return { text: option ?? '', from: 'the --lb-pool option', errors: [] };
}

// IPv4 addresses and CIDRs as numbers (pure), for everything that plans or
// allocates addresses: the apiserver's ClusterIP allocator, the cluster's
// layout, the LoadBalancer pool and its host routes.

export interface Cidr {
  base: number; // network address as an unsigned 32-bit int
  bits: number;
  text: string;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr {
  const [ip, bitsText] = text.split('/');
  const addr = ipToInt(ip);
  const bits = Number(bitsText);
  if (addr === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid CIDR ${text}`);
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), bits, text };
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n >= c.base && n < c.base + 2 ** (32 - c.bits);
}

/** The n-th address of a CIDR: 10.96.0.0/12 → n=1 is 10.96.0.1, the `kubernetes` service. */
export function nthIp(c: Cidr, n: number): string {
  return intToIp(c.base + n);
}

/** Whether two CIDRs share an address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}

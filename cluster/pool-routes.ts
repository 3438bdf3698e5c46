// LoadBalancer pools outside the node network (MetalLB's legacy config as a
// tutorial writes it, e.g. 10.8.8.93-10.8.8.103): the host gets an on-link
// route for them on the cluster's bridge, so the host reaches the addresses
// (the announcing node answers ARP on the node network, MetalLB layer-2
// style) and no packet for them can leave the machine — the route is the
// safety route. Run by the control-plane process on the host: informer on
// the pool ConfigMaps → desired routes (pure) → `ip route` (thin applier).
// Our routes carry their own protocol number, so a restarted control plane
// finds and removes stale ones.
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { intToIp, ipToInt, parseCidr, type Cidr } from '../api/cidr.js';
import { findByPlural } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import { parsePool, poolSource, type IpRange } from '../controllers/lbpool/desired.js';
import { exec } from './exec.js';

/** The routing protocol number our routes carry (`ip route … proto 77`). */
export const POOL_ROUTE_PROTO = '77';

/** The aligned CIDR blocks covering [start, end], as text. */
export function rangeToCidrs(start: number, end: number): string[] {
  const out: string[] = [];
  let n = start;
  while (n <= end) {
    let bits = 32;
    // Grow the block while it stays aligned at n and within the range.
    while (bits > 0) {
      const size = 2 ** (32 - (bits - 1));
      if (n % size !== 0 || n + size - 1 > end) break;
      bits--;
    }
    out.push(`${intToIp(n)}/${bits}`);
    n += 2 ** (32 - bits);
  }
  return out;
}

/** The routes for the pool's addresses that are outside the node network (pure, sorted). */
export function poolRoutes(ranges: IpRange[], nodeCidr: Cidr): string[] {
  const nodeStart = nodeCidr.base;
  const nodeEnd = nodeCidr.base + 2 ** (32 - nodeCidr.bits) - 1;
  const out = new Set<string>();
  for (const r of ranges) {
    // The parts of the range before and after the node network.
    const parts: [number, number][] = [];
    if (r.end < nodeStart || r.start > nodeEnd) parts.push([r.start, r.end]);
    else {
      if (r.start < nodeStart) parts.push([r.start, nodeStart - 1]);
      if (r.end > nodeEnd) parts.push([nodeEnd + 1, r.end]);
    }
    for (const [a, b] of parts) for (const c of rangeToCidrs(a, b)) out.add(c);
  }
  return [...out].sort((a, b) => ipToInt(a.split('/')[0])! - ipToInt(b.split('/')[0])! || a.localeCompare(b));
}

export interface PoolRoutesOptions {
  client: Client;
  bridge: string;
  nodeCidr: string;
  lbPoolOption?: string;
  logger: Logger;
}

/** Keeps the host's pool routes as the pool ConfigMaps say; stop() removes them. */
export class PoolRoutes {
  private readonly configMaps: Informer;
  private readonly nodeCidr: Cidr;
  private applied = new Set<string>();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: PoolRoutesOptions) {
    this.nodeCidr = parseCidr(o.nodeCidr);
    this.configMaps = new Informer(o.client, findByPlural('', 'configmaps')!, { log: o.logger });
    const kick = () => this.schedule();
    this.configMaps.on({ add: kick, update: kick, delete: kick });
  }

  async start(): Promise<void> {
    // Routes a previous control plane left: start from what the kernel has.
    this.applied = new Set(await this.kernelRoutes());
    await this.configMaps.start();
    this.schedule();
    await this.running;
  }

  desired(): string[] {
    const source = poolSource((key) => this.configMaps.get(key), this.o.lbPoolOption, parseYaml);
    return poolRoutes(parsePool(source.text).ranges, this.nodeCidr);
  }

  private schedule(): void {
    this.running = this.running.then(() => this.sync()).catch((e) => this.o.logger.warn({ err: (e as Error).message }, 'pool routes'));
  }

  private async kernelRoutes(): Promise<string[]> {
    const r = await exec(['ip', '-4', 'route', 'show', 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
    return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean).map((d) => (d.includes('/') ? d : `${d}/32`)) : [];
  }

  private async sync(): Promise<void> {
    const want = new Set(this.desired());
    for (const cidr of want) {
      if (this.applied.has(cidr)) continue;
      const r = await exec(['ip', 'route', 'replace', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
      if (r.code !== 0) throw new Error(`ip route replace ${cidr} dev ${this.o.bridge}: ${r.stderr.trim()}`);
      this.applied.add(cidr);
      this.o.logger.info({ route: cidr, dev: this.o.bridge }, 'LoadBalancer pool route added');
    }
    for (const cidr of [...this.applied]) {
      if (want.has(cidr)) continue;
      await exec(['ip', 'route', 'del', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
      this.applied.delete(cidr);
      this.o.logger.info({ route: cidr }, 'LoadBalancer pool route removed');
    }
  }

  async stop(): Promise<void> {
    await this.configMaps.stop();
    await this.running;
    for (const cidr of this.applied) await exec(['ip', 'route', 'del', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
    this.applied.clear();
  }
}

// LoadBalancer pools outside the node network (MetalLB's legacy config as a
// tutorial writes it, e.g. 10.8.8.93-10.8.8.103): the host gets an on-link
// route for them on the cluster's bridge, so the host reaches the addresses
// (the announcing node answers ARP on the node network, MetalLB layer-2
// style) and no packet for them can leave the machine — the route is the
// safety route. Run by the control-plane process on the host: informer on
// the pool ConfigMaps → desired routes (pure) → `ip route` (thin applier).
// Our routes carry their own protocol number, so a restarted control plane
// finds and removes stale ones.
//
// With several control planes (`mk8s up --control-planes N`) the control-plane
// processes run inside node namespaces, so this runs as a process of its own
// on the host (role `pool-routes`):
// `node dist/cluster/pool-routes.js --kubeconfig K --bridge B --node-cidr C --exclude CIDR… [--lb-pool RANGES]`.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { cidrContains, cidrsOverlap, intToIp, ipToInt, parseCidr, type Cidr } from '../api/cidr.js';
import { findByPlural } from '../api/resources.js';
import { Client } from '../client/http.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
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

/** A pool larger than this is refused: MetalLB pools are a handful of addresses, and a huge one would take the host's routes. */
export const MAX_POOL_ROUTE_ADDRESSES = 4096;

/** What the host has that a pool route must not take: other ranges of the cluster, the host's addresses, its routes. */
export interface RouteGuard {
  /** The cluster's pod and service ranges. */
  excluded: Cidr[];
  /** The host's own addresses and its gateways. */
  hostAddresses: string[];
  /** Destinations of routes that are not ours (exact prefixes, e.g. `10.8.8.0/24`; `default` left out). */
  foreignRoutes: string[];
}

const sizeOf = (c: Cidr) => 2 ** (32 - c.bits);

/**
 * The routes for the pool's addresses that are outside the node network
 * (pure, sorted), and the parts refused with why: a pool part that overlaps
 * the cluster's ranges, holds an address of the host or a gateway, or is
 * exactly a route the host has already.
 */
export function poolRoutes(ranges: IpRange[], nodeCidr: Cidr, guard: RouteGuard = { excluded: [], hostAddresses: [], foreignRoutes: [] }): { routes: string[]; refused: string[] } {
  const nodeStart = nodeCidr.base;
  const nodeEnd = nodeCidr.base + sizeOf(nodeCidr) - 1;
  const out = new Set<string>();
  const refused: string[] = [];
  const total = ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
  if (total > MAX_POOL_ROUTE_ADDRESSES) return { routes: [], refused: [`the pool has ${total} addresses; at most ${MAX_POOL_ROUTE_ADDRESSES} get host routes`] };
  const foreign = new Set(guard.foreignRoutes.map((r) => (r.includes('/') ? r : `${r}/32`)));
  for (const r of ranges) {
    // The parts of the range before and after the node network.
    const parts: [number, number][] = [];
    if (r.end < nodeStart || r.start > nodeEnd) parts.push([r.start, r.end]);
    else {
      if (r.start < nodeStart) parts.push([r.start, nodeStart - 1]);
      if (r.end > nodeEnd) parts.push([nodeEnd + 1, r.end]);
    }
    for (const [a, b] of parts) {
      for (const text of rangeToCidrs(a, b)) {
        const c = parseCidr(text);
        const clash = guard.excluded.find((x) => cidrsOverlap(x, c));
        const host = guard.hostAddresses.find((ip) => cidrContains(c, ip));
        if (clash) refused.push(`${text} overlaps the cluster's range ${clash.text}`);
        else if (host) refused.push(`${text} holds ${host}, an address or gateway of this machine`);
        else if (foreign.has(text)) refused.push(`${text} is a route this machine has already`);
        else out.add(text);
      }
    }
  }
  return { routes: [...out].sort((a, b) => ipToInt(a.split('/')[0])! - ipToInt(b.split('/')[0])! || a.localeCompare(b)), refused };
}

export interface PoolRoutesOptions {
  client: Client;
  bridge: string;
  nodeCidr: string;
  /** The cluster's pod and service ranges: never routed to the bridge as a pool. */
  excluded: string[];
  lbPoolOption?: string;
  logger: Logger;
  /** How often the kernel's routes are checked against the pool (default 30 s). */
  resyncMs?: number;
}

/** Keeps the host's pool routes as the pool ConfigMaps say; stop() removes them. */
export class PoolRoutes {
  private readonly configMaps: Informer;
  private readonly nodeCidr: Cidr;
  private applied = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private lastRefused = '';
  private timer: NodeJS.Timeout | undefined;

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
    // A route someone deleted comes back; a failed one is tried again.
    this.timer = setInterval(() => this.schedule(), this.o.resyncMs ?? 30_000);
    this.timer.unref();
  }

  private async guard(): Promise<RouteGuard> {
    const routes = (await exec(['ip', '-4', 'route', 'show', 'table', 'main'])).stdout.split('\n').filter(Boolean);
    const addrs = (await exec(['ip', '-4', '-o', 'addr', 'show'])).stdout;
    const hostAddresses = [...addrs.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]);
    for (const line of routes) {
      const via = /\bvia (\d+\.\d+\.\d+\.\d+)/.exec(line);
      if (via) hostAddresses.push(via[1]);
    }
    const foreignRoutes = routes
      .filter((l) => !(l.includes(`dev ${this.o.bridge} `) && l.includes(`proto ${POOL_ROUTE_PROTO} `)))
      .map((l) => l.trim().split(/\s+/))
      .map((w) => (['unreachable', 'blackhole', 'prohibit'].includes(w[0]) ? w[1] : w[0]))
      .filter((d) => d && d !== 'default');
    return { excluded: this.o.excluded.map(parseCidr), hostAddresses, foreignRoutes };
  }

  async desired(): Promise<string[]> {
    const source = poolSource((key) => this.configMaps.get(key), this.o.lbPoolOption, parseYaml);
    const { routes, refused } = poolRoutes(parsePool(source.text).ranges, this.nodeCidr, await this.guard());
    const said = refused.join('; ');
    if (said && said !== this.lastRefused) this.o.logger.warn({ from: source.from, refused }, 'LoadBalancer pool: parts get no host route');
    this.lastRefused = said;
    return routes;
  }

  private schedule(): void {
    this.running = this.running.then(() => this.sync()).catch((e) => this.o.logger.warn({ err: (e as Error).message }, 'pool routes'));
  }

  private async kernelRoutes(): Promise<string[]> {
    const r = await exec(['ip', '-4', 'route', 'show', 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
    return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean).map((d) => (d.includes('/') ? d : `${d}/32`)) : [];
  }

  private async sync(): Promise<void> {
    const want = new Set(await this.desired());
    const present = new Set(await this.kernelRoutes());
    // Each route on its own: one that fails is logged and tried again at the next resync.
    for (const cidr of want) {
      if (present.has(cidr)) {
        this.applied.add(cidr);
        continue;
      }
      // `add`, not `replace`: a route of someone else's with the same prefix stays theirs.
      const r = await exec(['ip', 'route', 'add', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
      if (r.code !== 0) {
        this.o.logger.warn({ route: cidr, err: r.stderr.trim() }, 'LoadBalancer pool route not added');
        continue;
      }
      this.applied.add(cidr);
      this.o.logger.info({ route: cidr, dev: this.o.bridge }, 'LoadBalancer pool route added');
    }
    for (const cidr of new Set([...this.applied, ...present])) {
      if (want.has(cidr)) continue;
      await exec(['ip', 'route', 'del', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
      this.applied.delete(cidr);
      this.o.logger.info({ route: cidr }, 'LoadBalancer pool route removed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.configMaps.stop();
    await this.running;
    for (const cidr of this.applied) await exec(['ip', 'route', 'del', cidr, 'dev', this.o.bridge, 'proto', POOL_ROUTE_PROTO]);
    this.applied.clear();
  }
}

const flagSpecs: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string' },
  { name: 'bridge', type: 'string' },
  { name: 'node-cidr', type: 'string' },
  { name: 'exclude', type: 'stringArray' },
  { name: 'lb-pool', type: 'string' },
];

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), flagSpecs);
  for (const f of ['kubeconfig', 'bridge', 'node-cidr']) if (!flags[f]) throw new Error(`--${f} is required`);
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const client = new Client(loadKubeconfig(flags.kubeconfig));
  const routes = new PoolRoutes({ client, bridge: flags.bridge, nodeCidr: flags['node-cidr'], excluded: flags.exclude as string[], lbPoolOption: flags['lb-pool'] || undefined, logger });
  await routes.start();
  logger.info({ bridge: flags.bridge }, 'pool routes running');
  const stop = async () => {
    await routes.stop().catch(() => undefined);
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** This module's file once built (what `mk8s up --control-planes N` runs on the host). */
export const poolRoutesEntry = fileURLToPath(import.meta.url);

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(poolRoutesEntry)) {
  main().catch((e) => {
    process.stderr.write(`pool-routes: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}

// The effectful half of LoadBalancer IPs (the choice is pure, in lb.ts): this
// node adds the IPs it was chosen for to its interface, tells the node network
// with a gratuitous ARP (as MetalLB's layer-2 mode), and removes the ones it no
// longer holds. Every command's result is checked and failures logged; an IP
// that could not be added or removed is tried again on the next sync.
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import type { Exec } from './apply.js';
import { announcedBy, lbAnnouncers } from './lb.js';

export class LbAnnouncer {
  private readonly held = new Set<string>();

  private constructor(
    private readonly exec: Exec,
    private readonly iface: string,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  /** Finds the node's interface and the /32s a previous proxy left on it (they are ours). */
  static async create(exec: Exec, nodeName: string, nodeIP: string, log: Logger): Promise<LbAnnouncer> {
    const iface = await nodeInterface(exec, nodeIP, log);
    const a = new LbAnnouncer(exec, iface, nodeName, log);
    const r = await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', iface]);
    if (r.code !== 0) log.warn({ iface, err: r.stderr.trim() }, 'could not list the addresses on the node interface');
    for (const m of r.stdout.matchAll(/inet ([\d.]+)\/32/g)) if (m[1] !== nodeIP) a.held.add(m[1]);
    return a;
  }

  /** The IPs this node holds now. */
  holding(): string[] {
    return [...this.held].sort();
  }

  async sync(services: KubeObject[], slices: KubeObject[], nodes: KubeObject[]): Promise<void> {
    const mine = new Set(announcedBy(lbAnnouncers(services, slices, nodes), this.nodeName));
    for (const ip of mine) {
      if (this.held.has(ip)) continue;
      const r = await this.exec('ip', ['addr', 'replace', `${ip}/32`, 'dev', this.iface]);
      if (r.code !== 0) {
        this.log.warn({ ip, err: r.stderr.trim() }, 'could not add LoadBalancer IP');
        continue;
      }
      this.held.add(ip);
      // Tell the node network at once, as MetalLB does with gratuitous ARP.
      const arp = await this.exec('arping', ['-U', '-c', '1', '-I', this.iface, ip]);
      if (arp.code !== 0) this.log.warn({ ip, code: arp.code, err: arp.stderr.trim() }, 'gratuitous ARP for LoadBalancer IP failed (neighbours learn it on their next ARP request)');
      this.log.info({ ip }, 'announcing LoadBalancer IP');
    }
    for (const ip of [...this.held]) {
      if (mine.has(ip)) continue;
      const r = await this.exec('ip', ['addr', 'del', `${ip}/32`, 'dev', this.iface]);
      // Already gone is as good as removed.
      if (r.code !== 0 && !/Cannot assign requested address|not found/i.test(r.stderr)) {
        this.log.warn({ ip, err: r.stderr.trim() }, 'could not withdraw LoadBalancer IP; trying again on the next sync');
        continue;
      }
      this.held.delete(ip);
      this.log.info({ ip }, 'withdrew LoadBalancer IP');
    }
  }
}

/** The interface holding the node's IP (eth0 when none does). */
async function nodeInterface(exec: Exec, ip: string, log: Logger): Promise<string> {
  const r = await exec('ip', ['-o', '-4', 'addr', 'show']);
  if (r.code !== 0) log.warn({ err: r.stderr.trim() }, 'could not list addresses');
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
    if (m && m[2] === ip) return m[1];
  }
  log.warn({ ip }, 'no interface holds the node IP; announcing LoadBalancer IPs on eth0');
  return 'eth0';
}

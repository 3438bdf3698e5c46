// The node network's thin applier: runs layout.ts's steps, undoes them on a
// failure half-way, and says what would collide before touching anything.
import { existsSync } from 'node:fs';
import { networkDownSteps, networkUpSteps, type ClusterLayout } from './layout.js';
import { exec } from './exec.js';

/** What already exists on the machine under our names: up refuses rather than adopt or clobber it. */
export async function networkConflicts(l: ClusterLayout): Promise<string[]> {
  const out: string[] = [];
  const links = (await exec(['ip', '-o', 'link', 'show'])).stdout;
  const has = (dev: string) => new RegExp(`^\\d+: ${dev.replace(/[.]/g, '\\.')}[@:]`, 'm').test(links);
  if (has(l.options.bridge)) out.push(`interface ${l.options.bridge} already exists`);
  for (const n of l.nodes) {
    if (existsSync(`/run/netns/${n.netns}`)) out.push(`network namespace ${n.netns} already exists`);
    if (has(n.hostVeth)) out.push(`interface ${n.hostVeth} already exists`);
  }
  const chains = await exec(['iptables', '-w', '-S', l.forwardChain]);
  if (chains.code === 0) out.push(`iptables chain ${l.forwardChain} already exists`);
  const routes = (await exec(['ip', '-4', 'route', 'show'])).stdout;
  for (const cidr of [l.options.podCidr, l.options.serviceCidr, l.options.nodeCidr]) {
    if (routes.split('\n').some((r) => r.split(/\s+/).includes(cidr))) out.push(`a route for ${cidr} already exists`);
  }
  return out;
}

export async function networkUp(l: ClusterLayout, progress: (what: string) => void = () => undefined): Promise<void> {
  for (const step of networkUpSteps(l)) {
    const r = await exec(step.argv);
    if (r.code !== 0) {
      await networkDown(l);
      throw new Error(`node network: ${step.what}: ${step.argv.join(' ')} failed: ${r.stderr.trim()}`);
    }
    progress(step.what);
  }
}

/** Remove everything networkUp makes; what is already gone is skipped. */
export async function networkDown(l: ClusterLayout): Promise<void> {
  for (const step of networkDownSteps(l)) await exec(step.argv);
}

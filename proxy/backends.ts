// Which backend runs a proxy mode.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { execCommand, type Exec } from './apply.js';
import { proxyModes, type ProxyBackend, type ProxyMode } from './backend.js';
import { IptablesBackend } from './iptables/backend.js';
import { NftablesBackend } from './nftables/backend.js';
import type { NftTransactions } from './nftables/session.js';

/** The nft binary (npm's node_modules/.bin/nft, @vercel/nft, may shadow it on PATH). */
export const nftBinary = existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';

/** `iptables` or `nftables`, or a one-line error naming the choices. */
export function parseProxyMode(s: string | undefined): ProxyMode {
  const v = (s ?? '').trim() || 'iptables';
  if ((proxyModes as readonly string[]).includes(v)) return v as ProxyMode;
  throw new Error(`unknown proxy mode "${v}" (choose one of: ${proxyModes.join(', ')})`);
}

/** What a backend may use besides running commands. */
export interface BackendExtras {
  /** The nftables mode's long-lived `nft -i` for partial syncs (nftables/session.ts). */
  nftSession?: NftTransactions;
}

type BackendFactory = (exec: Exec, log?: Logger, extras?: BackendExtras) => ProxyBackend;

/** The backend of each mode built in (undefined: not available in this build). */
const factories: Record<ProxyMode, BackendFactory | undefined> = {
  iptables: (exec, log) => new IptablesBackend(exec, log),
  nftables: (exec, log, extras) => new NftablesBackend(exec, log, nftBinary, {}, extras?.nftSession),
};

/** Undefined when `mode` can run here, else a one-line reason. */
export function modeUnavailable(mode: ProxyMode): string | undefined {
  return factories[mode] ? undefined : `proxy mode ${mode} is not available in this build yet (use iptables)`;
}

export function createBackend(mode: ProxyMode, exec: Exec = execCommand, log?: Logger, extras?: BackendExtras): ProxyBackend {
  const make = factories[mode];
  if (!make) throw new Error(modeUnavailable(mode));
  return make(exec, log, extras);
}

/**
 * Remove the rules of every mode but `keep` (as kube-proxy does on start), so
 * switching modes on a running node leaves no stale data path behind.
 */
export async function cleanupOtherModes(keep: ProxyMode, exec: Exec = execCommand, log?: Logger): Promise<void> {
  for (const mode of proxyModes) {
    if (mode === keep) continue;
    try {
      await cleanupMode(mode, exec);
    } catch (e) {
      log?.warn({ mode, err: (e as Error).message }, 'could not remove the rules of the other proxy mode');
    }
  }
}

/** Remove everything `mode` owns, whether or not its backend is built in. */
export async function cleanupMode(mode: ProxyMode, exec: Exec = execCommand): Promise<void> {
  if (mode === 'iptables') return new IptablesBackend(exec).cleanup();
  // kube-proxy's nftables mode owns exactly the table `ip kube-proxy` (and `ip6 kube-proxy`).
  for (const family of ['ip', 'ip6']) {
    const r = await exec(nftBinary, ['delete', 'table', family, 'kube-proxy']);
    if (r.code === 127) return; // no nft on this machine: no table of ours either
    if (r.code !== 0 && !/No such file|does not exist/i.test(r.stderr)) throw new Error(`nft delete table ${family} kube-proxy: ${r.stderr.trim()}`);
  }
}

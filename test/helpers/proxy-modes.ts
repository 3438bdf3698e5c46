// The proxy modes the end-to-end Service tests run in. Each e2e file runs one
// mode per ava worker: the file itself runs MK8S_TEST_PROXY_MODE (default
// iptables); for each other mode listed here, a one-line wrapper file sets the
// variable and imports it (e.g. services-e2e-nftables.test.ts:
// `process.env.MK8S_TEST_PROXY_MODE = 'nftables'; await import('./services-e2e.test.js');`).
// ava runs files in parallel, so each mode's cluster needs its own name,
// bridge and address ranges: forMode() takes them from the file's table.
import type { ProxyMode } from '../../proxy/backend.js';
import type { ClusterParams } from '../../testkit/cluster.js';

/** Modes every e2e Service test runs in. */
export const proxyModes: ProxyMode[] = ['iptables', 'nftables'];

/** The mode this test worker runs. */
export function testProxyMode(): ProxyMode {
  const m = process.env.MK8S_TEST_PROXY_MODE || 'iptables';
  if (m !== 'iptables' && m !== 'nftables') throw new Error(`MK8S_TEST_PROXY_MODE=${m}: not a proxy mode`);
  return m;
}

type Net = Pick<ClusterParams, 'name' | 'bridge' | 'nodeCidr' | 'podCidr' | 'serviceCidr'>;

/**
 * The cluster parameters for `mode`: iptables keeps the file's own; another
 * mode uses its entry in `others` (its own name, bridge and ranges) and asks
 * `mk8s up` for that mode.
 */
export function forMode<P extends ClusterParams>(base: P, mode: ProxyMode, others: Partial<Record<ProxyMode, Net>> = {}): P & Pick<ClusterParams, 'extra'> {
  if (mode === 'iptables') return base;
  const net = others[mode];
  if (!net) throw new Error(`no cluster name/bridge/ranges for proxy mode ${mode} in this test file`);
  return { ...base, ...net, extra: [...(base.extra ?? []), '--proxy-mode', mode] };
}

// kube-proxy's nftables names (pkg/proxy/nftables): a regular chain is a
// prefix (`service-`, `local-`, `external-`, `endpoint-`, `firewall-`,
// `affinity-` for sets) and "HASH-ns/name/proto/port[__ip/port]", where HASH
// is the first 8 characters of base32(sha256(the rest)). Names are at most
// 256 characters; the base is cut to 240 with "..." (never for IPv4).
import { sha256Base32 } from '../../api/kube-proxy-names.js';

const nameBaseMax = 256 - 16;

function hashAndTruncate(name: string): string {
  const out = `${sha256Base32(name, 8)}-${name}`;
  return out.length > nameBaseMax ? `${out.slice(0, nameBaseMax - 3)}...` : out;
}

/** "HASH-ns/name/proto/portName" (portName may be empty, as kube-proxy). */
export function portChainBase(namespace: string, name: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${portName}`);
}

/** "HASH-ns/name/proto/portName__ip/port". */
export function endpointChainBase(namespace: string, name: string, protocol: string, portName: string, ip: string, port: number): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol.toLowerCase()}/${portName}__${ip.replaceAll(':', '.')}/${port}`);
}

export const nftServiceChain = (base: string) => `service-${base}`;
export const nftLocalChain = (base: string) => `local-${base}`;
export const nftExternalChain = (base: string) => `external-${base}`;
export const nftFirewallChain = (base: string) => `firewall-${base}`;
export const nftEndpointChain = (base: string) => `endpoint-${base}`;
export const nftAffinitySet = (base: string) => `affinity-${base}`;

/** Per-service chains carry a "/" in their name; the fixed ones never do (kube-proxy's isServiceChainName). */
export const isServiceChainName = (chain: string) => chain.includes('/');
export const isAffinitySetName = (set: string) => set.startsWith('affinity-');

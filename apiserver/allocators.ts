// Pure allocators for Service ClusterIPs and nodePorts. Like Kubernetes'
// ipallocator and portallocator they pick a random free value (so a deleted
// service's IP is not handed straight to the next one) and report requested
// values that are out of range or taken with Kubernetes' messages.
import { intToIp, ipToInt, type Cidr } from '../api/cidr.js';

export type Random = () => number;

/**
 * A free ClusterIP: random among the usable addresses (not the network or
 * broadcast address), skipping taken ones. undefined when the range is full.
 */
export function allocateClusterIP(c: Cidr, isTaken: (ip: string) => boolean, random: Random = Math.random): string | undefined {
  const size = 2 ** (32 - c.bits);
  const usable = size - 2;
  if (usable <= 0) return undefined;
  const start = Math.floor(random() * usable);
  for (let i = 0; i < usable; i++) {
    const ip = intToIp(c.base + 1 + ((start + i) % usable));
    if (!isTaken(ip)) return ip;
  }
  return undefined;
}

/** Why a requested ClusterIP cannot be had, in Kubernetes' words; undefined when it can. */
export function clusterIPRefusal(c: Cidr, ip: string, isTaken: (ip: string) => boolean): string | undefined {
  const n = ipToInt(ip);
  const size = 2 ** (32 - c.bits);
  if (n === undefined) return `failed to allocate IP ${ip}: must be a valid IP address`;
  if (n <= c.base || n >= c.base + size - 1) {
    return `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${c.text}`;
  }
  if (isTaken(ip)) return `failed to allocate IP ${ip}: provided IP is already allocated`;
  return undefined;
}

export interface PortRange {
  min: number;
  max: number;
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`invalid port range ${text}`);
  return { min: Number(m[1]), max: Number(m[2]) };
}

export function allocateNodePort(r: PortRange, isTaken: (port: number) => boolean, random: Random = Math.random): number | undefined {
  const size = r.max - r.min + 1;
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const port = r.min + ((start + i) % size);
    if (!isTaken(port)) return port;
  }
  return undefined;
}

/** Why a requested nodePort cannot be had, in Kubernetes' words. */
export function nodePortRefusal(r: PortRange, port: number, isTaken: (port: number) => boolean): string | undefined {
  if (port < r.min || port > r.max) {
    return `provided port is not in the valid range. The range of valid ports is ${r.min}-${r.max}`;
  }
  if (isTaken(port)) return 'provided port is already allocated';
  return undefined;
}

// kube-proxy's chain names, so what a learner reads in `iptables -t nat -L`
// matches the Kubernetes docs: KUBE-SVC-/KUBE-SEP-/KUBE-EXT-/KUBE-SVL-/KUBE-FW-
// followed by the first 16 characters of base32(sha256(...)), as
// pkg/proxy/iptables/proxier.go's portProtoHash.
import * as crypto from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (standard alphabet, with padding), as Go's base32.StdEncoding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8) out += '=';
  return out;
}

/** `ns/name:portName`, or `ns/name` for an unnamed port: kube-proxy's ServicePortName.String(). */
export function servicePortName(namespace: string, name: string, portName?: string): string {
  return `${namespace}/${name}${portName ? `:${portName}` : ''}`;
}

// crypto.hash (Node ≥ 20.12) is one call with no Hash object: about 3× faster per name than createHash, which
// matters when a full sync names 40,000 chains.
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;
const sha256 = (s: string): Uint8Array => (oneShot ? oneShot('sha256', s, 'buffer') : crypto.createHash('sha256').update(s).digest());

/**
 * The first `chars` characters of base32(sha256(s)), as kube-proxy's names
 * take them: only the bytes those characters need are encoded.
 */
export function sha256Base32(s: string, chars: number): string {
  const d = sha256(s);
  let out = '';
  let bits = 0;
  let value = 0;
  for (let i = 0; out.length < chars; i++) {
    value = ((value << 8) | d[i]) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

const hash16 = (s: string) => sha256Base32(s, 16);

/** The hash shared by a service port's KUBE-SVC-, KUBE-EXT-, KUBE-SVL- and KUBE-FW- chains. */
export function portProtoHash(spn: string, protocol: string): string {
  return hash16(spn + protocol.toLowerCase());
}

export const serviceChain = (spn: string, protocol: string) => `KUBE-SVC-${portProtoHash(spn, protocol)}`;
export const externalChain = (spn: string, protocol: string) => `KUBE-EXT-${portProtoHash(spn, protocol)}`;
export const localChain = (spn: string, protocol: string) => `KUBE-SVL-${portProtoHash(spn, protocol)}`;
export const firewallChain = (spn: string, protocol: string) => `KUBE-FW-${portProtoHash(spn, protocol)}`;

/** KUBE-SEP-<hash of spn + protocol + "ip:port">. */
export function endpointChain(spn: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${hash16(spn + protocol.toLowerCase() + endpoint)}`;
}

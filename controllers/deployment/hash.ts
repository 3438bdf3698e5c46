// pod-template-hash, as Kubernetes' controller.ComputeHash: FNV-32a over the
// pod template (plus the collision count, little-endian, when there is one),
// the uint32 printed in decimal and each digit mapped through
// rand.SafeEncodeString's alphabet. So the hash is up to 10 characters of
// `bcdfghjklmnpqrstvwxz2456789` (in practice the ten that digits map to),
// e.g. `798fc5b4d4`. Go hashes its struct dump; we hash canonical JSON (keys
// sorted), which is stable across restarts and key order.
import type { KubeObject } from '../../api/types.js';

export const POD_TEMPLATE_HASH = 'pod-template-hash';

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each byte mapped into the vowel-free alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += alphanums[s.charCodeAt(i) % alphanums.length];
  return out;
}

/** JSON with object keys sorted, so equal templates hash equal. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function computeHash(template: unknown, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32a(enc.encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** The template without the pod-template-hash label, for EqualIgnoreHash. */
export function templateWithoutHash(template: any): any {
  const t = structuredClone(template ?? {});
  // Go's zero metav1.Time: null (kubectl rollout undo sends it) is the same as absent.
  if (t.metadata && t.metadata.creationTimestamp === null) delete t.metadata.creationTimestamp;
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  if (t.metadata && Object.keys(t.metadata).length === 0) delete t.metadata;
  return t;
}

/** controller.EqualIgnoreHash: the templates are the same but for the hash label. */
export function equalIgnoreHash(a: any, b: any): boolean {
  return canonicalJson(templateWithoutHash(a)) === canonicalJson(templateWithoutHash(b));
}

/** The hash a Deployment's current template gets. */
export function deploymentTemplateHash(d: KubeObject): string {
  return computeHash(d.spec?.template, d.status?.collisionCount);
}

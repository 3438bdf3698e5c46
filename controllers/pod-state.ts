// How the controllers read a pod's state, as Kubernetes' podutil helpers.
import type { KubeObject } from '../api/types.js';

export function podCondition(pod: KubeObject, type: string): any | undefined {
  return (pod.status?.conditions ?? []).find((c: any) => c.type === type);
}

/** podutil.IsPodReady: condition Ready=True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** controller.IsPodActive: not terminal and not being deleted; what replica counts count. */
export function isPodActive(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/**
 * podutil.IsPodAvailable: ready for at least minReadySeconds. Returns the ms
 * until it becomes available when it is ready but not yet available.
 */
export function podAvailability(pod: KubeObject, minReadySeconds: number, now = Date.now()): { available: boolean; inMs?: number } {
  const ready = podCondition(pod, 'Ready');
  if (ready?.status !== 'True') return { available: false };
  if (!minReadySeconds) return { available: true };
  const since = Date.parse(ready.lastTransitionTime ?? '');
  if (Number.isNaN(since)) return { available: true };
  const at = since + minReadySeconds * 1000;
  return at <= now ? { available: true } : { available: false, inMs: at - now };
}

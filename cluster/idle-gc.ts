// One full garbage collection when a long-running process goes quiet after
// a burst of work. V8 keeps the heap it grew to at a burst's peak (a
// Deployment of 100 pods created and deleted: the control plane's live
// objects ~60 MB, its RSS 130–170 MB; docs/benchmarks.md, bench/footprint)
// and gives pages back only after a full collection finds them empty, which
// an idle process may not run for a long time. So each long-running
// process (control plane, node agent) watches its own CPU time: after an
// interval that was busy, the first quiet one runs `gc()` once. A quiet
// process never collects; a busy one is never interrupted.
//
// `gc` is V8's own (`--expose-gc`), enabled at run time so the processes
// keep their command lines (a V8 flag there costs Node its start-up code
// cache).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** How often the CPU time is sampled (ms). */
  everyMs?: number;
  /** An interval with more CPU than this share of it was busy. */
  busyShare?: number;
  /** An interval with less CPU than this share of it is quiet. */
  quietShare?: number;
  /** Told after each collection: RSS before and after (bytes). */
  onCollect?: (before: number, after: number) => void;
}

/** The decision, pure: collect now? (`busy`: a busy interval was seen since the last collection.) */
export function idleGcStep(busy: boolean, cpuMs: number, intervalMs: number, o: { busyShare: number; quietShare: number }): { collect: boolean; busy: boolean } {
  if (cpuMs > o.busyShare * intervalMs) return { collect: false, busy: true };
  if (busy && cpuMs < o.quietShare * intervalMs) return { collect: true, busy: false };
  return { collect: false, busy };
}

let exposed: (() => void) | undefined;

function gcFunction(): (() => void) | undefined {
  if (exposed) return exposed;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (exposed = g);
  try {
    setFlagsFromString('--expose-gc');
    exposed = runInNewContext('gc') as () => void;
  } catch {
    exposed = undefined;
  }
  return exposed;
}

/** Start watching; MK8S_IDLE_GC=0 turns it off (bench/footprint compares). */
export function startIdleGc(o: IdleGcOptions = {}): { stop(): void; collections(): number } {
  const everyMs = o.everyMs ?? 2000;
  const shares = { busyShare: o.busyShare ?? 0.1, quietShare: o.quietShare ?? 0.03 };
  let collections = 0;
  const gc = process.env.MK8S_IDLE_GC === '0' ? undefined : gcFunction();
  if (!gc) return { stop: () => undefined, collections: () => 0 };
  let busy = false;
  let last = process.cpuUsage();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const now = process.cpuUsage();
    const at = performance.now();
    const cpuMs = (now.user - last.user + now.system - last.system) / 1000;
    const step = idleGcStep(busy, cpuMs, at - lastAt, shares);
    busy = step.busy;
    if (step.collect) {
      const before = process.memoryUsage.rss();
      gc();
      collections++;
      o.onCollect?.(before, process.memoryUsage.rss());
    }
    // The collection's own CPU does not count as work.
    last = process.cpuUsage();
    lastAt = performance.now();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), collections: () => collections };
}

// Exponential back-off with jitter and a reset, as k8s.io/apimachinery's
// wait.NewExponentialBackoffManager, which client-go's reflector builds with
// (800ms, 30s, 2m, factor 2.0, jitter 1.0):
// - the base delay starts at initialMs and is multiplied by `factor` after
//   each use, up to capMs;
// - each delay returned is the base plus up to `jitter` times the base at
//   random: [base, base·(1+jitter)); with the defaults 0.8–1.6 s first and
//   [30, 60) s once capped, as client-go's "backoff will stop at [30,60) sec";
// - when more than resetMs passed since the previous delay was asked for, the
//   base starts again from initialMs (client-go: "If we don't backoff for
//   2min, assume API server is healthy and we reset the backoff");
// - reset() starts again at once (the informer calls it after a healthy watch).
import { realClock, type Clock } from './clock.js';

export interface BackoffOptions {
  initialMs: number;
  capMs: number;
  resetMs: number;
  factor: number;
  jitter: number;
  /** Uniform in [0, 1): Math.random unless a test fixes it. */
  random: () => number;
  clock: Clock;
}

/** client-go's reflector parameters. */
export const reflectorBackoff: BackoffOptions = {
  initialMs: 800,
  capMs: 30_000,
  resetMs: 120_000,
  factor: 2,
  jitter: 1,
  random: Math.random,
  clock: realClock,
};

export class ExponentialBackoff {
  readonly opts: BackoffOptions;
  private base: number;
  private lastStart: number;

  constructor(opts: Partial<BackoffOptions> = {}) {
    const o = { ...reflectorBackoff, ...opts };
    if (!(o.initialMs > 0) || !(o.capMs > 0) || !(o.factor >= 1) || !(o.jitter >= 0)) {
      throw new Error(`invalid back-off: initialMs ${o.initialMs}, capMs ${o.capMs}, factor ${o.factor}, jitter ${o.jitter}`);
    }
    o.initialMs = Math.min(o.initialMs, o.capMs);
    this.opts = o;
    this.base = o.initialMs;
    this.lastStart = o.clock.now();
  }

  /** The next delay, ms; advances the sequence. */
  next(): number {
    const { clock, resetMs, initialMs, factor, capMs, jitter, random } = this.opts;
    const now = clock.now();
    if (now - this.lastStart > resetMs) this.base = initialMs;
    this.lastStart = now;
    const base = this.base;
    this.base = Math.min(base * factor, capMs);
    return Math.floor(base + random() * jitter * base);
  }

  /** Start again from initialMs. */
  reset(): void {
    this.base = this.opts.initialMs;
  }
}

// Watch streams with bounds, as kube-apiserver's cacheWatcher: events go out
// as fast as the client reads (the initial state is serialized only as the
// socket drains), live events queue up to a byte budget, and a watcher that
// falls further behind is dropped — its socket destroyed, so neither our
// queue nor the socket's buffer is held for it. One client may hold only so
// many watches; shutdown ends them all.
import type { ServerResponse } from 'node:http';
import type { WatchEvent } from '../api/types.js';
import { ApiError, statusFailure } from '../api/status.js';

export interface WatchLimits {
  /** Bytes a watcher may have queued and unsent before it is dropped. */
  bufferBytes: number;
  /** Open watches one client (remote address) may hold. */
  perClient: number;
  /**
   * While events keep coming, how long after a write a watcher's next write waits to gather more, at least (bench/watch-fanout:
   * with 200 watchers, server CPU per event 4.1 ms when each event was its own write, 1.75 ms with a 5 ms window).
   */
  batchWindowMs: number;
  /**
   * Open watches per millisecond of window: with more watches open than `batchWindowMs` × this, the window grows with
   * them, so that while events keep coming the server makes at most about this many thousand watch writes a second
   * (each write costs the same TLS record and loopback TCP path whatever it carries). bench/watch-fanout, 200 watchers:
   * 5-11% of the no-watcher creates with a 5 ms window, 17-23% with 20-50 ms.
   */
  watchesPerWindowMs: number;
}

export const defaultWatchLimits: WatchLimits = { bufferBytes: 8 * 1024 * 1024, perClient: 100, batchWindowMs: 5, watchesPerWindowMs: 10 };

/** The batch window with `open` watches open: the configured one, or longer with many watches open. */
export function batchWindowFor(limits: Pick<WatchLimits, 'batchWindowMs' | 'watchesPerWindowMs'>, open: number): number {
  return Math.max(limits.batchWindowMs, open / limits.watchesPerWindowMs);
}

export class WatchStreams {
  private readonly open = new Set<WatchStream>();
  private readonly perClient = new Map<string, number>();
  /** Watchers dropped for falling behind, since start. */
  dropped = 0;

  constructor(readonly limits: WatchLimits) {}

  /** Take a watch slot for `client`, or throw 429 as kube-apiserver's max-in-flight limit does. */
  admit(client: string): () => void {
    const n = this.perClient.get(client) ?? 0;
    if (n >= this.limits.perClient) {
      const s = statusFailure(429, 'TooManyRequests', `too many open watches from ${client} (limit ${this.limits.perClient}), please try again later`, { retryAfterSeconds: 1 });
      throw new ApiError(s);
    }
    this.perClient.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    };
  }

  start(res: ServerResponse, encode: Encoder, onDrop: () => void): WatchStream {
    const w = new WatchStream(res, encode, this.limits.bufferBytes, () => this.batchWindowMs(), () => {
      this.dropped++;
      onDrop();
    });
    this.open.add(w);
    w.onClose(() => this.open.delete(w));
    return w;
  }

  count(): number {
    return this.open.size;
  }

  /** The batch window now (batchWindowFor). */
  batchWindowMs(): number {
    return batchWindowFor(this.limits, this.open.size);
  }

  /** Server shutdown: every watch ends now (a stalled one is destroyed). */
  closeAll(): void {
    for (const w of [...this.open]) w.end(true);
  }
}

/** The most one write of queued live events carries. */
const maxBatchBytes = 256 * 1024;

/** One event as a line of the stream; `first`: the stream's first line (a Table carries its column definitions). */
export type Encoder = (ev: WatchEvent, first: boolean) => string;

export class WatchStream {
  private started = false;
  private initial: WatchEvent[] = [];
  private initialAt = 0;
  private queue: string[] = [];
  private queued = 0;
  private waiting = false;
  /** A write of the queued lines is scheduled for the end of this turn of the event loop. */
  private flushing = false;
  /** When live lines were last written (performance.now()). */
  private lastWrite = -Infinity;
  private closed = false;
  private ending = false;
  private closers: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly encode: Encoder,
    private readonly budget: number,
    private readonly batchWindowMs: () => number,
    private readonly onDrop: () => void,
  ) {
    res.on('close', () => this.finish());
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  /** Events the stream starts with (the current state or a replay): serialized lazily, as the client reads. */
  sendInitial(events: WatchEvent[]): void {
    this.initial = events;
    this.initialAt = 0;
    this.pump();
  }

  /** A live event. A watcher whose unsent bytes pass the budget is dropped. */
  send(ev: WatchEvent): void {
    if (this.closed || this.ending) return;
    this.sendLine(this.encode(ev, !this.started && this.initialAt >= this.initial.length));
  }

  /**
   * A live event already encoded (one line shared by every watcher of a
   * change). Lines that arrive in one turn of the event loop leave in one
   * write — one chunk, one TLS record — rather than one each: with many
   * watchers the socket writes, not the encoding, are what a write costs.
   */
  sendLine(line: string): void {
    if (this.closed || this.ending) return;
    this.started = true;
    this.queue.push(line);
    this.queued += line.length;
    if (this.queued + this.res.writableLength > this.budget) return this.drop();
    if (!this.flushing && !this.waiting) {
      this.flushing = true;
      // As Nagle's algorithm: the first event after a quiet spell leaves at the end of this turn; while events
      // keep coming, they gather for up to the batch window after the last write and leave together.
      const flush = () => {
        this.flushing = false;
        this.pump();
      };
      const wait = this.lastWrite + this.batchWindowMs() - performance.now();
      if (wait > 0) setTimeout(flush, wait);
      else setImmediate(flush);
    }
  }

  /** End the stream after what is queued; `now`: without waiting for a client that is not reading. */
  end(now = false): void {
    if (this.closed) return;
    this.ending = true;
    if (now && (this.waiting || this.queue.length || this.res.writableLength > 0)) return this.destroy();
    this.pump();
  }

  /** Cut off a watcher that fell behind. */
  drop(): void {
    if (this.closed) return;
    this.onDrop();
    this.destroy();
  }

  private destroy(): void {
    this.queue = [];
    this.queued = 0;
    this.initial = [];
    this.res.destroy();
    this.finish();
  }

  private write(line: string): void {
    if (!this.res.write(line)) {
      this.waiting = true;
      this.res.once('drain', () => {
        this.waiting = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    while (!this.closed && !this.waiting) {
      let line: string;
      if (this.initialAt < this.initial.length) {
        line = this.encode(this.initial[this.initialAt++], !this.started);
        this.started = true;
      }
      else if (this.queue.length) {
        // What is queued, in one write (up to a batch's worth; the rest after the next drain or in the next turn).
        let n = 0;
        let bytes = 0;
        while (n < this.queue.length && (n === 0 || bytes + this.queue[n].length <= maxBatchBytes)) bytes += this.queue[n++].length;
        line = n === 1 ? this.queue[0] : this.queue.slice(0, n).join('');
        this.queue = n === this.queue.length ? [] : this.queue.slice(n);
        this.queued -= bytes;
        this.lastWrite = performance.now();
      } else {
        if (this.ending) {
          this.res.end();
          this.finish();
        }
        return;
      }
      if (this.initialAt >= this.initial.length) this.initial = [];
      this.write(line);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const fns = this.closers;
    this.closers = [];
    for (const f of fns) f();
  }
}

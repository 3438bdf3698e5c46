// The pure part of the API load balancer (cluster/lb-proxy.ts): which
// backends are in service and which one takes the next connection. Health
// follows HAProxy's `check rise R fall F`: a backend in service leaves after
// F failed checks in a row (at once when a connection to it is refused), and
// comes back after R good checks in a row. `roundrobin` takes the next
// backend in service in turn; `leastconn` the one with the fewest open
// connections (ties in turn).

export type Balance = 'roundrobin' | 'leastconn';

export interface BackendAddress {
  host: string;
  port: number;
}

export interface BackendState extends BackendAddress {
  /** `host:port`. */
  id: string;
  up: boolean;
  /** Connections open through this backend now. */
  active: number;
  okInRow: number;
  failInRow: number;
}

export interface PoolOptions {
  balance: Balance;
  rise: number;
  fall: number;
}

export const defaultPoolOptions: PoolOptions = { balance: 'roundrobin', rise: 2, fall: 2 };

export function backendId(b: BackendAddress): string {
  return b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

/** `host:port` (or `[v6]:port`) → address; throws a one-line error otherwise. */
export function parseBackend(s: string, what = 'backend'): BackendAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < (what === 'backend' ? 1 : 0) || port > 65535) throw new Error(`invalid ${what} "${s}": want host:port`);
  return { host: m[1] ?? m[2], port };
}

export type Transition = 'up' | 'down' | undefined;

export class BackendPool {
  readonly backends: BackendState[];
  private next = 0;

  /** Backends start in service (as HAProxy's do), so the first connections need not wait for a check. */
  constructor(
    addresses: BackendAddress[],
    readonly options: PoolOptions = defaultPoolOptions,
  ) {
    if (addresses.length === 0) throw new Error('no backends');
    this.backends = addresses.map((a) => ({ ...a, id: backendId(a), up: true, active: 0, okInRow: 0, failInRow: 0 }));
  }

  /**
   * The backend for a new connection, among those in service and not in
   * `tried`; when none is in service, any not tried (a stale view beats
   * refusing), in turn. Undefined when every backend was tried.
   */
  pick(tried: ReadonlySet<string> = new Set()): BackendState | undefined {
    const untried = this.backends.filter((b) => !tried.has(b.id));
    if (untried.length === 0) return undefined;
    const candidates = untried.some((b) => b.up) ? untried.filter((b) => b.up) : untried;
    const n = this.backends.length;
    // Walk from the round-robin position so ties (and roundrobin) go in turn.
    const order: BackendState[] = [];
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.next + i) % n];
      if (candidates.includes(b)) order.push(b);
    }
    let chosen = order[0];
    if (this.options.balance === 'leastconn') for (const b of order) if (b.active < chosen.active) chosen = b;
    this.next = (this.backends.indexOf(chosen) + 1) % n;
    return chosen;
  }

  get(id: string): BackendState | undefined {
    return this.backends.find((b) => b.id === id);
  }

  /** A health check's result; says when the backend changes state. */
  checked(id: string, ok: boolean): Transition {
    const b = this.get(id);
    if (!b) return undefined;
    if (ok) {
      b.okInRow++;
      b.failInRow = 0;
      if (!b.up && b.okInRow >= this.options.rise) {
        b.up = true;
        return 'up';
      }
    } else {
      b.failInRow++;
      b.okInRow = 0;
      if (b.up && b.failInRow >= this.options.fall) {
        b.up = false;
        return 'down';
      }
    }
    return undefined;
  }

  /** A connection to it failed (refused, unreachable, timed out): out of service at once. */
  connectFailed(id: string): Transition {
    const b = this.get(id);
    if (!b) return undefined;
    b.okInRow = 0;
    b.failInRow = Math.max(b.failInRow, this.options.fall);
    if (!b.up) return undefined;
    b.up = false;
    return 'down';
  }

  upCount(): number {
    return this.backends.filter((b) => b.up).length;
  }
}

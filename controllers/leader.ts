// `mk8s controllers --leader-elect`: the controllers run only in the instance
// that holds the Lease kube-system/kube-controller-manager, as in
// kube-controller-manager. They start (informers, then workers) when this
// instance becomes the leader and stop when it loses the lease; from the
// moment the renew deadline passes, every write they attempt is refused
// before it leaves the process, so a deposed leader acts no more even while
// its workers wind down. A lost lease puts the instance back among the
// candidates (kube-controller-manager exits and is restarted instead).
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Client, type RequestOptions } from '../client/http.js';
import { LeaderElector, type LeaderElectionTimings } from '../client/leaderelection.js';
import { startControllers, type StartControllersOptions } from './manager.js';

export interface LeaderElectionFlags extends LeaderElectionTimings {
  /** Lease name and namespace (--leader-elect-resource-name / -namespace). */
  name: string;
  namespace: string;
  /** Default: `<hostname>_<uuid>`, as kube-controller-manager. */
  identity?: string;
}

/** kube-controller-manager's defaults. */
export const defaultLeaderElection: LeaderElectionFlags = {
  name: 'kube-controller-manager',
  namespace: 'kube-system',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** A client whose writes are refused, before anything is sent, while `mayWrite()` is false. */
export class GatedClient extends Client {
  constructor(
    config: Client['config'],
    private readonly mayWrite: () => boolean,
  ) {
    super(config);
  }

  override request<T = any>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    if (method !== 'GET' && !this.mayWrite()) return Promise.reject(new Error(`not the leader: ${method} ${path} refused`));
    return super.request<T>(method, path, o);
  }
}

export interface LeaderElectedControllers {
  identity: string;
  isLeader(): boolean;
  /** Stop the controllers if they run, release the lease if held, and end. */
  stop(): Promise<void>;
}

export function runLeaderElectedControllers(opts: StartControllersOptions & { leaderElection: LeaderElectionFlags; logger: Logger }): LeaderElectedControllers {
  const le = opts.leaderElection;
  const identity = le.identity ?? `${hostname()}_${randomUUID()}`;
  const log = opts.logger.child({ component: 'leaderelection' });
  const abort = new AbortController();
  let running: Promise<{ stop(): Promise<void> } | undefined> | undefined;
  let gated: GatedClient | undefined;
  const elector: LeaderElector = new LeaderElector({
    client: opts.client,
    namespace: le.namespace,
    name: le.name,
    identity,
    leaseDurationMs: le.leaseDurationMs,
    renewDeadlineMs: le.renewDeadlineMs,
    retryPeriodMs: le.retryPeriodMs,
    releaseOnCancel: true,
    log,
    onNewLeader: (id) => log.info({ leader: id, identity }, id === identity ? 'this instance is the leader' : 'new leader elected'),
    onStartedLeading() {
      const client = new GatedClient(opts.client.config, () => elector.isLeader());
      gated = client;
      running = startControllers({ ...opts, client }).catch((e) => {
        log.error({ err: (e as Error).message }, 'controllers failed to start');
        return undefined;
      });
    },
    async onStoppedLeading() {
      const r = running;
      const client = gated;
      running = undefined;
      gated = undefined;
      const c = await r;
      await c?.stop();
      client?.close();
    },
  });
  const done = elector.run(abort.signal).catch((e) => log.error({ err: (e as Error).message }, 'leader election ended'));
  return {
    identity,
    isLeader: () => elector.isLeader(),
    async stop() {
      abort.abort();
      await done;
    },
  };
}

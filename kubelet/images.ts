// Image pulls, as the kubelet's image manager (EnsureImageExists): the
// container's imagePullPolicy decides whether to pull; Docker pulls (given
// up after a minute without progress, as dockershim's
// --image-pull-progress-deadline); a pull that fails falls back to mk8s's
// built-in stand-in for the image, if there is one, else the container
// waits in ErrImagePull, then ImagePullBackOff (10 s doubling to 5 min per
// pod and image, as the kubelet). A registry that could not be reached is
// remembered for 5 minutes, so a machine with no network pays the attempt
// once, not for every pod; `offline` skips pulls altogether.
//
// planImage() and afterPull() are the decisions, pure; ImagePuller runs them
// against ImageStore, the narrow part of Docker it needs (DockerRuntime).
import { BUILTIN_IMAGE_REFS, parseImageReference, resolveImage } from '../images/aliases.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** What the kubelet needs of the container runtime's image service. */
export interface ImageStore {
  /** References of the images on the machine (repo:tag and repo@digest). */
  imageTags(): Promise<Set<string>>;
  /**
   * Pull an image; rejects with the runtime's error. Calls `progress` on
   * every progress message, and gives up (rejects) once `signal` aborts.
   */
  pullImage(ref: string, o: { signal: AbortSignal; progress: () => void }): Promise<void>;
}

export interface ImageEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The container's imagePullPolicy, or its default: Always for `:latest` or no tag, else IfNotPresent (as the API server defaults it). */
export function pullPolicyOf(container: { image?: string; imagePullPolicy?: string }): PullPolicy {
  const p = container.imagePullPolicy;
  if (p === 'Always' || p === 'IfNotPresent' || p === 'Never') return p;
  const ref = parseImageReference(container.image ?? '');
  if (ref.digest) return 'IfNotPresent';
  return ref.tag === undefined || ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The registry an image comes from (docker.io for Docker Hub): the unit the kubelet remembers as unreachable. */
export function registryOf(image: string): string {
  return parseImageReference(image).registry ?? 'docker.io';
}

/** mk8s's own images (`mk8s/<name>`, any tag) exist only on this machine: never pulled (a Docker Hub `mk8s/…` is someone else's). */
export function isLocalOnly(image: string): boolean {
  const ref = parseImageReference(image);
  return ref.registry === undefined && ref.repository.startsWith('mk8s/');
}

/** Presence of a reference among the machine's tags, as Docker names them (docker.io/library/ dropped, no tag = :latest). */
export function presentIn(tags: Set<string>): (ref: string) => boolean {
  return (ref: string) => {
    const r = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\/(library\/)?/, '');
    return tags.has(r) || (!/:[^/]+$/.test(r) && !r.includes('@') && tags.has(`${r}:latest`));
  };
}

/**
 * Whether a pull error says the registry could not be reached (and the next
 * pull from it would fail the same way), as opposed to a registry that
 * answered "no such image" or "denied".
 */
export function isUnreachable(error: string): boolean {
  return /no such host|dial tcp|i\/o timeout|connection refused|network is unreachable|no route to host|TLS handshake timeout|Client\.Timeout|context deadline exceeded|proxyconnect|temporary failure in name resolution|server misbehaving|made no progress/i.test(error);
}

export interface ImageFacts {
  image: string;
  policy: PullPolicy;
  present: (ref: string) => boolean;
  /** Pulls are off (`--offline`). */
  offline: boolean;
  /** The last pull from the image's registry failed to reach it, recently: its error, when (ms), and from when the registry is tried again. */
  registryDown?: { error: string; at: number; until: number };
  /** This pod's pull back-off for the image ends then (ms), if it is running. */
  backOffUntil?: number;
}

export type ImagePlan =
  /** Run `image` (a built-in when `standIn` is set: the image the pod asked for). */
  | { kind: 'run'; image: string; standIn?: string; events: ImageEvent[] }
  | { kind: 'pull' }
  /** The container can't start: its waiting reason and message; retry at `retryAt` (ms) unless Infinity. */
  | { kind: 'fail'; reason: string; message: string; events: ImageEvent[]; retryAt?: number };

const present = (image: string): ImageEvent => ({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine` });

function standInEvent(image: string, runs: string, why: string): ImageEvent {
  return { type: 'Normal', reason: 'StandIn', message: `${why}; running built-in stand-in "${runs}" for image "${image}"` };
}

/** The stand-in for an absent image, or undefined. */
function standIn(f: ImageFacts): { image: string; standIn?: string } | undefined {
  const r = resolveImage(f.image, f.present);
  return r.image !== f.image && f.present(r.image) ? r : undefined;
}

/** Without pulling: run the stand-in, or fail with `reason`. */
function standInOr(f: ImageFacts, why: string, reason: string, message: string, events: ImageEvent[] = []): ImagePlan {
  const s = standIn(f);
  if (s) return { kind: 'run', image: s.image, standIn: s.standIn, events: s.standIn ? [standInEvent(f.image, s.image, why)] : [present(s.image)] };
  return { kind: 'fail', reason, message, events };
}

/** What to do before any pull (as EnsureImageExists up to the pull). */
export function planImage(f: ImageFacts, now: number): ImagePlan {
  const { image } = f;
  const here = f.present(image);
  if (isLocalOnly(image)) {
    if (here) return { kind: 'run', image, events: [present(image)] };
    const msg = `image "${image}" is one of mk8s's own images and is not on the machine (\`mk8s images build\` makes ${BUILTIN_IMAGE_REFS.join(', ')})`;
    return standInOr(f, '', 'ErrImageNeverPull', msg, [{ type: 'Warning', reason: 'ErrImageNeverPull', message: msg }]);
  }
  if (here && (f.policy !== 'Always' || f.offline || f.registryDown !== undefined)) return { kind: 'run', image, events: [present(image)] };
  if (here) return { kind: 'pull' };
  if (f.policy === 'Never') {
    const msg = `Container image "${image}" is not present with pull policy of Never`;
    return standInOr(f, `image "${image}" is not present with pull policy of Never`, 'ErrImageNeverPull', msg, [{ type: 'Warning', reason: 'ErrImageNeverPull', message: msg }]);
  }
  if (f.backOffUntil !== undefined && f.backOffUntil > now) {
    const msg = `Back-off pulling image "${image}"`;
    return {
      kind: 'fail',
      reason: 'ImagePullBackOff',
      message: msg,
      events: [
        { type: 'Normal', reason: 'BackOff', message: msg },
        { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
      ],
      retryAt: f.backOffUntil,
    };
  }
  if (f.offline) {
    const msg = `image "${image}" is not on the machine and pulls are off (--offline)`;
    return standInOr(f, `image "${image}" is not on the machine and pulls are off (--offline)`, 'ErrImagePull', msg, failedPull(image, msg));
  }
  if (f.registryDown !== undefined) {
    // Not tried again: the registry failed a moment ago (the message says so).
    const d = f.registryDown;
    // Absolute times: the message stays the same for every pod meanwhile, so the Events aggregate.
    const msg = `${d.error} (${registryOf(image)} unreachable at ${clock(d.at)}; not tried again before ${clock(d.until)})`;
    return standInOr(f, `image "${image}" was not pulled: ${msg}`, 'ErrImagePull', msg, failedPull(image, msg));
  }
  return { kind: 'pull' };
}

function failedPull(image: string, error: string): ImageEvent[] {
  return [
    { type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${error}` },
    { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
  ];
}

/** Seconds as Go's time.Duration prints them (1.234s, 250ms). */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s`;
  return `${(ms / 1000).toFixed(3).replace(/\.0+$|(\.\d*?)0+$/, '$1')}s`;
}

/** HH:MM:SS UTC. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

/** After a pull: run the image, or (on failure) the local copy, the stand-in, or fail with ErrImagePull. */
export function afterPull(f: ImageFacts, r: { ok: true; ms: number; waitedMs: number } | { ok: false; error: string }): ImagePlan {
  const { image } = f;
  if (r.ok) return { kind: 'run', image, events: [{ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${duration(r.ms)} (${duration(r.waitedMs)} including waiting)` }] };
  // mk8s is kinder than the kubelet here: with policy Always and no registry, the copy on the machine runs.
  if (f.present(image)) return { kind: 'run', image, events: [{ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine (the pull failed: ${r.error})` }] };
  return standInOr(f, `Failed to pull image "${image}": ${r.error}`, 'ErrImagePull', r.error, failedPull(image, r.error));
}

// ---------------------------------------------------------------- the puller

const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

export interface PullerOptions {
  offline?: boolean;
  /** A pull is cancelled after this long without a progress message (default 60 s). */
  progressDeadlineMs?: number;
  /** How long an unreachable registry is not tried again (default 5 min). */
  registryDownMs?: number;
  /** How long the list of images on the machine is reused (default 5 s) while no image events come in (see `watching`). */
  listCacheMs?: number;
  /** A miss (absent image, or a stand-in) looks again unless the list is younger than this (default 1 s). */
  freshMs?: number;
  now?: () => number;
}

/** Runs the image decisions against an ImageStore: remembers unreachable registries and each pod's pull back-off. */
export class ImagePuller {
  private down = new Map<string, { at: number; until: number; error: string }>();
  /** Pull back-off by pod UID + image, as kubelet's flowcontrol.Backoff. */
  private backOff = new Map<string, { delayMs: number; lastAt: number }>();
  private inflight = new Map<string, Promise<{ ok: true; ms: number } | { ok: false; error: string }>>();
  private tags: { at: number; tags: Set<string> } | undefined;
  /** The listing in flight: pods asking at once share one Docker call. */
  private listing: Promise<Set<string>> | undefined;
  /** Bumped by `invalidate`: a listing that started before is not kept. */
  private generation = 0;
  /** Docker's image events reach `invalidate` (the kubelet watches them): the list stays valid until one comes. */
  private watched = false;
  private now: () => number;

  constructor(
    private store: ImageStore,
    private o: PullerOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Whether image events are being delivered to `invalidate` (false while the event stream is down). */
  watching(live: boolean): void {
    this.watched = live;
  }

  /** Images changed on the machine (pulled, tagged, loaded, removed): the next look lists them again. */
  invalidate(): void {
    this.generation++;
    this.tags = undefined;
  }

  /**
   * The machine's images: `cached` reuses the list while image events are
   * watched (else for listCacheMs), `fresh` while it is younger than
   * freshMs, `force` always lists (after a pull).
   */
  private async present(mode: 'cached' | 'fresh' | 'force'): Promise<(ref: string) => boolean> {
    const age = this.tags ? this.now() - this.tags.at : Infinity;
    const valid = mode === 'cached' ? this.watched || age <= (this.o.listCacheMs ?? 5000) : mode === 'fresh' ? age <= (this.o.freshMs ?? 1000) : false;
    if (valid && this.tags) return presentIn(this.tags.tags);
    if (mode === 'force') {
      // Not a listing that started before the pull ended.
      this.invalidate();
      this.listing = undefined;
    }
    return presentIn(await this.list());
  }

  private async list(): Promise<Set<string>> {
    if (!this.listing) {
      const generation = this.generation;
      const at = this.now();
      this.listing = this.store.imageTags().then(
        (tags) => {
          if (generation === this.generation) this.tags = { at, tags };
          return tags;
        },
      );
      void this.listing.finally(() => (this.listing = undefined)).catch(() => undefined);
    }
    return this.listing;
  }

  private facts(image: string, policy: PullPolicy, key: string, present: (ref: string) => boolean): ImageFacts {
    const now = this.now();
    const registry = registryOf(image);
    const down = this.down.get(registry);
    if (down && down.until <= now) this.down.delete(registry);
    const b = this.backOff.get(key);
    if (b && now - b.lastAt > 2 * BACKOFF_MAX_MS) this.backOff.delete(key);
    const f: ImageFacts = { image, policy, present, offline: !!this.o.offline };
    if (down && down.until > now) f.registryDown = down;
    const live = this.backOff.get(key);
    if (live) f.backOffUntil = live.lastAt + live.delayMs;
    return f;
  }

  /**
   * The image a container of pod `podUid` runs, or why it can't. `event`
   * gets the Events to record as they happen (Pulling before the pull).
   */
  async ensure(image: string, policy: PullPolicy, podUid: string, event: (e: ImageEvent) => void): Promise<ImagePlan> {
    const key = `${podUid}/${image}`;
    let present = await this.present('cached');
    let plan = planImage(this.facts(image, policy, key, present), this.now());
    if (plan.kind !== 'run' || plan.standIn) {
      // Built or pulled since the last look?
      present = await this.present('fresh');
      plan = planImage(this.facts(image, policy, key, present), this.now());
    }
    if (plan.kind !== 'pull') return this.emit(plan, key, event);
    event({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"` });
    const started = this.now();
    const r = await this.pull(image);
    const facts = this.facts(image, policy, key, r.ok ? await this.present('force') : present);
    const result = r.ok ? { ok: true as const, ms: r.ms, waitedMs: this.now() - started } : r;
    return this.emit(afterPull(facts, result), key, event);
  }

  private emit(plan: ImagePlan, key: string, event: (e: ImageEvent) => void): ImagePlan {
    if (plan.kind === 'pull') return plan;
    for (const e of plan.events) event(e);
    if (plan.kind === 'fail' && plan.reason === 'ErrImagePull') {
      // As the kubelet: ErrImagePull now and the back-off advances; the next sync (in a moment) finds it and shows ImagePullBackOff.
      const now = this.now();
      const prev = this.backOff.get(key);
      const delayMs = prev && now - prev.lastAt <= 2 * BACKOFF_MAX_MS ? Math.min(prev.delayMs * 2, BACKOFF_MAX_MS) : BACKOFF_INITIAL_MS;
      this.backOff.set(key, { delayMs, lastAt: now });
      plan.retryAt = now + 1000;
    }
    // ErrImageNeverPull: nothing changes by itself; look again at the first back-off step.
    if (plan.kind === 'fail' && plan.retryAt === undefined) plan.retryAt = this.now() + BACKOFF_INITIAL_MS;
    return plan;
  }

  /** A pod is gone: forget its back-offs. */
  forgetPod(podUid: string): void {
    for (const k of this.backOff.keys()) if (k.startsWith(`${podUid}/`)) this.backOff.delete(k);
  }

  /** One pull at a time per image (pods asking at once share it); an unreachable registry is remembered. */
  private pull(image: string): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
    let p = this.inflight.get(image);
    if (!p) {
      p = this.pullOnce(image).finally(() => this.inflight.delete(image));
      this.inflight.set(image, p);
    }
    return p;
  }

  private async pullOnce(image: string): Promise<{ ok: true; ms: number } | { ok: false; error: string }> {
    const deadline = this.o.progressDeadlineMs ?? 60_000;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ac.abort(), deadline);
    };
    const started = this.now();
    arm();
    try {
      await this.store.pullImage(image, { signal: ac.signal, progress: arm });
      this.down.delete(registryOf(image));
      return { ok: true, ms: this.now() - started };
    } catch (e) {
      const error = ac.signal.aborted ? `pull of "${image}" made no progress for ${duration(deadline)}: cancelled` : cleanDockerError((e as Error).message);
      if (isUnreachable(error)) this.down.set(registryOf(image), { at: this.now(), until: this.now() + (this.o.registryDownMs ?? 300_000), error });
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** dockerode's "(HTTP code 500) server error - msg" → msg. */
export function cleanDockerError(message: string): string {
  return message.replace(/^\(HTTP code \d+\) [a-z ]+- /, '').trim();
}

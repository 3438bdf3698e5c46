// The kubelet's decisions, pure: from a pod (or its absence) and what Docker
// shows of its containers, the actions that bring the node to the pod's spec
// (as kubelet's computePodActions), and the pod status to report (as
// kubelet's generateAPIPodStatus + getPhase). runtime.ts and cni.ts carry
// the actions out; kubelet.ts loops.
import type { KubeObject } from '../api/types.js';

export type RunState = 'created' | 'running' | 'exited' | 'unknown';

/** One Docker container of a pod, as the kubelet reads it back (labels + inspect). */
export interface ObservedContainer {
  id: string;
  role: 'pause' | 'app';
  /** The container's name in the pod spec; `POD` for the pause container. */
  name: string;
  /** Which (re)start this is: the restart count, as kubelet's restartCount annotation. */
  attempt: number;
  state: RunState;
  exitCode?: number;
  oomKilled?: boolean;
  /** Docker's error for a container that failed to start. */
  error?: string;
  createdAt: string;
  /** RFC 3339; absent when it never started. */
  startedAt?: string;
  finishedAt?: string;
  /** The image it runs (after stand-in resolution) and its ID. */
  image: string;
  imageId: string;
  pid?: number;
}

export interface PodObservation {
  containers: ObservedContainer[];
  /** The newest sandbox's IP, when its network is set up (from the IPAM store). */
  podIP?: string;
}

export interface WaitingReason {
  reason: string;
  message: string;
}

export interface SyncContext {
  now: number;
  /** Why a container can't be created now (ErrImagePull, ImagePullBackOff, CreateContainerConfigError), by container name. */
  blocked: Map<string, WaitingReason>;
  /** Container IDs whose liveness (or startup) probe has failed: killed and restarted per restartPolicy. */
  livenessFailed: Set<string>;
}

export type PodAction =
  /** Start a pause container (its own netns, no Docker network) and give it a network with CNI ADD. */
  | { type: 'createSandbox'; attempt: number }
  /** CNI ADD for a running sandbox that has no network yet. */
  | { type: 'setupNetwork'; sandbox: ObservedContainer }
  | { type: 'startContainer'; name: string; attempt: number }
  | { type: 'killContainer'; container: ObservedContainer; graceSeconds: number; reason: string }
  | { type: 'removeContainer'; container: ObservedContainer }
  /** CNI DEL, stop and remove a pause container. */
  | { type: 'teardownSandbox'; sandbox: ObservedContainer }
  /** The last step of a deletion: the API object goes (grace 0, as the kubelet does). */
  | { type: 'deletePod' }
  /** Nothing to do until then (a back-off ends). */
  | { type: 'wakeAt'; at: number };

const INITIAL_BACKOFF_S = 10;
const MAX_BACKOFF_S = 300;

/**
 * Seconds to wait before restarting a container that died on attempt n, as
 * kubelet's container back-off: the first restart is immediate, then 10 s
 * doubling up to 5 min; a container that ran for 10 min resets it.
 */
export function restartDelaySeconds(attempt: number, ranForMs = 0): number {
  if (attempt <= 0 || ranForMs >= 2 * MAX_BACKOFF_S * 1000) return 0;
  return Math.min(INITIAL_BACKOFF_S * 2 ** (attempt - 1), MAX_BACKOFF_S);
}

export function shouldRestart(restartPolicy: string | undefined, exitCode: number | undefined): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return true;
}

const ms = (t?: string) => (t ? Date.parse(t) : NaN);

function byAttemptDesc(a: ObservedContainer, b: ObservedContainer): number {
  return b.attempt - a.attempt || ms(b.createdAt) - ms(a.createdAt);
}

export function sandboxesOf(obs: PodObservation): ObservedContainer[] {
  return obs.containers.filter((c) => c.role === 'pause').sort(byAttemptDesc);
}

export function instancesOf(obs: PodObservation, name: string): ObservedContainer[] {
  return obs.containers.filter((c) => c.role === 'app' && c.name === name).sort(byAttemptDesc);
}

/** When an exited container may start again (undefined: it must not). */
export function restartAt(pod: KubeObject, c: ObservedContainer): number | undefined {
  if (!shouldRestart(pod.spec?.restartPolicy, c.exitCode)) return undefined;
  return restartAtAlways(c);
}

function restartAtAlways(c: ObservedContainer): number {
  const finished = ms(c.finishedAt);
  const started = ms(c.startedAt);
  const ran = Number.isFinite(finished) && Number.isFinite(started) ? finished - started : 0;
  const base = Number.isFinite(finished) ? finished : ms(c.createdAt);
  return base + restartDelaySeconds(c.attempt, ran) * 1000;
}

/**
 * How far the init containers are (as kubelet's computeInitContainerActions):
 * `done` when each has exited 0 in the current sandbox, `failed` when one
 * failed and restartPolicy is Never, else the one to run next.
 */
export function initProgress(pod: KubeObject, obs: PodObservation): { state: 'done' } | { state: 'failed'; name: string } | { state: 'next'; spec: any } {
  const sandbox = sandboxesOf(obs)[0];
  const sandboxStart = sandbox ? ms(sandbox.startedAt) || ms(sandbox.createdAt) : -Infinity;
  for (const spec of pod.spec?.initContainers ?? []) {
    const latest = instancesOf(obs, spec.name)[0];
    const succeeded = latest?.state === 'exited' && latest.exitCode === 0 && !(ms(latest.finishedAt) < sandboxStart);
    if (succeeded) continue;
    if (latest?.state === 'exited' && latest.exitCode !== 0 && pod.spec?.restartPolicy === 'Never') return { state: 'failed', name: spec.name };
    return { state: 'next', spec };
  }
  return { state: 'done' };
}

/** True when every container has exited for good: the pod is Succeeded or Failed. */
export function podIsTerminal(pod: KubeObject, obs: PodObservation): boolean {
  const specs: any[] = pod.spec?.containers ?? [];
  if (!specs.length) return false;
  if (initProgress(pod, obs).state === 'failed') return true;
  return specs.every((s) => {
    const latest = instancesOf(obs, s.name)[0];
    return latest?.state === 'exited' && restartAt(pod, latest) === undefined;
  });
}

function killAll(obs: PodObservation, grace: number, reason: string): PodAction[] {
  return obs.containers
    .filter((c) => c.role === 'app' && (c.state === 'running' || c.state === 'unknown'))
    .map((c) => ({ type: 'killContainer', container: c, graceSeconds: grace, reason }) as const);
}

/**
 * What to do for one pod. `pod` undefined: its containers are orphans (the
 * pod is gone from the API): stop and remove them. A pod with a
 * deletionTimestamp is stopped gracefully, then its API object deleted.
 */
export function podActions(pod: KubeObject | undefined, obs: PodObservation, ctx: SyncContext): PodAction[] {
  const sandboxes = sandboxesOf(obs);
  if (!pod || pod.metadata.deletionTimestamp) {
    const grace = pod ? Math.max(0, pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) : 2;
    const actions: PodAction[] = [...killAll(obs, grace, pod ? 'Killing' : 'Orphan')];
    for (const s of sandboxes) actions.push({ type: 'teardownSandbox', sandbox: s });
    for (const c of obs.containers) if (c.role === 'app') actions.push({ type: 'removeContainer', container: c });
    if (pod) actions.push({ type: 'deletePod' });
    return actions;
  }

  const actions: PodAction[] = [];
  const [sandbox, ...stale] = sandboxes;
  for (const s of stale) actions.push({ type: 'teardownSandbox', sandbox: s });

  if (podIsTerminal(pod, obs)) {
    // As the kubelet: a finished pod's sandbox (and its IP) is released; its containers stay for logs.
    if (sandbox) actions.push({ type: 'teardownSandbox', sandbox });
    return actions;
  }

  if (!sandbox || sandbox.state !== 'running') {
    // A new sandbox means new namespaces: every container starts again in it (SandboxChanged).
    actions.push(...killAll(obs, 0, 'SandboxChanged'));
    if (sandbox) actions.push({ type: 'teardownSandbox', sandbox });
    actions.push({ type: 'createSandbox', attempt: sandbox ? sandbox.attempt + 1 : 0 });
    return actions;
  }
  if (!obs.podIP) {
    actions.push({ type: 'setupNetwork', sandbox });
    return actions;
  }

  const sandboxStart = ms(sandbox.startedAt) || ms(sandbox.createdAt);
  const init = initProgress(pod, obs);
  // Init containers run one at a time, each to success, before any app container (as the kubelet).
  const specs: any[] = init.state === 'done' ? (pod.spec?.containers ?? []) : init.state === 'next' ? [init.spec] : [];
  const wakes: number[] = [];
  for (const spec of specs) {
    const all = instancesOf(obs, spec.name);
    // Containers from before the current sandbox were killed with it; only the newest two are kept (for lastState and logs --previous).
    for (const old of all.slice(2)) if (old.state !== 'running') actions.push({ type: 'removeContainer', container: old });
    const latest = all[0];
    if (!latest) {
      if (!ctx.blocked.has(spec.name)) actions.push({ type: 'startContainer', name: spec.name, attempt: 0 });
      continue;
    }
    if (latest.state === 'running' || latest.state === 'unknown') {
      if (ctx.livenessFailed.has(latest.id)) {
        actions.push({ type: 'killContainer', container: latest, graceSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30, reason: 'Unhealthy' });
      }
      continue;
    }
    if (latest.state === 'created') {
      // Created but never started (a start that failed, or a kubelet that died in between): start over.
      actions.push({ type: 'removeContainer', container: latest });
      if (!ctx.blocked.has(spec.name)) actions.push({ type: 'startContainer', name: spec.name, attempt: latest.attempt });
      continue;
    }
    // Exited. A container that exited before the current sandbox started restarts at once;
    // an init container that failed restarts unless restartPolicy is Never (then the pod has failed).
    const isInit = init.state === 'next';
    const policyAt = isInit ? (pod.spec?.restartPolicy === 'Never' ? undefined : restartAtAlways(latest)) : restartAt(pod, latest);
    const at = policyAt !== undefined && ms(latest.finishedAt) < sandboxStart ? ctx.now : policyAt;
    if (at === undefined || ctx.blocked.has(spec.name)) continue;
    if (at <= ctx.now) actions.push({ type: 'startContainer', name: spec.name, attempt: latest.attempt + 1 });
    else wakes.push(at);
  }
  // Containers no longer in the spec (a kubelet that adopted an older pod's containers).
  const names = new Set([...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((s: any) => s.name));
  for (const c of obs.containers) {
    if (c.role !== 'app' || names.has(c.name)) continue;
    if (c.state === 'running') actions.push({ type: 'killContainer', container: c, graceSeconds: 0, reason: 'NotInSpec' });
    actions.push({ type: 'removeContainer', container: c });
  }
  if (wakes.length) actions.push({ type: 'wakeAt', at: Math.min(...wakes) });
  return actions;
}

// ---------------------------------------------------------------- status

export interface StatusContext {
  now: number;
  hostIP: string;
  blocked: Map<string, WaitingReason>;
  /** Readiness probe results by container ID (absent: not yet known = not ready). */
  readiness: Map<string, boolean>;
  /** Startup probe results by container ID (absent: not yet succeeded). */
  startup: Map<string, boolean>;
}

/** RFC 3339 at second precision, as metav1.Time. */
export function rfc3339(at: number | string): string {
  const t = typeof at === 'string' ? Date.parse(at) : at;
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function terminatedReason(c: ObservedContainer): string {
  if (c.oomKilled) return 'OOMKilled';
  if (c.error) return 'ContainerCannotRun';
  return c.exitCode === 0 ? 'Completed' : 'Error';
}

function terminatedState(c: ObservedContainer): any {
  const t: any = { exitCode: c.exitCode ?? 0, reason: terminatedReason(c) };
  if (c.error) t.message = c.error;
  t.startedAt = c.startedAt && !c.startedAt.startsWith('0001') ? rfc3339(c.startedAt) : null;
  t.finishedAt = c.finishedAt && !c.finishedAt.startsWith('0001') ? rfc3339(c.finishedAt) : null;
  t.containerID = `docker://${c.id}`;
  return t;
}

function containerReady(spec: any, c: ObservedContainer | undefined, ctx: StatusContext): { ready: boolean; started: boolean } {
  if (!c || c.state !== 'running') return { ready: false, started: false };
  const started = spec.startupProbe ? ctx.startup.get(c.id) === true : true;
  const ready = started && (spec.readinessProbe ? ctx.readiness.get(c.id) === true : true);
  return { ready, started };
}

export function containerStatus(pod: KubeObject, spec: any, obs: PodObservation, ctx: StatusContext): any {
  const [latest, previous] = instancesOf(obs, spec.name);
  const { ready, started } = containerReady(spec, latest, ctx);
  const blocked = ctx.blocked.get(spec.name);
  let state: any;
  let lastState: any = {};
  if (latest?.state === 'running') {
    state = { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } };
    if (previous && previous.state === 'exited') lastState = { terminated: terminatedState(previous) };
  } else if (latest?.state === 'exited') {
    const at = restartAt(pod, latest);
    if (blocked) {
      state = { waiting: blocked };
      lastState = { terminated: terminatedState(latest) };
    } else if (at !== undefined && at > ctx.now) {
      const delay = restartDelaySeconds(latest.attempt);
      const m = pod.metadata;
      state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delay < 60 ? `${delay}s` : `${Math.floor(delay / 60)}m${delay % 60 ? `${delay % 60}s` : '0s'}`} restarting failed container=${spec.name} pod=${m.name}_${m.namespace}(${m.uid})` } };
      lastState = { terminated: terminatedState(latest) };
    } else state = { terminated: terminatedState(latest) };
  } else {
    state = { waiting: blocked ?? { reason: 'ContainerCreating' } };
    if (latest && previous?.state === 'exited') lastState = { terminated: terminatedState(previous) };
  }
  const s: any = {
    name: spec.name,
    state,
    lastState,
    ready,
    restartCount: latest?.attempt ?? 0,
    image: latest?.image ?? spec.image,
    imageID: latest?.imageId ? `docker://${latest.imageId}` : '',
  };
  if (latest) s.containerID = `docker://${latest.id}`;
  s.started = started;
  return s;
}

/** An init container's status: as an app container's, except that one that succeeded stays terminated (Completed). */
function initContainerStatus(pod: KubeObject, spec: any, obs: PodObservation, ctx: StatusContext): any {
  const policy = pod.spec?.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
  const s = containerStatus({ ...pod, spec: { ...pod.spec, restartPolicy: policy } }, spec, obs, ctx);
  s.ready = s.state.terminated?.exitCode === 0;
  s.started = !!s.state.running;
  return s;
}

/** kubelet's getPhase. */
export function podPhase(pod: KubeObject, statuses: any[]): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (policy === 'OnFailure') return stopped === succeeded ? 'Succeeded' : 'Running';
    return stopped === succeeded ? 'Succeeded' : 'Failed';
  }
  return 'Pending';
}

function condition(old: any[], type: string, status: boolean, now: number, reason?: string, message?: string): any {
  const value = status ? 'True' : 'False';
  const prev = old.find((c) => c.type === type);
  const c: any = { type, status: value, lastProbeTime: null, lastTransitionTime: prev?.status === value ? prev.lastTransitionTime : rfc3339(now) };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** The pod's status as the kubelet reports it (PUT pods/NAME/status). */
export function podStatus(pod: KubeObject, obs: PodObservation, ctx: StatusContext): any {
  const old = pod.status ?? {};
  const oldConds: any[] = old.conditions ?? [];
  const specs: any[] = pod.spec?.containers ?? [];
  const initSpecs: any[] = pod.spec?.initContainers ?? [];
  const init = initProgress(pod, obs);
  const statuses = specs.map((s) => containerStatus(pod, s, obs, ctx));
  const initStatuses = initSpecs.map((s) => initContainerStatus(pod, s, obs, ctx));
  const phase = init.state === 'failed' ? 'Failed' : init.state === 'next' ? 'Pending' : podPhase(pod, statuses);
  const sandbox = sandboxesOf(obs)[0];
  const networkReady = sandbox?.state === 'running' && !!obs.podIP;
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const allReady = unready.length === 0 && !terminal;
  const notReady = terminal ? ['PodCompleted', undefined] : ['ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`];
  const conditions = [
    condition(oldConds, 'PodReadyToStartContainers', networkReady, ctx.now),
    init.state === 'done'
      ? condition(oldConds, 'Initialized', true, ctx.now)
      : condition(oldConds, 'Initialized', false, ctx.now, 'ContainersNotInitialized', `containers with incomplete status: [${initSpecs.filter((_s, i) => !initStatuses[i].state.terminated || initStatuses[i].state.terminated.exitCode !== 0).map((s) => s.name).join(' ')}]`),
    condition(oldConds, 'Ready', allReady, ctx.now, ...(allReady ? [] : notReady)),
    condition(oldConds, 'ContainersReady', allReady, ctx.now, ...(allReady ? [] : notReady)),
  ];
  const scheduled = oldConds.find((c) => c.type === 'PodScheduled');
  if (scheduled) conditions.push(scheduled);
  const status: any = { phase, conditions, hostIP: ctx.hostIP, hostIPs: [{ ip: ctx.hostIP }] };
  if (networkReady) {
    status.podIP = obs.podIP;
    status.podIPs = [{ ip: obs.podIP }];
  } else if (terminal && old.podIP) {
    // As Kubernetes: a finished pod keeps reporting the IP it had.
    status.podIP = old.podIP;
    status.podIPs = old.podIPs;
  }
  status.startTime = old.startTime ?? rfc3339(ctx.now);
  if (initSpecs.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  if (old.qosClass) status.qosClass = old.qosClass;
  return status;
}

// ---------------------------------------------------------------- probes

export interface ProbeState {
  /** The published result (what readiness/liveness decisions use). */
  result: boolean;
  /** The last raw outcome and how many times in a row it came. */
  last?: boolean;
  run: number;
}

/**
 * One probe outcome folded into the state, as kubelet's prober worker: the
 * published result flips only after successThreshold successes or
 * failureThreshold failures in a row.
 */
export function nextProbeState(prev: ProbeState, success: boolean, probe: any): ProbeState {
  const run = prev.last === success ? prev.run + 1 : 1;
  const threshold = success ? (probe.successThreshold ?? 1) : (probe.failureThreshold ?? 3);
  return { result: run >= threshold ? success : prev.result, last: success, run };
}

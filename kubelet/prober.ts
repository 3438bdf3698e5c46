// Probes, as the kubelet's prober: one worker per (container, probe kind)
// on the probe's period, run from the node's network namespace against the
// pod IP (httpGet, tcpSocket) or in the container (exec). Results go
// through desired.ts' nextProbeState; a changed result re-syncs the pod.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { KubeObject } from '../api/types.js';
import { nextProbeState, type ObservedContainer, type ProbeState } from './desired.js';
import type { DockerRuntime } from './runtime.js';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

export interface ProbeOutcome {
  success: boolean;
  message: string;
}

function resolvePort(port: unknown, spec: any): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return (spec.ports ?? []).find((p: any) => p.name === port)?.containerPort;
}

export function httpProbe(probe: any, podIP: string, spec: any): Promise<ProbeOutcome> {
  const g = probe.httpGet;
  const port = resolvePort(g.port, spec);
  if (!port) return Promise.resolve({ success: false, message: `unknown port ${g.port}` });
  const host = g.host || podIP;
  const scheme = String(g.scheme ?? 'HTTP').toLowerCase();
  const path = g.path || '/';
  const url = `${scheme}://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
  const timeout = (probe.timeoutSeconds ?? 1) * 1000;
  return new Promise((resolve) => {
    const mod = scheme === 'https' ? https : http;
    const req = mod.get(url, { headers, timeout, rejectUnauthorized: false, agent: false } as any, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 400) resolve({ success: true, message: '' });
      else resolve({ success: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
    req.on('error', (e: any) => resolve({ success: false, message: `Get "${url}": ${e.code === 'ECONNREFUSED' ? `dial tcp ${host}:${port}: connect: connection refused` : e.message}` }));
  });
}

export function tcpProbe(probe: any, podIP: string, spec: any): Promise<ProbeOutcome> {
  const port = resolvePort(probe.tcpSocket.port, spec);
  const host = probe.tcpSocket.host || podIP;
  if (!port) return Promise.resolve({ success: false, message: `unknown port ${probe.tcpSocket.port}` });
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: (probe.timeoutSeconds ?? 1) * 1000 });
    sock.on('connect', () => {
      sock.destroy();
      resolve({ success: true, message: '' });
    });
    sock.on('timeout', () => {
      sock.destroy();
      resolve({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    });
    sock.on('error', (e: any) => resolve({ success: false, message: `dial tcp ${host}:${port}: ${e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message}` }));
  });
}

export async function runProbe(probe: any, podIP: string | undefined, spec: any, containerId: string, runtime: DockerRuntime): Promise<ProbeOutcome> {
  try {
    if (probe.exec) {
      const r = await runtime.execOnce(containerId, probe.exec.command ?? [], (probe.timeoutSeconds ?? 1) * 1000);
      return { success: r.exitCode === 0, message: r.output.trim() || `command ${JSON.stringify((probe.exec.command ?? []).join(' '))} exited with ${r.exitCode}` };
    }
    if (!podIP) return { success: false, message: 'pod has no IP yet' };
    if (probe.httpGet) return await httpProbe(probe, podIP, spec);
    if (probe.tcpSocket) return await tcpProbe(probe, podIP, spec);
    return { success: false, message: 'unsupported probe handler (mk8s runs httpGet, tcpSocket and exec)' };
  } catch (e) {
    return { success: false, message: (e as Error).message };
  }
}

interface Worker {
  timer?: NodeJS.Timeout;
  state: ProbeState;
  stopped: boolean;
  podUid: string;
}

const initialResult: Record<ProbeKind, boolean> = { readiness: false, liveness: true, startup: false };
const probeTitle: Record<ProbeKind, string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };

export interface ProbeHooks {
  changed(podUid: string): void;
  event(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Probe workers for every running container with probes; results by container ID. */
export class ProbeManager {
  /** By `<container ID>/<kind>`. */
  private workers = new Map<string, Worker>();

  constructor(
    private readonly runtime: DockerRuntime,
    private readonly hooks: ProbeHooks,
  ) {}

  private result(id: string, kind: ProbeKind): boolean | undefined {
    return this.workers.get(`${id}/${kind}`)?.state.result;
  }

  /** Readiness and startup results of the pod's containers, and those to restart (liveness failed, or startup gave up). */
  results(containers: ObservedContainer[]): { readiness: Map<string, boolean>; startup: Map<string, boolean>; livenessFailed: Set<string> } {
    const readiness = new Map<string, boolean>();
    const startup = new Map<string, boolean>();
    const livenessFailed = new Set<string>();
    for (const c of containers) {
      const r = this.result(c.id, 'readiness');
      if (r !== undefined) readiness.set(c.id, r);
      const s = this.workers.get(`${c.id}/startup`);
      if (s) startup.set(c.id, s.state.result);
      if (this.result(c.id, 'liveness') === false) livenessFailed.add(c.id);
      if (s && !s.state.result && s.state.last === false && s.state.run >= this.failureThresholds.get(c.id)!) livenessFailed.add(c.id);
    }
    return { readiness, startup, livenessFailed };
  }

  private failureThresholds = new Map<string, number>();

  /** Make the pod's workers match its running containers (none when the pod is going). */
  sync(pod: KubeObject, containers: ObservedContainer[], podIP: string | undefined): void {
    const uid = pod.metadata.uid!;
    const want = new Set<string>();
    if (!pod.metadata.deletionTimestamp) {
      for (const c of containers) {
        if (c.role !== 'app' || c.state !== 'running') continue;
        const spec = (pod.spec?.containers ?? []).find((s: any) => s.name === c.name);
        if (!spec) continue;
        for (const kind of ['startup', 'readiness', 'liveness'] as ProbeKind[]) {
          const probe = spec[`${kind}Probe`];
          if (!probe) continue;
          const key = `${c.id}/${kind}`;
          want.add(key);
          if (!this.workers.has(key)) this.start(pod, spec, c, kind, probe, podIP);
        }
      }
    }
    for (const [key, w] of this.workers) if (w.podUid === uid && !want.has(key)) this.stopWorker(key, w);
  }

  /** Stop every worker of a pod (it is gone). */
  forgetPod(podUid: string): void {
    for (const [key, w] of this.workers) if (w.podUid === podUid) this.stopWorker(key, w);
  }

  private stopWorker(key: string, w: Worker) {
    w.stopped = true;
    clearTimeout(w.timer);
    this.workers.delete(key);
  }

  private start(pod: KubeObject, spec: any, c: ObservedContainer, kind: ProbeKind, probe: any, podIP: string | undefined): void {
    const uid = pod.metadata.uid!;
    const w: Worker = { state: { result: initialResult[kind], run: 0 }, stopped: false, podUid: uid };
    this.workers.set(`${c.id}/${kind}`, w);
    if (kind === 'startup') this.failureThresholds.set(c.id, probe.failureThreshold ?? 3);
    const startedAt = Date.parse(c.startedAt ?? c.createdAt) || Date.now();
    const firstAt = startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const tick = async () => {
      if (w.stopped) return;
      // As the kubelet: readiness and liveness wait until the startup probe has succeeded.
      if (kind !== 'startup' && this.workers.has(`${c.id}/startup`) && this.result(c.id, 'startup') !== true) {
        w.timer = setTimeout(tick, period);
        return;
      }
      const outcome = await runProbe(probe, podIP, spec, c.id, this.runtime);
      if (w.stopped) return;
      const before = w.state.result;
      w.state = nextProbeState(w.state, outcome.success, probe);
      if (!outcome.success) this.hooks.event(pod, 'Warning', 'Unhealthy', `${probeTitle[kind]} probe failed: ${outcome.message}`);
      const gaveUp = kind === 'startup' && !w.state.result && w.state.run >= (probe.failureThreshold ?? 3);
      if (before !== w.state.result || gaveUp) this.hooks.changed(uid);
      // Startup probes stop at their first success; a failed liveness (or startup) probe gets the container killed.
      if ((kind === 'startup' && w.state.result) || gaveUp || (kind === 'liveness' && !w.state.result)) return;
      w.timer = setTimeout(tick, period);
    };
    w.timer = setTimeout(tick, Math.max(0, firstAt - Date.now()));
  }

  stop(): void {
    for (const [key, w] of this.workers) this.stopWorker(key, w);
  }
}

// The kubelet's loop: informers (pods bound to this node, services for
// their environment) and Docker's events feed per-pod syncs; each sync
// observes the pod's containers, asks desired.ts what to do, does it
// through runtime.ts/cni.ts, and reports the status desired.ts computes.
// Besides: node registration and status, the node Lease, and the stream
// server (logs, exec, port-forward).
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/types.js';
import { isApiError } from '../api/status.js';
import { findByPlural } from '../api/resources.js';
import type { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import type { InformerView, SharedInformers } from '../client/shared-informers.js';
import { EventRecorder, type Recorder } from '../client/events.js';
import { podActions, podStatus, sandboxesOf, type ObservedContainer, type PodAction, type PodObservation, type WaitingReason } from './desired.js';
import { containerEnv, expandCommand } from './envvars.js';
import { DockerRuntime, podContext, podRef, type PodRef } from './runtime.js';
import { KubeletMetrics } from './metrics.js';
import { Cni } from './cni.js';
import { ProbeManager } from './prober.js';
import { ImagePuller, pullPolicyOf } from './images.js';
import { nodeLease, nodeObject, nodeStatus, type NodeFacts } from './node.js';
import { startStreamServer, type StreamServer } from './server.js';
import type { NodeTlsFiles } from '../api/node-auth.js';

const R = {
  pods: findByPlural('', 'pods')!,
  nodes: findByPlural('', 'nodes')!,
  services: findByPlural('', 'services')!,
  configmaps: findByPlural('', 'configmaps')!,
  leases: findByPlural('coordination.k8s.io', 'leases')!,
};

export interface KubeletOptions {
  nodeName: string;
  nodeIP: string;
  podCidr: string;
  client: Client;
  logger: Logger;
  /** Where pod files (resolv.conf, hosts, emptyDirs) and the IPAM store live. */
  rootDir: string;
  port?: number;
  /** The stream server's serving certificate and the CA of the clients it accepts (the apiserver's). */
  tls: NodeTlsFiles;
  controlPlane?: boolean;
  clusterDns?: string;
  clusterDomain?: string;
  cniBinDir?: string;
  statusIntervalMs?: number;
  leaseIntervalMs?: number;
  resyncIntervalMs?: number;
  maxParallelSyncs?: number;
  /** Never pull images (`mk8s kubelet --offline`): absent ones run their stand-in or fail. */
  offline?: boolean;
  /** A pull is cancelled after this long without progress (default 60 s). */
  imagePullProgressDeadlineMs?: number;
  /** The process's shared informers (`mk8s node`): the kubelet takes its pods and services informers from it. */
  informers?: SharedInformers;
}

export interface RunningKubelet {
  stop(): Promise<void>;
  server: StreamServer;
}

interface Blocked extends WaitingReason {
  retryAt: number;
  delayMs: number;
}

export class Kubelet {
  readonly runtime: DockerRuntime;
  readonly cni: Cni;
  readonly metrics = new KubeletMetrics();
  readonly pods: InformerView;
  private services: InformerView;
  private recorder: EventRecorder;
  private events: Recorder;
  private probes: ProbeManager;
  private log: Logger;
  /** Pods of this node by UID (the informer keys them by ns/name). */
  private byUid = new Map<string, KubeObject>();
  private workers = new Map<string, { again: boolean }>();
  private queue: string[] = [];
  private active = 0;
  private wakeTimers = new Map<string, NodeJS.Timeout>();
  private blocked = new Map<string, Map<string, Blocked>>();
  private lastStatus = new Map<string, string>();
  /** Pod IPs by sandbox ID, as CNI ADD returned them (the IPAM store is read only for sandboxes not in here). */
  private podIPs = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private eventStream: { destroy(): void } | undefined;
  private imageEventStream: { destroy(): void } | undefined;
  private facts!: NodeFacts;
  private nodeUid: string | undefined;
  private leaseAcquired: string | undefined;
  private images: ImagePuller;

  constructor(readonly o: KubeletOptions) {
    this.log = o.logger.child({ component: 'kubelet', node: o.nodeName });
    this.runtime = new DockerRuntime(o.nodeName);
    this.runtime.onOp = (op, uid) => this.metrics.dockerOp(op, uid);
    this.cni = new Cni({ podCidr: o.podCidr, ipamDir: join(o.rootDir, 'ipam'), binDir: o.cniBinDir });
    const podsOfNode = { fieldSelector: `spec.nodeName=${o.nodeName}` };
    this.pods = o.informers?.informer(R.pods, podsOfNode) ?? new Informer(o.client, R.pods, { ...podsOfNode, log: this.log });
    this.services = o.informers?.informer(R.services) ?? new Informer(o.client, R.services, { log: this.log });
    this.recorder = new EventRecorder(o.client, this.log);
    this.events = this.recorder.for('kubelet');
    this.images = new ImagePuller(this.runtime, { offline: o.offline, progressDeadlineMs: o.imagePullProgressDeadlineMs });
    this.probes = new ProbeManager(this.runtime, {
      changed: (uid) => this.schedule(uid),
      event: (pod, type, reason, message) => this.events.event(pod, type, reason, message),
    });
  }

  // ------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    await mkdir(join(this.o.rootDir, 'pods'), { recursive: true });
    this.facts = await this.nodeFacts();
    // The API server may not be up yet (both start together): keep trying, as the kubelet does.
    for (let delay = 200; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.registerNode();
        break;
      } catch (e) {
        if (this.stopped) return;
        this.log.warn({ err: (e as Error).message }, 'node registration failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    await this.renewLease();
    this.pods.on({
      add: (p) => this.onPod(p),
      update: (p, old) => {
        this.byUid.set(p.metadata.uid!, p);
        // Our own status writes come back as updates: only spec and deletion matter.
        if (p.metadata.deletionTimestamp !== old.metadata.deletionTimestamp || JSON.stringify(p.spec) !== JSON.stringify(old.spec)) this.schedule(p.metadata.uid!);
      },
      delete: (p) => {
        this.byUid.delete(p.metadata.uid!);
        this.schedule(p.metadata.uid!);
      },
    });
    await Promise.all([this.pods.start(), this.services.start()]);
    // Adopt what we find: running pods keep running; containers of pods gone from the API are orphans.
    await this.resyncAll().catch((e) => this.log.warn({ err: (e as Error).message }, 'first sync failed (is Docker up?)'));
    void this.watchDocker();
    void this.watchImages();
    this.timers.push(setInterval(() => void this.resyncAll().catch((e) => this.log.warn({ err: e.message }, 'resync failed')), this.o.resyncIntervalMs ?? 10_000));
    this.timers.push(setInterval(() => void this.updateNodeStatus(), this.o.statusIntervalMs ?? 10_000));
    this.timers.push(setInterval(() => void this.renewLease(), this.o.leaseIntervalMs ?? 10_000));
    this.log.info({ podCidr: this.o.podCidr, ip: this.o.nodeIP }, 'kubelet started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const t of this.wakeTimers.values()) clearTimeout(t);
    this.eventStream?.destroy();
    this.imageEventStream?.destroy();
    this.probes.stop();
    await Promise.all([this.pods.stop(), this.services.stop()]);
    await this.recorder.stop();
  }

  private onPod(p: KubeObject) {
    this.byUid.set(p.metadata.uid!, p);
    this.metrics.podSeen(p.metadata.uid!, p.metadata.namespace!, p.metadata.name!, Date.now());
    this.schedule(p.metadata.uid!);
  }

  private async resyncAll(): Promise<void> {
    const observed = await this.runtime.listPods();
    for (const uid of new Set([...this.byUid.keys(), ...observed.keys()])) this.schedule(uid);
  }

  private async watchDocker(): Promise<void> {
    while (!this.stopped) {
      try {
        const stream = await this.runtime.events();
        this.eventStream = stream;
        let buf = '';
        await new Promise<void>((resolve) => {
          stream.on('data', (d: Buffer) => {
            buf += d.toString();
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              try {
                const ev = JSON.parse(line);
                const uid = ev.Actor?.Attributes?.['io.mk8s.pod-uid'];
                // The echo of the kubelet's own start or remove changes nothing its sync does not know.
                if (uid && !this.runtime.isOwnEcho(ev.Actor?.ID ?? ev.id, ev.Action ?? ev.status)) this.schedule(uid);
              } catch {
                /* partial line */
              }
            }
          });
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', resolve);
        });
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'docker events failed');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Docker's image events keep the kubelet's list of images current, so a pod start does not list them again. */
  private async watchImages(): Promise<void> {
    while (!this.stopped) {
      try {
        const stream = await this.runtime.imageEvents();
        this.imageEventStream = stream;
        // Whatever changed while the stream was down is not known: list again at the next look.
        this.images.invalidate();
        this.images.watching(true);
        await new Promise<void>((resolve) => {
          stream.on('data', () => this.images.invalidate());
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', resolve);
        });
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'docker image events failed');
      }
      this.images.watching(false);
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // ------------------------------------------------------------ pod workers

  /** Sync a pod soon; syncs of one pod never overlap, and at most a few run at once. */
  schedule(uid: string): void {
    if (this.stopped) return;
    const w = this.workers.get(uid);
    if (w) {
      w.again = true;
      return;
    }
    this.workers.set(uid, { again: true });
    this.queue.push(uid);
    this.pump();
  }

  private pump(): void {
    const max = this.o.maxParallelSyncs ?? 16;
    while (this.active < max && this.queue.length) {
      const uid = this.queue.shift()!;
      this.active++;
      void this.runWorker(uid).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async runWorker(uid: string): Promise<void> {
    const w = this.workers.get(uid)!;
    while (w.again && !this.stopped) {
      w.again = false;
      try {
        await podContext.run(uid, () => this.syncPod(uid));
      } catch (e) {
        const pod = this.byUid.get(uid);
        this.log.warn({ pod: pod ? `${pod.metadata.namespace}/${pod.metadata.name}` : uid, err: (e as Error).message }, 'pod sync failed');
        this.wakeAt(uid, Date.now() + 2000);
      }
    }
    this.workers.delete(uid);
  }

  private wakeAt(uid: string, at: number): void {
    clearTimeout(this.wakeTimers.get(uid));
    this.wakeTimers.set(
      uid,
      setTimeout(() => {
        this.wakeTimers.delete(uid);
        this.schedule(uid);
      }, Math.max(0, at - Date.now()) + 20),
    );
  }

  private async observe(uid: string): Promise<{ obs: PodObservation; ref?: PodRef }> {
    const found = (await this.runtime.listPods(uid)).get(uid);
    const containers = found?.containers ?? [];
    const sandbox = sandboxesOf({ containers })[0];
    let podIP: string | undefined;
    if (sandbox?.state === 'running') {
      podIP = this.podIPs.get(sandbox.id);
      if (!podIP) {
        // A sandbox from before this kubelet started (or one whose network is not set up): the IPAM store knows.
        podIP = (await this.cni.leases()).get(sandbox.id);
        if (podIP) this.podIPs.set(sandbox.id, podIP);
      }
    }
    return { obs: { containers, podIP }, ref: found?.ref };
  }

  private blockedFor(uid: string, now: number): Map<string, WaitingReason> {
    const out = new Map<string, WaitingReason>();
    for (const [name, b] of this.blocked.get(uid) ?? []) if (b.retryAt > now) out.set(name, { reason: b.reason, message: b.message });
    return out;
  }

  /** Blocked reasons to show, retry due or not (a retry in progress still shows the last reason). */
  private shownBlocked(uid: string): Map<string, WaitingReason> {
    const out = new Map<string, WaitingReason>();
    for (const [name, b] of this.blocked.get(uid) ?? []) out.set(name, { reason: b.reason, message: b.message });
    return out;
  }

  async syncPod(uid: string): Promise<void> {
    let known: PodObservation | undefined;
    for (let round = 0; round < 8 && !this.stopped; round++) {
      const pod = this.byUid.get(uid);
      const { obs, ref } = known ? { obs: known, ref: undefined } : await this.observe(uid);
      known = undefined;
      if (!pod && obs.containers.length === 0) {
        this.forget(uid);
        return;
      }
      const now = Date.now();
      const probeResults = this.probes.results(obs.containers);
      const actions = podActions(pod, obs, { now, blocked: this.blockedFor(uid, now), livenessFailed: probeResults.livenessFailed });
      const effective = actions.filter((a) => a.type !== 'wakeAt');
      if (pod && !pod.metadata.deletionTimestamp) this.probes.sync(pod, obs.containers, obs.podIP);
      if (effective.length === 0) {
        // One timer per pod, for the earliest of its back-offs (crash restarts, image retries).
        const wakes = [...actions.flatMap((a) => (a.type === 'wakeAt' ? [a.at] : [])), ...[...(this.blocked.get(uid)?.values() ?? [])].map((b) => b.retryAt)].filter(Number.isFinite);
        if (wakes.length) this.wakeAt(uid, Math.min(...wakes));
        if (pod && !pod.metadata.deletionTimestamp) {
          await this.writeStatus(pod, obs, { ...probeResults, blocked: this.shownBlocked(uid) });
        }
        return;
      }
      const made = await this.apply(uid, pod, ref ?? (pod ? podRef(pod) : undefined), obs, effective);
      // Only containers added (a new sandbox, started containers): what Docker would show next is known, no need to list.
      if (effective.every((a) => a.type === 'startContainer' || (a.type === 'createSandbox' && obs.containers.length === 0))) {
        known = { containers: [...obs.containers, ...made.added], podIP: made.ip ?? obs.podIP };
      }
      if (effective.some((a) => a.type === 'deletePod')) {
        this.forget(uid);
        return;
      }
    }
  }

  private forget(uid: string) {
    this.metrics.podGone(uid);
    this.probes.forgetPod(uid);
    this.images.forgetPod(uid);
    this.blocked.delete(uid);
    this.lastStatus.delete(uid);
    clearTimeout(this.wakeTimers.get(uid));
    this.wakeTimers.delete(uid);
  }

  private podDir(uid: string): string {
    return join(this.o.rootDir, 'pods', uid);
  }

  /** Carries the actions out; returns the containers it created and started (as Docker shows them), and a new sandbox's IP. */
  private async apply(uid: string, pod: KubeObject | undefined, ref: PodRef | undefined, obs: PodObservation, actions: PodAction[]): Promise<{ added: ObservedContainer[]; ip?: string }> {
    const made: { added: ObservedContainer[]; ip?: string } = { added: [] };
    const name = pod ? `${pod.metadata.namespace}/${pod.metadata.name}` : ref ? `${ref.namespace}/${ref.name}` : uid;
    // Stops run together (each may wait out its grace period); the rest in order.
    const kills = actions.filter((a) => a.type === 'killContainer');
    await Promise.all(
      kills.map(async (a) => {
        if (a.type !== 'killContainer') return;
        if (pod && (a.reason === 'Killing' || a.reason === 'Unhealthy')) {
          const why = a.reason === 'Unhealthy' ? `Container ${a.container.name} failed liveness probe, will be restarted` : `Stopping container ${a.container.name}`;
          this.events.event(pod, 'Normal', 'Killing', why);
        }
        this.log.info({ pod: name, container: a.container.name, grace: a.graceSeconds, reason: a.reason }, 'stopping container');
        await this.runtime.stop(a.container.id, a.graceSeconds);
      }),
    );
    for (const a of actions) {
      switch (a.type) {
        case 'killContainer':
          break;
        case 'createSandbox':
        {
          const { sandbox, ip } = await this.createSandbox(pod!, a.attempt);
          made.added.push(sandbox);
          made.ip = ip;
          break;
        }
        case 'setupNetwork': {
          const ip = await this.setupNetwork(pod!, a.sandbox);
          this.log.info({ pod: name, ip }, 'pod network set up');
          break;
        }
        case 'startContainer': {
          const c = await this.startContainer(pod!, a.name, a.attempt, obs);
          if (c) made.added.push(c);
          break;
        }
        case 'removeContainer':
          await this.runtime.remove(a.container.id);
          break;
        case 'teardownSandbox':
          await this.teardownSandbox(ref!, a.sandbox);
          this.log.info({ pod: name, sandbox: a.sandbox.id.slice(0, 12) }, 'sandbox removed');
          break;
        case 'deletePod':
          await rm(this.podDir(uid), { recursive: true, force: true });
          try {
            await this.o.client.delete(R.pods, pod!.metadata.namespace, pod!.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid } });
          } catch (e) {
            if (!isApiError(e) || (e.code !== 404 && e.code !== 409)) throw e;
          }
          this.log.info({ pod: name }, 'pod deleted');
          break;
        case 'wakeAt':
          break;
      }
    }
    return made;
  }

  // ------------------------------------------------------------ actions

  private async createSandbox(pod: KubeObject, attempt: number): Promise<{ sandbox: ObservedContainer; ip: string }> {
    const ref = podRef(pod);
    const dir = this.podDir(ref.uid);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'resolv.conf'), this.resolvConf(pod));
    await writeFile(join(dir, 'etc-hosts'), this.hostsFile(pod, undefined));
    let sandbox: ObservedContainer;
    try {
      sandbox = await this.runtime.createSandbox(ref, { hostname: pod.spec?.hostname ?? pod.metadata.name!, attempt });
    } catch (e) {
      this.events.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      throw e;
    }
    const ip = await this.setupNetwork(pod, sandbox);
    this.log.info({ pod: `${ref.namespace}/${ref.name}`, ip, sandbox: sandbox.id.slice(0, 12) }, 'sandbox started');
    return { sandbox, ip };
  }

  private async setupNetwork(pod: KubeObject, sandbox: ObservedContainer): Promise<string> {
    const ref = podRef(pod);
    const pid = sandbox.pid ?? (await this.runtime.pid(sandbox.id));
    if (!pid) throw new Error(`sandbox ${sandbox.id.slice(0, 12)} is not running`);
    try {
      const ip = await this.cni.add({ containerId: sandbox.id, netns: `/proc/${pid}/ns/net`, podName: ref.name, podNamespace: ref.namespace });
      this.podIPs.set(sandbox.id, ip);
      await writeFile(join(this.podDir(ref.uid), 'etc-hosts'), this.hostsFile(pod, ip));
      return ip;
    } catch (e) {
      this.events.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: failed to set up sandbox container "${sandbox.id}" network for pod "${ref.name}": networkPlugin cni failed to set up pod "${ref.name}_${ref.namespace}" network: ${(e as Error).message}`);
      await this.cni.del({ containerId: sandbox.id, netns: `/proc/${pid}/ns/net`, podName: ref.name, podNamespace: ref.namespace }).catch(() => undefined);
      await this.runtime.remove(sandbox.id);
      throw e;
    }
  }

  private async teardownSandbox(ref: PodRef, s: ObservedContainer): Promise<void> {
    const pid = s.state === 'running' ? (s.pid ?? (await this.runtime.pid(s.id))) : undefined;
    // As StopPodSandbox: the network goes first (CNI DEL releases the IP), then the container.
    await this.cni.del({ containerId: s.id, netns: pid ? `/proc/${pid}/ns/net` : '', podName: ref.name, podNamespace: ref.namespace });
    this.podIPs.delete(s.id);
    await this.runtime.stop(s.id, 0);
    await this.runtime.remove(s.id);
  }

  private block(pod: KubeObject, container: string, reason: string, message: string, retryAt?: number): void {
    const uid = pod.metadata.uid!;
    let m = this.blocked.get(uid);
    if (!m) this.blocked.set(uid, (m = new Map()));
    const prev = m.get(container);
    const delayMs = prev ? Math.min(prev.delayMs * 2, 300_000) : 10_000;
    m.set(container, { reason, message, retryAt: retryAt ?? Date.now() + delayMs, delayMs });
  }

  private unblock(pod: KubeObject, container: string): void {
    this.blocked.get(pod.metadata.uid!)?.delete(container);
  }

  /** Starts one container; returns it as Docker shows it, or undefined when it can't start now (image, config). */
  private async startContainer(pod: KubeObject, name: string, attempt: number, obs: PodObservation): Promise<ObservedContainer | undefined> {
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c: any) => c.name === name);
    const sandbox = sandboxesOf(obs)[0];
    if (!spec || !sandbox) return;
    // The image first: present, pulled as the pull policy says, or a built-in stand-in when the pull fails.
    const image = await this.images.ensure(spec.image, pullPolicyOf(spec), pod.metadata.uid!, (e) => this.events.event(pod, e.type, e.reason, e.message));
    if (image.kind !== 'run') {
      if (image.kind === 'fail') this.block(pod, name, image.reason, image.message, image.retryAt);
      return;
    }
    let env: string[];
    try {
      env = containerEnv(pod, spec, { services: this.services.list(), podIP: obs.podIP, hostIP: this.o.nodeIP, configMaps: await this.configMapsFor(pod, spec) });
    } catch (e) {
      const msg = (e as Error).message;
      this.events.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      this.block(pod, name, 'CreateContainerConfigError', msg);
      return;
    }
    const dir = this.podDir(pod.metadata.uid!);
    const binds = [`${join(dir, 'etc-hosts')}:/etc/hosts`, `${join(dir, 'resolv.conf')}:/etc/resolv.conf`, ...(await this.volumeBinds(pod, spec))];
    try {
      const started = await this.runtime.startApp(
        podRef(pod),
        { spec, attempt, sandboxId: sandbox.id, image: image.image, env, command: expandCommand(spec.command, env), args: expandCommand(spec.args, env), binds },
        spec.image,
      );
      this.unblock(pod, name);
      if (attempt > 0) this.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: name, restartCount: attempt }, 'container restarted');
      this.events.event(pod, 'Normal', 'Created', `Created container: ${name}`);
      this.events.event(pod, 'Normal', 'Started', `Started container ${name}`);
      this.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: name, id: started.id.slice(0, 12), image: image.image }, 'container started');
      return started;
    } catch (e) {
      const msg = (e as Error).message.replace(/^\(HTTP code \d+\) [a-z ]+- /, '');
      this.events.event(pod, 'Warning', 'Failed', `Error: failed to start container "${name}": ${msg}`);
      throw e;
    }
  }

  private async configMapsFor(pod: KubeObject, spec: any): Promise<Map<string, KubeObject>> {
    const names = new Set<string>();
    for (const e of spec.env ?? []) if (e.valueFrom?.configMapKeyRef?.name) names.add(e.valueFrom.configMapKeyRef.name);
    for (const f of spec.envFrom ?? []) if (f.configMapRef?.name) names.add(f.configMapRef.name);
    const out = new Map<string, KubeObject>();
    for (const n of names) {
      try {
        out.set(`${pod.metadata.namespace}/${n}`, await this.o.client.get(R.configmaps, pod.metadata.namespace, n));
      } catch (e) {
        if (!isApiError(e) || e.code !== 404) throw e;
      }
    }
    return out;
  }

  /** emptyDir volumes as pod directories; configMap volumes as files written from the ConfigMap. */
  private async volumeBinds(pod: KubeObject, spec: any): Promise<string[]> {
    const binds: string[] = [];
    const volumes: any[] = pod.spec?.volumes ?? [];
    for (const m of spec.volumeMounts ?? []) {
      const v = volumes.find((x) => x.name === m.name);
      if (!v) continue;
      const dir = join(this.podDir(pod.metadata.uid!), 'volumes', v.name);
      await mkdir(dir, { recursive: true });
      if (v.configMap) {
        try {
          const cm = await this.o.client.get(R.configmaps, pod.metadata.namespace, v.configMap.name);
          for (const [k, val] of Object.entries(cm.data ?? {})) await writeFile(join(dir, k), String(val));
        } catch (e) {
          if (!v.configMap.optional) throw e;
        }
      }
      binds.push(`${m.subPath ? join(dir, m.subPath) : dir}:${m.mountPath}${m.readOnly || v.configMap ? ':ro' : ''}`);
    }
    return binds;
  }

  resolvConf(pod: KubeObject): string {
    const ns = pod.metadata.namespace;
    const domain = this.o.clusterDomain ?? 'cluster.local';
    const dnsConfig = pod.spec?.dnsConfig ?? {};
    let servers = [this.o.clusterDns ?? '10.96.0.10'];
    let search = [`${ns}.svc.${domain}`, `svc.${domain}`, domain];
    let options = ['ndots:5'];
    if (pod.spec?.dnsPolicy === 'None') {
      servers = [];
      search = [];
      options = [];
    }
    servers = [...servers, ...(dnsConfig.nameservers ?? [])];
    search = [...search, ...(dnsConfig.searches ?? [])];
    options = [...options, ...(dnsConfig.options ?? []).map((o: any) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name))];
    const lines = [...servers.map((s) => `nameserver ${s}`)];
    if (search.length) lines.push(`search ${search.join(' ')}`);
    if (options.length) lines.push(`options ${options.join(' ')}`);
    return lines.join('\n') + '\n';
  }

  /** The kubelet-managed /etc/hosts (as kubelet's managedHostsFileContent). */
  hostsFile(pod: KubeObject, ip: string | undefined): string {
    const hostname = pod.spec?.hostname ?? pod.metadata.name;
    const lines = [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
    ];
    if (ip) {
      const sub = pod.spec?.subdomain;
      const domain = this.o.clusterDomain ?? 'cluster.local';
      lines.push(sub ? `${ip}\t${hostname}.${sub}.${pod.metadata.namespace}.svc.${domain}\t${hostname}` : `${ip}\t${hostname}`);
    }
    for (const a of pod.spec?.hostAliases ?? []) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
    return lines.join('\n') + '\n';
  }

  // ------------------------------------------------------------ status

  private async writeStatus(pod: KubeObject, obs: PodObservation, r: { readiness: Map<string, boolean>; startup: Map<string, boolean>; blocked: Map<string, WaitingReason> }): Promise<void> {
    const status = podStatus(pod, obs, { now: Date.now(), hostIP: this.o.nodeIP, readiness: r.readiness, startup: r.startup, blocked: r.blocked });
    const uid = pod.metadata.uid!;
    const text = JSON.stringify(status);
    if (this.lastStatus.get(uid) === text || JSON.stringify(pod.status) === text) {
      this.lastStatus.set(uid, text);
      return;
    }
    const { resourceVersion: _rv, ...metadata } = pod.metadata;
    try {
      this.metrics.statusWrites++;
      await this.o.client.update(R.pods, { ...pod, metadata, status }, 'status');
      this.lastStatus.set(uid, text);
      if (status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True')) this.metrics.podReady(uid, Date.now());
      const prevPhase = pod.status?.phase;
      if (prevPhase !== status.phase) this.log.info({ pod: `${pod.metadata.namespace}/${pod.metadata.name}`, phase: status.phase, podIP: status.podIP }, 'pod status');
    } catch (e) {
      if (isApiError(e) && (e.code === 404 || e.code === 409)) return;
      throw e;
    }
  }

  // ------------------------------------------------------------ node

  private async nodeFacts(): Promise<NodeFacts> {
    const read = async (f: string) => (await readFile(f, 'utf8').catch(() => '')).trim();
    const osRelease = await read('/etc/os-release');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux';
    const machine = (await read('/etc/machine-id')) || os.hostname();
    let runtimeVersion = 'unknown';
    try {
      runtimeVersion = await this.runtime.version();
    } catch {
      /* reported as NotReady */
    }
    return {
      name: this.o.nodeName,
      ip: this.o.nodeIP,
      podCidr: this.o.podCidr,
      controlPlane: !!this.o.controlPlane,
      kubeletPort: this.o.port ?? 10250,
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
      maxPods: 110,
      osImage: pretty,
      kernelVersion: os.release(),
      architecture: process.arch,
      runtimeVersion,
      // One machine, several nodes: each gets its own stable ID.
      machineID: createHash('md5').update(`${machine}/${this.o.nodeName}`).digest('hex'),
      bootID: await read('/proc/sys/kernel/random/boot_id'),
    };
  }

  private async health(): Promise<{ runtimeUp: boolean; networkReady: boolean }> {
    let runtimeUp = true;
    try {
      await this.runtime.ping();
    } catch {
      runtimeUp = false;
    }
    return { runtimeUp, networkReady: existsSync(join(this.cni.binDir, 'bridge')) };
  }

  private async registerNode(): Promise<void> {
    const desired = nodeObject(this.facts);
    const status = nodeStatus(this.facts, await this.health(), undefined, Date.now());
    try {
      const existing = await this.o.client.get(R.nodes, undefined, this.o.nodeName);
      const updated = await this.o.client.patch(R.nodes, undefined, this.o.nodeName, { metadata: { labels: desired.metadata.labels }, spec: desired.spec });
      this.nodeUid = updated.metadata.uid;
      await this.o.client.patch(R.nodes, undefined, this.o.nodeName, { status: nodeStatus(this.facts, await this.health(), existing.status, Date.now()) }, 'application/merge-patch+json', 'status');
      this.log.info('node already registered; updated');
    } catch (e) {
      if (!isApiError(e) || e.code !== 404) throw e;
      const created = await this.o.client.create(R.nodes, undefined, { ...desired, status });
      this.nodeUid = created.metadata.uid;
      this.events.event({ ...created, kind: 'Node', apiVersion: 'v1', metadata: { ...created.metadata, namespace: undefined } }, 'Normal', 'RegisteredNode', `Node ${this.o.nodeName} event: Registered Node ${this.o.nodeName}`);
      this.log.info('node registered');
    }
  }

  private async updateNodeStatus(): Promise<void> {
    try {
      const node = await this.o.client.get(R.nodes, undefined, this.o.nodeName);
      const status = nodeStatus(this.facts, await this.health(), node.status, Date.now());
      await this.o.client.patch(R.nodes, undefined, this.o.nodeName, { status }, 'application/merge-patch+json', 'status');
    } catch (e) {
      if (isApiError(e) && e.code === 404) {
        await this.registerNode().catch((err) => this.log.warn({ err: err.message }, 'node registration failed'));
        return;
      }
      this.log.warn({ err: (e as Error).message }, 'node status update failed');
    }
  }

  private async renewLease(): Promise<void> {
    try {
      const now = Date.now();
      if (!this.leaseAcquired) {
        try {
          const l = await this.o.client.get(R.leases, 'kube-node-lease', this.o.nodeName);
          this.leaseAcquired = l.spec?.acquireTime;
        } catch {
          /* new lease */
        }
        this.leaseAcquired ??= nodeLease(this.o.nodeName, undefined, now).spec.renewTime;
      }
      await this.o.client.update(R.leases, nodeLease(this.o.nodeName, this.nodeUid, now, this.leaseAcquired));
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'lease renewal failed');
    }
  }

  /** A pod of this node and the instances of one of its containers, newest first (for the stream server). */
  async findContainer(namespace: string, name: string, container?: string): Promise<{ pod: KubeObject; container: string; instances: ObservedContainer[] } | { error: string; code: number }> {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return { error: `pods "${name}" not found`, code: 404 };
    const specs: any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    const cname = container || specs[0]?.name;
    if (!specs.some((s) => s.name === cname)) return { error: `container ${cname} is not valid for pod ${name}`, code: 400 };
    const found = (await this.runtime.listPods(pod.metadata.uid)).get(pod.metadata.uid!);
    const instances = (found?.containers ?? []).filter((c) => c.role === 'app' && c.name === cname).sort((a, b) => b.attempt - a.attempt);
    return { pod, container: cname, instances };
  }

  /** The pod's IP (its running sandbox's lease), for port-forward. */
  async podIP(uid: string): Promise<string | undefined> {
    return (await this.observe(uid)).obs.podIP;
  }
}

export async function startKubelet(o: KubeletOptions): Promise<RunningKubelet> {
  const k = new Kubelet(o);
  // The stream server first: once the node reports in, logs and exec work.
  const server = await startStreamServer(k, { host: o.nodeIP, port: o.port ?? 10250, logger: o.logger, tls: o.tls });
  await k.start();
  return {
    server,
    async stop() {
      await server.close();
      await k.stop();
    },
  };
}

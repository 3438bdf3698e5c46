// The kubelet's Docker edge (dockerode): pause and app containers with the
// io.mk8s.* labels that let a restarted kubelet find what it owns, and the
// reads that turn them back into ObservedContainers. No decisions here.
import Docker from 'dockerode';
import { AsyncLocalStorage } from 'node:async_hooks';
import { PassThrough, type Readable } from 'node:stream';
import type { KubeObject } from '../api/types.js';
import type { ObservedContainer, RunState } from './desired.js';

export const LABEL = {
  uid: 'io.mk8s.pod-uid',
  pod: 'io.mk8s.pod-name',
  namespace: 'io.mk8s.pod-namespace',
  node: 'io.mk8s.node',
  container: 'io.mk8s.container-name',
  role: 'io.mk8s.role',
  attempt: 'io.mk8s.attempt',
  /** The image the pod asked for (the container may run a stand-in). */
  requestedImage: 'io.mk8s.requested-image',
} as const;

export const PAUSE_IMAGE = 'mk8s/pause:1.0';

/** The pod UID whose sync is running: each Docker operation counts for it (see DockerRuntime's `onOp`). */
export const podContext = new AsyncLocalStorage<string>();

export interface PodRef {
  uid: string;
  name: string;
  namespace: string;
}

export interface ObservedPod {
  ref: PodRef;
  containers: ObservedContainer[];
}

export interface SandboxOptions {
  hostname: string;
  /** Files the pod's containers mount: resolv.conf and hosts, written by the kubelet. */
  attempt: number;
}

export interface AppContainerOptions {
  spec: any;
  attempt: number;
  sandboxId: string;
  image: string;
  env: string[];
  command?: string[];
  args?: string[];
  binds: string[];
}

/** Docker's container name for a pod's container, after kubelet's `k8s_<container>_<pod>_<ns>_<uid>_<attempt>`. */
export function containerName(pod: PodRef, container: string, attempt: number): string {
  return `mk8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}

function runState(s: string | undefined): RunState {
  if (s === 'running' || s === 'paused' || s === 'restarting') return 'running';
  if (s === 'exited' || s === 'dead') return 'exited';
  if (s === 'created') return 'created';
  return 'unknown';
}

export class DockerRuntime {
  readonly docker: Docker;
  /**
   * Inspections that stay true while Docker lists the container in the same
   * state, by ID: an exited container can no longer change, and a running
   * one keeps its PID and start time until it exits (restart policy `no`).
   */
  private known = new Map<string, ObservedContainer>();
  /** Called for every Docker API operation, with the pod whose sync made it (podContext). */
  onOp: (op: string, podUid: string | undefined) => void = () => undefined;

  constructor(
    readonly node: string,
    docker?: Docker,
  ) {
    this.docker = docker ?? new Docker();
  }

  private op(name: string): void {
    this.onOp(name, podContext.getStore());
  }

  async version(): Promise<string> {
    this.op('version');
    return (await this.docker.version()).Version;
  }

  async ping(): Promise<void> {
    this.op('ping');
    await this.docker.ping();
  }

  podLabels(pod: PodRef, container: string, role: 'pause' | 'app', attempt: number, requestedImage: string): Record<string, string> {
    return {
      [LABEL.uid]: pod.uid,
      [LABEL.pod]: pod.name,
      [LABEL.namespace]: pod.namespace,
      [LABEL.node]: this.node,
      [LABEL.container]: container,
      [LABEL.role]: role,
      [LABEL.attempt]: String(attempt),
      [LABEL.requestedImage]: requestedImage,
    };
  }

  /** Every container this node's kubelet made, grouped by pod UID. */
  async listPods(podUid?: string): Promise<Map<string, ObservedPod>> {
    const labels = [`${LABEL.node}=${this.node}`];
    if (podUid) labels.push(`${LABEL.uid}=${podUid}`);
    this.op('list_containers');
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    const out = new Map<string, ObservedPod>();
    const seen = new Set<string>();
    await Promise.all(
      list.map(async (info) => {
        const l = info.Labels ?? {};
        const uid = l[LABEL.uid];
        if (!uid) return;
        seen.add(info.Id);
        const observed = await this.observe(info.Id, runState(info.State));
        if (!observed) return;
        let pod = out.get(uid);
        if (!pod) out.set(uid, (pod = { ref: { uid, name: l[LABEL.pod], namespace: l[LABEL.namespace] }, containers: [] }));
        pod.containers.push(observed);
      }),
    );
    if (!podUid) for (const id of this.known.keys()) if (!seen.has(id)) this.known.delete(id);
    return out;
  }

  private async observe(id: string, listed: RunState): Promise<ObservedContainer | undefined> {
    const cached = this.known.get(id);
    if (cached && cached.state === listed && (listed === 'exited' || listed === 'running')) return cached;
    let i: Docker.ContainerInspectInfo;
    try {
      this.op('inspect_container');
      i = await this.docker.getContainer(id).inspect();
    } catch (e) {
      if ((e as any).statusCode === 404) return undefined;
      throw e;
    }
    return this.remember(i);
  }

  /** An inspection as an ObservedContainer, kept while it stays true (see `known`). */
  private remember(i: Docker.ContainerInspectInfo): ObservedContainer {
    const l = i.Config.Labels ?? {};
    const st = i.State;
    const state = runState(st.Status);
    const c: ObservedContainer = {
      id: i.Id,
      role: l[LABEL.role] === 'pause' ? 'pause' : 'app',
      name: l[LABEL.container] ?? '',
      attempt: Number(l[LABEL.attempt] ?? 0),
      state,
      createdAt: i.Created,
      image: i.Config.Image,
      imageId: i.Image,
    };
    if (st.StartedAt && !st.StartedAt.startsWith('0001')) c.startedAt = st.StartedAt;
    if (state === 'exited') {
      c.exitCode = st.ExitCode;
      c.finishedAt = st.FinishedAt;
      if (st.OOMKilled) c.oomKilled = true;
      if (st.Error) c.error = st.Error;
    }
    if (state === 'running' && st.Pid) c.pid = st.Pid;
    if (state === 'running' || state === 'exited') this.known.set(i.Id, c);
    else this.known.delete(i.Id);
    return c;
  }

  /** The tags (and repo@digest references) of the images on the machine. */
  async imageTags(): Promise<Set<string>> {
    this.op('list_images');
    const images = await this.docker.listImages();
    return new Set(images.flatMap((i) => [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])]).filter((t) => t !== '<none>:<none>' && t !== '<none>@<none>'));
  }

  /** `docker pull`: resolves when Docker has the image; rejects with Docker's error, or once `signal` aborts (the request is closed, which cancels the pull). */
  async pullImage(ref: string, o: { signal: AbortSignal; progress: () => void }): Promise<void> {
    if (o.signal.aborted) throw new Error('aborted');
    this.op('pull_image');
    const stream = (await this.docker.pull(ref, { abortSignal: o.signal })) as Readable;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      let error: string | undefined;
      const onAbort = () => {
        stream.destroy();
        reject(new Error('aborted'));
      };
      o.signal.addEventListener('abort', onAbort, { once: true });
      const done = (e?: Error) => {
        o.signal.removeEventListener('abort', onAbort);
        if (e) reject(e);
        else if (error !== undefined) reject(new Error(error));
        else resolve();
      };
      stream.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          try {
            const m = JSON.parse(line);
            if (m.error) error = String(m.errorDetail?.message ?? m.error);
          } catch {
            /* not JSON: ignore */
          }
          o.progress();
        }
      });
      stream.on('end', () => done());
      stream.on('close', () => done());
      stream.on('error', (e) => done(e));
    });
  }

  /**
   * `docker create` under a name; a leftover of that name (a kubelet that
   * died between create and start) is removed first, only when Docker
   * says the name is taken, so the usual case costs one call.
   */
  private async create(opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      this.op('create_container');
      return await this.docker.createContainer(opts);
    } catch (e) {
      if ((e as any).statusCode !== 409 || !opts.name) throw e;
      await this.removeByName(opts.name);
      this.op('create_container');
      return await this.docker.createContainer(opts);
    }
  }

  /** Events the kubelet's own calls will cause (`start:<id>`, `destroy:<id>`), with when: their echo needs no sync. */
  private own = new Map<string, number>();

  private expect(action: 'start' | 'destroy', id: string): void {
    const now = Date.now();
    this.own.set(`${action}:${id}`, now);
    if (this.own.size > 256) for (const [k, at] of this.own) if (now - at > 60_000) this.own.delete(k);
  }

  /** Whether a container event is the echo of the kubelet's own start or remove (consumed: it matches once). */
  isOwnEcho(id: string, action: string): boolean {
    return this.own.delete(`${action}:${id}`);
  }

  /** The pause container: holds the pod's network namespace (set up by CNI), hostname = pod name. */
  async createSandbox(pod: PodRef, o: SandboxOptions): Promise<ObservedContainer> {
    const name = containerName(pod, 'POD', o.attempt);
    const c = await this.create({
      name,
      Image: PAUSE_IMAGE,
      Hostname: o.hostname.slice(0, 63),
      Labels: this.podLabels(pod, 'POD', 'pause', o.attempt, PAUSE_IMAGE),
      // A network namespace of its own (loopback only; CNI adds eth0) with no Docker network attached:
      // `NetworkDisabled`, not `NetworkMode: none`. Docker 20.10 (Debian 12's) attaches a `none` container
      // to its "none" network, and a burst of such containers exiting at once can deadlock dockerd's
      // libnetwork (moby/moby#46661, fixed in 20.10.27 and 23.0: getSvcRecords against
      // processEndpointDelete): every later stop hangs. Seen here deleting 100 pods on 3 nodes at once.
      // Without an endpoint there is no sbLeave, so that path is never taken.
      NetworkDisabled: true,
      HostConfig: { IpcMode: 'shareable', RestartPolicy: { Name: 'no' } },
    });
    this.expect('start', c.id);
    this.op('start_container');
    await c.start();
    // The PID (for CNI's netns path) and the start time; kept, so the next sync needs no inspection.
    this.op('inspect_container');
    return this.remember(await c.inspect());
  }

  /** An app container in the sandbox's namespaces; returns it as Docker shows it once started (the inspection is kept). */
  async startApp(pod: PodRef, o: AppContainerOptions, requestedImage: string): Promise<ObservedContainer> {
    const name = containerName(pod, o.spec.name, o.attempt);
    const opts: Docker.ContainerCreateOptions = {
      name,
      Image: o.image,
      Env: o.env,
      Labels: this.podLabels(pod, o.spec.name, 'app', o.attempt, requestedImage),
      Tty: !!o.spec.tty,
      OpenStdin: !!o.spec.stdin,
      StdinOnce: !!o.spec.stdinOnce,
      AttachStdin: false,
      HostConfig: {
        NetworkMode: `container:${o.sandboxId}`,
        IpcMode: `container:${o.sandboxId}`,
        Binds: o.binds,
        RestartPolicy: { Name: 'no' },
      },
    };
    // As Kubernetes: command replaces the image's ENTRYPOINT (and then its CMD is not used), args replace CMD.
    if (o.command?.length) {
      opts.Entrypoint = o.command;
      opts.Cmd = o.args ?? [];
    } else if (o.args?.length) opts.Cmd = o.args;
    if (o.spec.workingDir) opts.WorkingDir = o.spec.workingDir;
    // Ports are informational in a pod (Docker refuses to expose them in a shared network namespace anyway).
    const c = await this.create(opts);
    this.expect('start', c.id);
    this.op('start_container');
    await c.start();
    this.op('inspect_container');
    return this.remember(await c.inspect());
  }

  /** SIGTERM (the image's stop signal), SIGKILL after `graceSeconds`, as `docker stop -t`. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      this.op('stop_container');
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.floor(graceSeconds)) });
    } catch (e) {
      const code = (e as any).statusCode;
      if (code !== 304 && code !== 404) throw e;
    }
  }

  async remove(id: string): Promise<void> {
    this.expect('destroy', id);
    try {
      this.op('remove_container');
      await this.docker.getContainer(id).remove({ force: true });
    } catch (e) {
      if ((e as any).statusCode !== 404) throw e;
    }
    this.known.delete(id);
  }

  private async removeByName(name: string): Promise<void> {
    try {
      this.op('remove_container');
      await this.docker.getContainer(name).remove({ force: true });
    } catch (e) {
      if ((e as any).statusCode !== 404) throw e;
    }
  }

  async pid(id: string): Promise<number | undefined> {
    try {
      this.op('inspect_container');
      const i = await this.docker.getContainer(id).inspect();
      return i.State.Running ? i.State.Pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Run a command in a container to completion (exec probes): exit code and output, or a timeout. */
  async execOnce(id: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    this.op('exec');
    const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    this.docker.modem.demuxStream(stream, out, out);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error(`command timed out after ${timeoutMs}ms`));
      }, timeoutMs);
      stream.on('end', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? 1, output: Buffer.concat(chunks).toString('utf8') };
  }

  /** A container's log stream, demultiplexed into one text stream (as the kubelet's CRI log reader). */
  async logs(id: string, o: { follow: boolean; tail?: number; timestamps: boolean; since?: number }): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const info = await c.inspect();
    const raw = (await c.logs({
      follow: o.follow as true,
      stdout: true,
      stderr: true,
      timestamps: o.timestamps,
      ...(o.tail !== undefined && o.tail >= 0 ? { tail: o.tail } : {}),
      ...(o.since ? { since: o.since } : {}),
    })) as unknown as Readable | Buffer;
    const out = new PassThrough();
    if (Buffer.isBuffer(raw)) {
      out.end(info.Config.Tty ? raw : demuxBuffer(raw));
      return out;
    }
    if (info.Config.Tty) return raw.pipe(out);
    this.docker.modem.demuxStream(raw, out, out);
    raw.on('end', () => out.end());
    raw.on('close', () => out.end());
    out.on('close', () => (raw as any).destroy?.());
    return out;
  }

  /** Stream of Docker's image events that change which images are on the machine. */
  async imageEvents(): Promise<Readable> {
    this.op('events');
    return (await this.docker.getEvents({ filters: { type: ['image'], event: ['pull', 'tag', 'untag', 'delete', 'load', 'import'] } as any })) as unknown as Readable;
  }

  /** Stream of Docker's container events for this node's containers (die, start, oom, destroy). */
  async events(): Promise<Readable> {
    this.op('events');
    return (await this.docker.getEvents({
      filters: { type: ['container'], label: [`${LABEL.node}=${this.node}`], event: ['start', 'die', 'oom', 'destroy'] } as any,
    })) as unknown as Readable;
  }
}

/** Docker's multiplexed stream format (8-byte frame headers) in one buffer, payloads concatenated. */
export function demuxBuffer(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts);
}

export function podRef(pod: KubeObject): PodRef {
  return { uid: pod.metadata.uid!, name: pod.metadata.name!, namespace: pod.metadata.namespace! };
}

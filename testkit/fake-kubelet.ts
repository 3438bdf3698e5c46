// A stand-in kubelet for controller tests: registers a Node (Ready, with an
// InternalIP and a podCIDR), renews its Lease in kube-node-lease, watches the
// pods bound to it, starts them (phase Running, an IP from the podCIDR,
// Ready unless told otherwise) through pods/status, and finishes graceful
// deletions by deleting with gracePeriodSeconds=0, as a real kubelet does.
// stop() makes it go silent, like a dead node.
import type { KubeObject } from '../api/types.js';
import { objectKey } from '../api/types.js';
import { isApiError } from '../api/status.js';
import type { Client } from '../client/http.js';
import { Informer } from '../client/informer.js';
import { kinds } from '../controllers/kinds.js';

export interface FakeKubeletOptions {
  /** Node number N: podCIDR 10.244.N.0/24, InternalIP 172.18.0.(N+1). */
  index: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  /** Report the node Ready (default true). */
  ready?: boolean;
  /** Lease renewal period, ms (default 300). */
  leaseRenewMs?: number;
  /** Whether a started pod is Ready (default: yes). */
  podReady?: (pod: KubeObject) => boolean;
  /** Start pods at all (default true); false leaves them Pending without an IP. */
  startPods?: boolean;
  /** How long a pod takes to stop after a graceful delete, ms (default 0). */
  stopDelayMs?: number;
}

const microTime = (at = Date.now()) => new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const seconds = (at = Date.now()) => new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class FakeKubelet {
  private informer: Informer | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private nextHost = 2;
  private readonly ips = new Map<string, string>();
  private readonly readiness = new Map<string, boolean>();
  private readonly busy = new Set<string>();
  private stopped = false;
  private pending = new Set<Promise<unknown>>();
  /** Pod IP handed out per pod key, in order. */
  readonly started: string[] = [];

  private constructor(
    private readonly client: Client,
    readonly name: string,
    private readonly opts: FakeKubeletOptions,
  ) {}

  static async start(client: Client, name: string, opts: FakeKubeletOptions): Promise<FakeKubelet> {
    const k = new FakeKubelet(client, name, opts);
    await k.register();
    await k.run();
    return k;
  }

  get podCIDR(): string {
    return `10.244.${this.opts.index}.0/24`;
  }

  private async register(): Promise<void> {
    const now = seconds();
    const ready = this.opts.ready ?? true;
    const node = await this.client.create(kinds.nodes, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name, 'kubernetes.io/os': 'linux', ...(this.opts.labels ?? {}) } },
      spec: { podCIDR: this.podCIDR, podCIDRs: [this.podCIDR], ...(this.opts.taints ? { taints: this.opts.taints } : {}), ...(this.opts.unschedulable ? { unschedulable: true } : {}) },
      status: {
        conditions: [
          { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: ready ? 'kubelet is posting ready status' : 'container runtime not ready', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
        addresses: [
          { type: 'InternalIP', address: `172.18.0.${this.opts.index + 1}` },
          { type: 'Hostname', address: this.name },
        ],
        capacity: { pods: '110', cpu: '2', memory: '4Gi' },
        allocatable: { pods: '110', cpu: '2', memory: '4Gi' },
      },
    });
    await this.client.create(kinds.leases, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: node.metadata.uid! }] },
      spec: { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: microTime() },
    });
  }

  private async run(): Promise<void> {
    this.leaseTimer = setInterval(() => void this.track(this.renewLease()), this.opts.leaseRenewMs ?? 300);
    this.informer = new Informer(this.client, kinds.pods, { fieldSelector: `spec.nodeName=${this.name}`, maxBackoffMs: 500 });
    this.informer.on({ add: (p) => this.sync(p), update: (p) => this.sync(p) });
    await this.informer.start();
  }

  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const q = p.catch(() => undefined);
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
    return q;
  }

  async renewLease(): Promise<void> {
    if (this.stopped) return;
    await this.client.patch(kinds.leases, 'kube-node-lease', this.name, { spec: { renewTime: microTime() } });
  }

  private sync(pod: KubeObject): void {
    if (this.stopped) return;
    const key = objectKey(pod);
    if (this.busy.has(key)) return;
    if (pod.metadata.deletionTimestamp) {
      this.busy.add(key);
      void this.track(this.finalize(pod)).finally(() => this.busy.delete(key));
      return;
    }
    if (this.opts.startPods === false) return;
    const want = this.readiness.get(key) ?? this.opts.podReady?.(pod) ?? true;
    const ready = pod.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
    if (pod.status?.phase === 'Running' && pod.status?.podIP && ready === want) return;
    this.busy.add(key);
    void this.track(this.setStatus(pod, want)).finally(() => this.busy.delete(key));
  }

  private async finalize(pod: KubeObject): Promise<void> {
    if (this.opts.stopDelayMs) await new Promise((r) => setTimeout(r, this.opts.stopDelayMs));
    if (this.stopped) return;
    try {
      await this.client.delete(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  private podIP(key: string): string {
    let ip = this.ips.get(key);
    if (!ip) {
      ip = `10.244.${this.opts.index}.${this.nextHost++}`;
      this.ips.set(key, ip);
      this.started.push(key);
    }
    return ip;
  }

  private async setStatus(pod: KubeObject, ready: boolean): Promise<void> {
    const key = objectKey(pod);
    const ip = this.podIP(key);
    const now = seconds();
    const r = ready ? 'True' : 'False';
    const status = {
      phase: 'Running',
      hostIP: `172.18.0.${this.opts.index + 1}`,
      hostIPs: [{ ip: `172.18.0.${this.opts.index + 1}` }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: pod.status?.startTime ?? now,
      conditions: [
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        { type: 'Ready', status: r, lastProbeTime: null, lastTransitionTime: now },
        { type: 'ContainersReady', status: r, lastProbeTime: null, lastTransitionTime: now },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      ],
      containerStatuses: (pod.spec?.containers ?? []).map((c: any) => ({ name: c.name, image: c.image, imageID: '', ready, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
    };
    try {
      await this.client.patch(kinds.pods, pod.metadata.namespace, pod.metadata.name!, { metadata: { uid: pod.metadata.uid }, status }, 'application/merge-patch+json', 'status');
    } catch (e) {
      if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  /** Make a pod (ns/name) Ready or not, as a readiness probe would. */
  async setPodReady(key: string, ready: boolean): Promise<void> {
    this.readiness.set(key, ready);
    const pod = this.informer?.get(key);
    if (pod) await this.setStatus(pod, ready);
  }

  /** The IP this kubelet gave the pod, if any. */
  ipOf(key: string): string | undefined {
    return this.ips.get(key);
  }

  /** Go silent: no more lease renewals, no pod work (a dead node). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.leaseTimer);
    await this.informer?.stop();
    await Promise.all([...this.pending]);
  }
}

// The kubelet's /metrics (Prometheus text format): the Docker operations it
// makes, in total by operation (as the kubelet's
// kubelet_runtime_operations_total counts CRI calls) and per pod, and how
// many a pod needed and how long it took from the kubelet's first sight of
// it to its first Ready status (like kubelet_pod_start_duration_seconds).
// Pure bookkeeping and rendering; kubelet.ts and runtime.ts feed it.

/** Bucket upper bounds for the per-pod operation counts and start durations. */
export const OPS_BUCKETS = [4, 6, 8, 10, 12, 16, 20, 30, 50, 100];
export const DURATION_BUCKETS = [0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120];

class Histogram {
  counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }
  render(name: string, help: string): string[] {
    const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    this.buckets.forEach((b, i) => out.push(`${name}_bucket{le="${b}"} ${this.counts[i]}`));
    out.push(`${name}_bucket{le="+Inf"} ${this.count}`, `${name}_sum ${round(this.sum)}`, `${name}_count ${this.count}`);
    return out;
  }
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface PodOps {
  namespace: string;
  name: string;
  ops: number;
  firstSeen: number;
  /** Set once the pod's first Ready status went out. */
  readyAt?: number;
}

export class KubeletMetrics {
  /** Docker operations by type (list, inspect, create, start, stop, remove, images, pull, …). */
  readonly operations = new Map<string, number>();
  private pods = new Map<string, PodOps>();
  readonly startupOps = new Histogram(OPS_BUCKETS);
  readonly startDuration = new Histogram(DURATION_BUCKETS);
  statusWrites = 0;

  /** One Docker operation, for the pod whose sync made it (`uid` undefined: node-wide work). */
  dockerOp(op: string, uid?: string): void {
    this.operations.set(op, (this.operations.get(op) ?? 0) + 1);
    if (uid) {
      const p = this.pods.get(uid);
      if (p) p.ops++;
    }
  }

  /** The kubelet saw a pod of its node (first time only counts). */
  podSeen(uid: string, namespace: string, name: string, now: number): void {
    if (!this.pods.has(uid)) this.pods.set(uid, { namespace, name, ops: 0, firstSeen: now });
  }

  /** A status with Ready=True was written: the first time, the pod's startup is over. */
  podReady(uid: string, now: number): void {
    const p = this.pods.get(uid);
    if (!p || p.readyAt !== undefined) return;
    p.readyAt = now;
    this.startupOps.observe(p.ops);
    this.startDuration.observe((now - p.firstSeen) / 1000);
  }

  podGone(uid: string): void {
    this.pods.delete(uid);
  }

  podOps(uid: string): number | undefined {
    return this.pods.get(uid)?.ops;
  }

  render(): string {
    const lines: string[] = [];
    lines.push('# HELP kubelet_runtime_operations_total Docker API operations by type.', '# TYPE kubelet_runtime_operations_total counter');
    for (const [op, n] of [...this.operations].sort(([a], [b]) => a.localeCompare(b))) lines.push(`kubelet_runtime_operations_total{operation_type="${esc(op)}"} ${n}`);
    lines.push('# HELP mk8s_kubelet_pod_docker_operations Docker API operations made for each pod of this node so far.', '# TYPE mk8s_kubelet_pod_docker_operations gauge');
    for (const [uid, p] of this.pods) lines.push(`mk8s_kubelet_pod_docker_operations{namespace="${esc(p.namespace)}",pod="${esc(p.name)}",uid="${esc(uid)}"} ${p.ops}`);
    lines.push(...this.startupOps.render('mk8s_kubelet_pod_startup_docker_operations', "Docker API operations a pod needed from the kubelet's first sight of it to its first Ready status."));
    lines.push(...this.startDuration.render('mk8s_kubelet_pod_start_to_ready_seconds', "Seconds from the kubelet's first sight of a pod to its first Ready status."));
    lines.push('# HELP mk8s_kubelet_pod_status_writes_total Pod status updates sent to the API server.', '# TYPE mk8s_kubelet_pod_status_writes_total counter', `mk8s_kubelet_pod_status_writes_total ${this.statusWrites}`);
    return lines.join('\n') + '\n';
  }
}

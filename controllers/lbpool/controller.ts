// The LoadBalancer IP pool (MetalLB-style). The pool comes from the
// ConfigMap mk8s-system/lb-pool (key `ranges`) when it exists, else from
// MetalLB's legacy ConfigMap metallb-system/config (its layer2
// address-pools, as tutorials apply it), else from the --lb-pool option. Every LoadBalancer Service gets an address in
// status.loadBalancer.ingress[0].ip (IPAllocated event); one that cannot get
// one stays <pending> (AllocationFailed event); a Service that stops being a
// LoadBalancer loses it. The whole pool is one work item: allocation is a
// function of all Services at once.
import type { KubeObject } from '../../api/types.js';
import { objectKey } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import type { Informer } from '../../client/informer.js';
import { QueueController, type ControllerContext, type ReconcileResult } from '../controller.js';
import type { Recorder } from '../../client/events.js';
import { kinds } from '../kinds.js';
import { parse as parseYaml } from 'yaml';
import { allocate, METALLB_CONFIGMAP, parsePool, poolSource, POOL_CONFIGMAP, type LbServiceView } from './desired.js';
const POOL = 'pool';
const METALLB_IPS = 'metallb.universe.tf/loadBalancerIPs';

const isLB = (s: KubeObject) => s.spec?.type === 'LoadBalancer' && !s.spec?.loadBalancerClass;
const currentIP = (s: KubeObject): string | undefined => s.status?.loadBalancer?.ingress?.[0]?.ip;

export class LoadBalancerPool extends QueueController {
  private readonly services: Informer;
  private readonly configMaps: Informer;
  private readonly nodes: Informer;
  private readonly recorder: Recorder;
  /** What we wrote and the cache may not show yet: service uid → ip ('' = cleared). */
  private readonly written = new Map<string, string>();
  /** Last failure reported per service uid, so an unchanged failure is not re-reported on every sync. */
  private readonly failed = new Map<string, string>();
  private lastPool = '';

  constructor(ctx: ControllerContext) {
    super('lbpool', ctx, { workers: 1 });
    this.recorder = ctx.events.for('metallb-controller');
    this.services = ctx.informers.for(kinds.services);
    this.configMaps = ctx.informers.for(kinds.configmaps);
    this.nodes = ctx.informers.for(kinds.nodes);
    const kick = () => this.queue.add(POOL);
    this.services.on({
      add: (s) => (isLB(s) || currentIP(s)) && kick(),
      update: (s, old) => (isLB(s) || isLB(old) || currentIP(s)) && kick(),
      delete: (s) => {
        this.written.delete(s.metadata.uid!);
        this.failed.delete(s.metadata.uid!);
        if (isLB(s) || currentIP(s)) kick();
      },
    });
    const isPool = (c: KubeObject) => objectKey(c) === POOL_CONFIGMAP || objectKey(c) === METALLB_CONFIGMAP;
    this.configMaps.on({ add: (c) => isPool(c) && kick(), update: (c) => isPool(c) && kick(), delete: (c) => isPool(c) && kick() });
  }

  protected allKeys(): string[] {
    return [POOL];
  }

  private pool() {
    return poolSource((key) => this.configMaps.get(key), this.ctx.options.lbPool, parseYaml);
  }

  /** The IP in status, or what we wrote if the cache is behind. */
  private effectiveIP(s: KubeObject): string | undefined {
    const w = this.written.get(s.metadata.uid!);
    const c = currentIP(s);
    if (w === undefined) return c;
    if ((c ?? '') === w) {
      this.written.delete(s.metadata.uid!);
      return c;
    }
    return w || undefined;
  }

  protected async reconcile(): Promise<ReconcileResult> {
    const source = this.pool();
    const { ranges, errors } = parsePool(source.text);
    const seen = `${source.from}\n${source.text}`;
    if (seen !== this.lastPool) {
      this.lastPool = seen;
      this.log.info({ from: source.from, pool: source.text, ranges: ranges.length, errors: [...source.errors, ...errors] }, 'address pool');
    }
    const all = this.services.list();
    const lbs = all.filter(isLB);
    const views: LbServiceView[] = lbs.map((s) => ({
      key: objectKey(s),
      requested: s.spec?.loadBalancerIP || s.metadata.annotations?.[METALLB_IPS]?.split(',')[0]?.trim() || undefined,
      current: this.effectiveIP(s),
      creationTimestamp: s.metadata.creationTimestamp,
    }));
    // Never the host's or a node's own address: the announcing node would answer ARP for it.
    const nodeIPs = this.nodes.list().flatMap((n) => (n.status?.addresses ?? []).map((a: any) => a.address as string));
    const result = allocate(views, ranges, new Set([...(this.ctx.options.lbReserved ?? []), ...nodeIPs]));
    let conflict: unknown;
    for (const s of lbs) {
      const a = result.get(objectKey(s))!;
      const cur = this.effectiveIP(s);
      try {
        if ('ip' in a) {
          this.failed.delete(s.metadata.uid!);
          if (cur === a.ip) continue;
          await this.setIP(s, a.ip);
          this.log.info({ object: objectKey(s), ip: a.ip }, 'IP allocated');
          this.recorder.event(s, 'Normal', 'IPAllocated', `Assigned IP ["${a.ip}"]`);
        } else {
          if (cur) await this.setIP(s, undefined);
          if (this.failed.get(s.metadata.uid!) === a.error) continue;
          this.failed.set(s.metadata.uid!, a.error);
          this.log.warn({ object: objectKey(s), err: a.error }, 'IP allocation failed');
          this.recorder.event(s, 'Warning', 'AllocationFailed', `Failed to allocate IP for "${objectKey(s)}": ${a.error}`);
        }
      } catch (e) {
        if (!isApiError(e) || (e.code !== 409 && e.code !== 404)) throw e;
        conflict = e;
      }
    }
    // Not a LoadBalancer (any more) but still holding an address: release it.
    for (const s of all) {
      if (isLB(s) || !this.effectiveIP(s)) continue;
      try {
        await this.setIP(s, undefined);
        this.log.info({ object: objectKey(s) }, 'IP released');
      } catch (e) {
        if (!isApiError(e) || (e.code !== 409 && e.code !== 404)) throw e;
        conflict = e;
      }
    }
    if (conflict) throw conflict;
  }

  private async setIP(s: KubeObject, ip: string | undefined): Promise<void> {
    const loadBalancer = ip ? { ingress: [{ ip, ipMode: 'VIP' }] } : { ingress: null };
    await this.client.patch(kinds.services, s.metadata.namespace, s.metadata.name!, { metadata: { uid: s.metadata.uid }, status: { loadBalancer } }, 'application/merge-patch+json', 'status');
    this.written.set(s.metadata.uid!, ip ?? '');
  }
}

// Which pod `logs deploy/x`, `exec svc/x` and `port-forward deployment/x`
// talk to, as kubectl's AttachablePodForObject: a pod by name, else the
// pods the workload or service selects, running and ready ones first.
import type { KubeObject } from '../api/types.js';
import { findByKind } from '../api/resources.js';
import type { Ctx } from './context.js';
import { CliError } from './errors.js';
import { parseSingleRef, resolveType } from './resolve.js';

function selectorOf(obj: KubeObject): string {
  if (obj.kind === 'Service' || obj.kind === 'ReplicationController') {
    const sel = obj.spec?.selector ?? {};
    return Object.keys(sel).map((k) => `${k}=${sel[k]}`).join(',');
  }
  const sel = obj.spec?.selector ?? {};
  const parts = Object.keys(sel.matchLabels ?? {}).map((k) => `${k}=${sel.matchLabels[k]}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    if (e.operator === 'Exists') parts.push(e.key);
    if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** ActivePods ordering, roughly: running before pending, ready before not, older first. */
function rank(p: KubeObject): number[] {
  const running = p.status?.phase === 'Running' ? 0 : p.status?.phase === 'Pending' ? 1 : 2;
  const ready = (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') ? 0 : 1;
  return [p.spec?.nodeName ? 0 : 1, running, ready, Date.parse(p.metadata.creationTimestamp ?? '') || 0];
}

export async function podFor(ctx: Ctx, arg: string, announce = true): Promise<{ pod: KubeObject; via?: KubeObject }> {
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const podType = findByKind('v1', 'Pod')!;
  if (!arg.includes('/')) return { pod: await client.get(podType, ns, arg) };
  const { type, name } = parseSingleRef([arg]);
  if (type.kind === 'Pod') return { pod: await client.get(podType, ns, name) };
  const obj = { ...(await client.get(type, ns, name)), kind: type.kind };
  const selector = selectorOf(obj);
  if (!selector) throw new CliError(`error: cannot attach to ${type.kind}/${name}: selector for ${type.kind} not implemented`);
  const pods = (await client.list(podType, ns, { labelSelector: selector })).items;
  if (pods.length === 0) throw new CliError(`error: no pods found for ${type.kind.toLowerCase()}/${name}`);
  pods.sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
  if (announce && pods.length > 1) ctx.err.write(`Found ${pods.length} pods, using pod/${pods[0].metadata.name}\n`);
  return { pod: pods[0], via: obj };
}

export { resolveType };

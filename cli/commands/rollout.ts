// mk8s rollout status|restart|undo|history|pause|resume for deployments,
// as kubectl rollout: status watches until observedGeneration catches up
// and the updated replicas are available, printing kubectl's messages;
// restart stamps kubectl.kubernetes.io/restartedAt on the pod template;
// undo puts back the template of the replica set with the previous (or
// --to-revision) deployment.kubernetes.io/revision.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceType } from '../../api/resources.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { kindString, parseResourceArgs } from '../resolve.js';
import { resourcePath } from '../../client/http.js';
import { parseDuration } from './delete.js';

const flags: FlagSpec[] = [
  { name: 'watch', short: 'w', type: 'bool', default: true, usage: 'Watch the status of the rollout until it\'s done.' },
  { name: 'timeout', type: 'string', default: '0s', usage: 'The length of time to wait before ending watch, zero means never.' },
  { name: 'revision', type: 'int', default: 0, usage: 'See the details, including podTemplate of the revision specified.' },
  { name: 'to-revision', type: 'int', default: 0, usage: 'The revision to rollback to. Default to 0 (last revision).' },
  { name: 'selector', short: 'l', type: 'string' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
  { name: 'output', short: 'o', type: 'string' },
];

const REVISION = 'deployment.kubernetes.io/revision';

/** kubectl's DeploymentStatusViewer. */
export function deploymentStatus(d: KubeObject): { message: string; done: boolean } {
  const name = d.metadata.name;
  const st = d.status ?? {};
  if ((d.metadata.generation ?? 0) <= (st.observedGeneration ?? 0)) {
    const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') throw new CliError(`error: deployment "${name}" exceeded its progress deadline`);
    const want = d.spec?.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    if (updated < want) return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...\n`, done: false };
    if ((st.replicas ?? 0) > updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...\n`, done: false };
    if ((st.availableReplicas ?? 0) < updated) return { message: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...\n`, done: false };
    return { message: `deployment "${name}" successfully rolled out\n`, done: true };
  }
  return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
}

function rfc3339Now(): string {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(n).padStart(2, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

async function ownedReplicaSets(ctx: Ctx, d: KubeObject): Promise<KubeObject[]> {
  const client = await ctx.client();
  const rs = findByKind('apps/v1', 'ReplicaSet')!;
  const list = await client.list(rs, d.metadata.namespace);
  return list.items.filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === d.metadata.uid));
}

function revisionOf(o: KubeObject): number {
  return Number(o.metadata.annotations?.[REVISION] ?? 0);
}

async function status(ctx: Ctx, type: ResourceType, name: string, ns: string): Promise<number> {
  const client = await ctx.client();
  const timeout = parseDuration(ctx.flags.timeout);
  const until = timeout > 0 ? Date.now() + timeout : Infinity;
  let last = '';
  for (;;) {
    const d = await client.get(type, ns, name);
    const { message, done } = deploymentStatus(d);
    if (message !== last) ctx.out.write(message);
    last = message;
    if (done || !ctx.flags.watch) return 0;
    if (Date.now() > until) throw new CliError('error: timed out waiting for the condition');
    // A watch would wake us sooner; polling keeps this simple and bounded (kubectl re-gets on each event anyway).
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function history(ctx: Ctx, type: ResourceType, d: KubeObject): Promise<number> {
  const rss = await ownedReplicaSets(ctx, d);
  const byRev = new Map<number, KubeObject>();
  for (const rs of rss) byRev.set(revisionOf(rs), rs);
  if (ctx.flags.revision) {
    const rs = byRev.get(ctx.flags.revision);
    if (!rs) throw new CliError(`error: unable to find the specified revision`);
    const { PrefixWriter, describePodTemplate } = await import('../printers/describe/common.js');
    const w = new PrefixWriter();
    const template = JSON.parse(JSON.stringify(rs.spec?.template ?? {}));
    if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
    describePodTemplate(template, w);
    ctx.out.write(`${kindString(type)}/${d.metadata.name} with revision #${ctx.flags.revision}\n${w.toString()}\n`);
    return 0;
  }
  const { PrefixWriter } = await import('../printers/describe/common.js');
  const w = new PrefixWriter();
  w.write(0, 'REVISION\tCHANGE-CAUSE\n');
  for (const rev of [...byRev.keys()].sort((a, b) => a - b)) {
    w.write(0, `${rev}\t${byRev.get(rev)!.metadata.annotations?.['kubernetes.io/change-cause'] || '<none>'}\n`);
  }
  ctx.out.write(`${kindString(type)}/${d.metadata.name} \n${w.toString()}\n`);
  return 0;
}

async function undo(ctx: Ctx, type: ResourceType, d: KubeObject): Promise<number> {
  const client = await ctx.client();
  const rss = (await ownedReplicaSets(ctx, d)).sort((a, b) => revisionOf(b) - revisionOf(a));
  const current = revisionOf(d);
  let target: KubeObject | undefined;
  if (ctx.flags['to-revision']) {
    target = rss.find((rs) => revisionOf(rs) === ctx.flags['to-revision']);
    if (!target) throw new CliError(`error: unable to find specified revision ${ctx.flags['to-revision']} in history`);
  } else {
    target = rss.find((rs) => revisionOf(rs) !== current && revisionOf(rs) < (current || Infinity));
    if (!target) throw new CliError(`error: no rollout history found for deployment "${d.metadata.name}"`);
  }
  const template = JSON.parse(JSON.stringify(target.spec?.template ?? {}));
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  const strip = (t: any) => {
    const c = JSON.parse(JSON.stringify(t ?? {}));
    if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
    return JSON.stringify(c);
  };
  if (strip(d.spec?.template) === JSON.stringify(template)) {
    ctx.out.write(`${kindString(type)}/${d.metadata.name} skipped rollback (current template already matches revision ${revisionOf(target)})\n`);
    return 0;
  }
  await client.request('PATCH', resourcePath(type, d.metadata.namespace, d.metadata.name), {
    body: [{ op: 'replace', path: '/spec/template', value: template }],
    contentType: 'application/json-patch+json',
  });
  ctx.out.write(`${kindString(type)}/${d.metadata.name} rolled back\n`);
  return 0;
}

async function run(ctx: Ctx): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const subs = ['status', 'restart', 'undo', 'history', 'pause', 'resume'];
  if (!sub || !subs.includes(sub)) throw new CliError(`error: unknown command "${sub ?? ''}" for "mk8s rollout"; use one of: ${subs.join(', ')}`);
  const refs = parseResourceArgs(rest);
  if (refs.length === 0 || refs[0].names.length === 0) throw new CliError(`error: required resource not specified`);
  const client = await ctx.client();
  const ns = await ctx.namespace();
  for (const ref of refs) {
    if (ref.type.kind !== 'Deployment') throw new CliError(`error: no ${sub === 'status' ? 'status viewer' : sub === 'history' ? 'history viewer' : 'rollbacker'} has been implemented for "${ref.type.kind}"`);
    for (const name of ref.names) {
      if (sub === 'status') {
        await status(ctx, ref.type, name, ns);
        continue;
      }
      const d = await client.get(ref.type, ns, name);
      const path = resourcePath(ref.type, ns, name);
      switch (sub) {
        case 'history':
          await history(ctx, ref.type, d);
          break;
        case 'undo':
          await undo(ctx, ref.type, d);
          break;
        case 'restart':
          if (d.spec?.paused) throw new CliError(`error: deployments.apps "${name}" can't restart paused deployment (run rollout resume first)`);
          await client.request('PATCH', path, {
            body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': rfc3339Now() } } } } },
            contentType: 'application/strategic-merge-patch+json',
          });
          ctx.out.write(`${kindString(ref.type)}/${name} restarted\n`);
          break;
        case 'pause':
        case 'resume': {
          const want = sub === 'pause';
          if (!!d.spec?.paused === want) throw new CliError(`error: ${kindString(ref.type)}/${name} is ${want ? 'already paused' : 'not paused'}`);
          await client.request('PATCH', path, { body: { spec: { paused: want } }, contentType: 'application/merge-patch+json' });
          ctx.out.write(`${kindString(ref.type)}/${name} ${want ? 'paused' : 'resumed'}\n`);
          break;
        }
      }
    }
  }
  return 0;
}

const cmd: Command = {
  use: 'rollout SUBCOMMAND (status|restart|undo|history|pause|resume) TYPE/NAME',
  short: 'Manage the rollout of a resource',
  flags,
  run,
};

export default cmd;

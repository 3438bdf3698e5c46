// mk8s run NAME --image=… : kubectl run. One pod labelled run=NAME (or
// --labels), with --port, --env, --restart, and args or (--command) a
// command after `--`; --expose also creates the ClusterIP service first,
// printing both lines as kubectl does.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { parseDryRun } from './apply.js';
import { generatedMeta } from './create.js';
import { dryRunSuffix } from '../write-report.js';

const flags: FlagSpec[] = [
  { name: 'image', type: 'string', usage: 'The image for the container to run.' },
  { name: 'port', type: 'string', usage: 'The port that this container exposes.' },
  { name: 'expose', type: 'bool', usage: 'If true, create a ClusterIP service associated with the pod.' },
  { name: 'labels', short: 'l', type: 'string', usage: 'Comma separated labels to apply to the pod.' },
  { name: 'restart', type: 'string', default: 'Always', usage: 'The restart policy for this Pod: Always, OnFailure, Never.' },
  { name: 'env', type: 'stringArray', usage: 'Environment variables to set in the container.' },
  { name: 'command', type: 'bool', usage: 'If true and extra arguments are present, use them as the \'command\' field in the container.' },
  { name: 'image-pull-policy', type: 'string' },
  { name: 'annotations', type: 'stringArray' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'rm', type: 'bool' },
  { name: 'stdin', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
];

export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`error: invalid label spec: ${part}`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The pod kubectl run builds (generateversioned.BasicPod). */
export function runPod(ctx: Ctx, name: string, extra: string[]): KubeObject {
  const image: string = ctx.flags.image;
  if (!image) throw new CliError("error: required flag(s) \"image\" not set");
  const labels = ctx.flags.labels ? parseLabels(ctx.flags.labels) : { run: name };
  const container: any = { image, name };
  if (extra.length) {
    if (ctx.flags.command) container.command = extra;
    else container.args = extra;
  }
  if (ctx.flags.env.length) {
    container.env = ctx.flags.env.map((e: string) => {
      const eq = e.indexOf('=');
      if (eq <= 0) throw new CliError(`error: invalid env: ${e}`);
      return { name: e.slice(0, eq), value: e.slice(eq + 1) };
    });
  }
  if (ctx.flags['image-pull-policy']) container.imagePullPolicy = ctx.flags['image-pull-policy'];
  if (ctx.flags.port) container.ports = [{ containerPort: Number(ctx.flags.port) }];
  container.resources = {};
  if (ctx.flags.stdin) container.stdin = true;
  if (ctx.flags.tty) container.tty = true;
  const restart = ctx.flags.restart;
  if (!['Always', 'OnFailure', 'Never'].includes(restart)) throw new CliError(`error: invalid restart policy: ${restart}`);
  const metadata: any = generatedMeta({ labels, name });
  if (ctx.flags.annotations.length) metadata.annotations = parseLabels(ctx.flags.annotations.join(','));
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: { containers: [container], dnsPolicy: 'ClusterFirst', restartPolicy: restart }, status: {} };
}

async function run(ctx: Ctx): Promise<number> {
  const dashArgs = ctx.dash >= 0 ? ctx.args.slice(ctx.dash) : [];
  const positional = ctx.dash >= 0 ? ctx.args.slice(0, ctx.dash) : ctx.args;
  const name = positional[0];
  if (!name) throw new CliError("error: NAME is required for run\nSee 'mk8s run -h' for help and examples");
  const extra = [...positional.slice(1), ...dashArgs];
  const pod = runPod(ctx, name, extra);
  const dryRun = parseDryRun(ctx.flags['dry-run']);
  if (ctx.flags.expose && !ctx.flags.port) throw new CliError('error: --port must be set when exposing a service');
  const ns = await ctx.namespace();
  const query = dryRun === 'server' ? { dryRun: 'All' } : {};
  const print = async (obj: KubeObject, kind: string) => {
    if (ctx.flags.output) {
      const [{ parseOutput }, { printGeneric }] = await Promise.all([import('../printers/format.js'), import('../printers/output.js')]);
      printGeneric(parseOutput(ctx.flags.output), [obj], true, (s) => ctx.out.write(s));
    } else ctx.out.write(`${kind}/${obj.metadata.name} created${dryRunSuffix(dryRun)}\n`);
  };
  if (ctx.flags.expose) {
    const port = Number(ctx.flags.port);
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: generatedMeta({ name }),
      spec: { ports: [{ port, protocol: 'TCP', targetPort: port }], selector: pod.metadata.labels },
      status: { loadBalancer: {} },
    };
    const created = dryRun === 'client' ? svc : await (await ctx.client()).create(findByKind('v1', 'Service')!, ns, svc, query);
    await print(created, 'service');
  }
  const created = dryRun === 'client' ? pod : await (await ctx.client()).create(findByKind('v1', 'Pod')!, ns, pod, query);
  await print(created, 'pod');
  return 0;
}

const cmd: Command = {
  use: 'run NAME --image=image [--env="key=value"] [--port=port] [--dry-run=server|client] [--command] -- [COMMAND] [args...]',
  short: 'Run a particular image on the cluster',
  flags,
  run,
};

export default cmd;

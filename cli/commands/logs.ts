// mk8s logs: kubectl logs through pods/NAME/log (-f, -c, --tail,
// --timestamps, --previous, --since, deploy/NAME). The apiserver proxies
// the stream to the pod's kubelet; its errors are printed as kubectl would.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { podFor } from '../pod-for.js';
import { resourcePath } from '../../client/http.js';
import { findByKind } from '../../api/resources.js';
import { streamGet } from '../stream.js';
import { parseDuration } from './delete.js';

const flags: FlagSpec[] = [
  { name: 'follow', short: 'f', type: 'bool', usage: 'Specify if the logs should be streamed.' },
  { name: 'container', short: 'c', type: 'string', usage: 'Print the logs of this container' },
  { name: 'tail', type: 'int', default: -1, usage: 'Lines of recent log file to display.' },
  { name: 'timestamps', type: 'bool' },
  { name: 'previous', short: 'p', type: 'bool' },
  { name: 'since', type: 'string' },
  { name: 'all-containers', type: 'bool' },
  { name: 'prefix', type: 'bool' },
  { name: 'selector', short: 'l', type: 'string' },
];

async function run(ctx: Ctx): Promise<number> {
  if (ctx.args.length === 0) throw new CliError("error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command");
  const target = ctx.args.length > 1 && !ctx.args[0].includes('/') ? ctx.args[0] : ctx.args[0];
  const { pod } = await podFor(ctx, target);
  const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  let container: string = ctx.flags.container || (ctx.args[1] ?? '');
  if (!container && containers.length > 1) {
    ctx.err.write(`Defaulted container "${containers[0]}" out of: ${containers.join(', ')}\n`);
  }
  if (!container) container = containers[0];
  if (container && !containers.includes(container)) {
    throw new CliError(`error: container ${container} is not valid for pod ${pod.metadata.name}`);
  }
  const cfg = await ctx.clusterConfig();
  const query: Record<string, string | undefined> = { container };
  if (ctx.flags.follow) query.follow = 'true';
  if (ctx.flags.tail >= 0) query.tailLines = String(ctx.flags.tail);
  if (ctx.flags.timestamps) query.timestamps = 'true';
  if (ctx.flags.previous) query.previous = 'true';
  if (ctx.flags.since) query.sinceSeconds = String(Math.ceil(parseDuration(ctx.flags.since) / 1000));
  const path = resourcePath(findByKind('v1', 'Pod')!, pod.metadata.namespace, pod.metadata.name, 'log');
  await streamGet(cfg, path, query, (c) => ctx.out.write(c.toString()), (close) => ctx.closers.push(close));
  return 0;
}

const cmd: Command = {
  use: 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]',
  short: 'Print the logs for a container in a pod',
  flags,
  run,
};

export default cmd;

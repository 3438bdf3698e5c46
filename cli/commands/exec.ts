// mk8s exec: kubectl exec over pods/NAME/exec with the WebSocket channel
// protocol (v5.channel.k8s.io): stdin (-i) and a raw terminal (-t) are
// forwarded, stdout/stderr printed, the error channel's Status gives the
// exit code ("command terminated with exit code N"). The apiserver proxies
// it to the pod's kubelet.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { podFor } from '../pod-for.js';
import { resourcePath } from '../../client/http.js';
import { findByKind } from '../../api/resources.js';
import { upgrade } from '../stream.js';

const flags: FlagSpec[] = [
  { name: 'stdin', short: 'i', type: 'bool', usage: 'Pass stdin to the container' },
  { name: 'tty', short: 't', type: 'bool', usage: 'Stdin is a TTY' },
  { name: 'container', short: 'c', type: 'string', usage: 'Container name.' },
  { name: 'quiet', short: 'q', type: 'bool' },
];

async function run(ctx: Ctx): Promise<number> {
  const before = ctx.dash >= 0 ? ctx.args.slice(0, ctx.dash) : ctx.args;
  const command = ctx.dash >= 0 ? ctx.args.slice(ctx.dash) : before.slice(1);
  if (before.length === 0) throw new CliError('error: pod, type/name or --filename must be specified');
  if (command.length === 0) throw new CliError("error: you must specify at least one command for the container");
  const { pod } = await podFor(ctx, before[0]);
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
    throw new CliError(`error: cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
  }
  const containers: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const container: string = ctx.flags.container || containers[0];
  if (!ctx.flags.container && containers.length > 1 && !ctx.flags.quiet) ctx.err.write(`Defaulted container "${containers[0]}" out of: ${containers.join(', ')}\n`);
  const cfg = await ctx.clusterConfig();
  const path = resourcePath(findByKind('v1', 'Pod')!, pod.metadata.namespace, pod.metadata.name, 'exec');
  const tty = ctx.flags.tty && ctx.flags.stdin && process.stdin.isTTY;
  if (ctx.flags.tty && !ctx.flags.stdin && !ctx.flags.quiet) ctx.err.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  const query = { command, container, stdin: ctx.flags.stdin ? 'true' : undefined, stdout: 'true', stderr: tty ? undefined : 'true', tty: tty ? 'true' : undefined };
  const { ws } = await upgrade(cfg, path, query, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
  return new Promise<number>((resolve) => {
    let code = 0;
    const restore = () => {
      if (tty) process.stdin.setRawMode?.(false);
      process.stdin.pause();
    };
    ws.onMessage = (m) => {
      const ch = m[0];
      const data = m.subarray(1);
      if (ch === 1) process.stdout.write(data);
      else if (ch === 2) process.stderr.write(data);
      else if (ch === 3) {
        try {
          const st = JSON.parse(data.toString());
          if (st.status === 'Failure') {
            const exit = st.details?.causes?.find((c: any) => c.reason === 'ExitCode')?.message;
            code = exit ? Number(exit) : 1;
            if (!exit) ctx.err.write(`error: ${st.message ?? 'exec failed'}\n`);
            else if (!ctx.flags.quiet) ctx.err.write(`command terminated with exit code ${code}\n`);
          }
        } catch {
          ctx.err.write(data.toString());
        }
      }
    };
    ws.onClose = () => {
      restore();
      resolve(code);
    };
    if (ctx.flags.stdin) {
      if (tty) process.stdin.setRawMode?.(true);
      process.stdin.on('data', (d: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), d])));
      process.stdin.on('end', () => ws.send(Buffer.from([255, 0])));
      if (tty && process.stdout.columns) {
        ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: process.stdout.columns, Height: process.stdout.rows }))]));
      }
    }
  });
}

const cmd: Command = {
  use: 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]',
  short: 'Execute a command in a container',
  flags,
  run,
};

export default cmd;

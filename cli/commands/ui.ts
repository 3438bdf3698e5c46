// mk8s ui [--port 8001]: a local web page of the cluster, a Service's path
// with live packet counters, and the current lab beside them (ui/server.ts).
// Listens on 127.0.0.1 only; the printed URL carries a one-time token.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { CliError } from '../errors.js';
import { defaultKubeconfigPath } from '../kubeconfig.js';
import { LabSession } from '../lab/engine.js';

const flags: FlagSpec[] = [
  { name: 'port', type: 'int', default: 8001, usage: 'The port to serve the page on, on 127.0.0.1 (0: any free port).' },
  { name: 'no-browser', type: 'bool', usage: 'Do not open a browser; only print the URL.' },
];

/** A browser opener when there is a display to open it on: xdg-open under X11 or Wayland. */
export function browserOpener(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'xdg-open'))) return join(dir, 'xdg-open');
  }
  return undefined;
}

async function run(ctx: Ctx): Promise<number> {
  const { startUi } = await import('../../ui/server.js');
  const client = await ctx.client();
  const lab = new LabSession({ kubeconfig: ctx.flags.kubeconfig || process.env.KUBECONFIG || defaultKubeconfigPath(), client: () => ctx.client(), onWarning: (m) => ctx.err.write(`warning: ${m}\n`) });
  const ui = await startUi({ client, port: ctx.flags.port, lab }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') throw new CliError(`error: port ${ctx.flags.port} on 127.0.0.1 is in use; choose another with --port`);
    throw e;
  });
  ctx.out.write(`mk8s ui is serving the cluster on 127.0.0.1 only. Open this URL (it carries a one-time token):\n\n    ${ui.url}\n\nPress Ctrl-C to stop.\n`);
  const opener = ctx.flags['no-browser'] ? undefined : browserOpener();
  if (opener) spawn(opener, [ui.url], { stdio: 'ignore', detached: true }).on('error', () => {}).unref();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await ui.close();
  return 0;
}

const cmd: Command = {
  use: 'ui [--port 8001]',
  short: 'mk8s: a local web page of the cluster, each Service\'s path with live packet counters, and the current lab',
  flags,
  maxArgs: 0,
  run,
};

export default cmd;

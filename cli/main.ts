#!/usr/bin/env node
// The `mk8s` command. Each subcommand's module is imported only when that
// subcommand runs, so `mk8s get pods` loads the flag parser, the client and
// the get command, and nothing of the apiserver, the controllers or `yaml`.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from './context.js';

const argv = process.argv.slice(2);

export const defaultDataDir = () => join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'apiserver');

/** kubectl's commands (and mk8s' own), each loaded on use. */
const commands: Record<string, { short: string; load: () => Promise<{ default: Command }> }> = {
  get: { short: 'Display one or many resources', load: () => import('./commands/get.js') },
  describe: { short: 'Show details of a specific resource or group of resources', load: () => import('./commands/describe.js') },
  apply: { short: 'Apply a configuration to a resource by file name or stdin', load: () => import('./commands/apply.js') },
  create: { short: 'Create a resource from a file or from stdin', load: () => import('./commands/create.js') },
  delete: { short: 'Delete resources by file names, stdin, resources and names, or by resources and label selector', load: () => import('./commands/delete.js') },
  run: { short: 'Run a particular image on the cluster', load: () => import('./commands/run.js') },
  expose: { short: 'Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service', load: () => import('./commands/expose.js') },
  scale: { short: 'Set a new size for a deployment, replica set, or replication controller', load: () => import('./commands/scale.js') },
  label: { short: 'Update the labels on a resource', load: () => import('./commands/label.js') },
  annotate: { short: 'Update the annotations on a resource', load: () => import('./commands/annotate.js') },
  patch: { short: 'Update fields of a resource', load: () => import('./commands/patch.js') },
  edit: { short: 'Edit a resource on the server', load: () => import('./commands/edit.js') },
  rollout: { short: 'Manage the rollout of a resource', load: () => import('./commands/rollout.js') },
  logs: { short: 'Print the logs for a container in a pod', load: () => import('./commands/logs.js') },
  exec: { short: 'Execute a command in a container', load: () => import('./commands/exec.js') },
  'port-forward': { short: 'Forward one or more local ports to a pod', load: () => import('./commands/port-forward.js') },
  'cluster-info': { short: 'Display cluster information', load: () => import('./commands/cluster-info.js') },
  'api-resources': { short: 'Print the supported API resources on the server', load: () => import('./commands/api-resources.js') },
  version: { short: 'Print the client and server version information', load: () => import('./commands/version.js') },
  service: { short: 'mk8s: list services with their node-port URLs (as `minikube service`)', load: () => import('./commands/service.js') },
  lab: { short: 'mk8s: guided, self-checking labs on Services (list, start, check, hint, solution, reset)', load: () => import('./commands/lab.js') },
  'explain-route': { short: 'mk8s: show the path a packet to a Service takes (ClusterIP → KUBE-SVC → KUBE-SEP → pod)', load: () => import('./commands/explain-route.js') },
};

/** Global flags that take a value, so `mk8s -n ns get pods` finds the verb. */
const globalValueFlags = new Set(['-n', '--namespace', '--kubeconfig', '--context', '--request-timeout', '-v', '--v']);

function findVerb(): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return -1;
    if (!a.startsWith('-')) return i;
    if (globalValueFlags.has(a)) i++;
  }
  return -1;
}

function flag(name: string, fallback?: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = argv[i];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
  const lines = Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}${c.short}`);
  return [
    'mk8s: a mini Kubernetes. Its commands are kubectl\'s, with the same flags and output.',
    '',
    'Usage:',
    '  mk8s [flags] [options] <command>',
    '',
    'Commands:',
    ...lines,
    `  ${'apiserver'.padEnd(width)}mk8s: run the API server [--data-dir DIR] [--bind 127.0.0.1] [--port 6443]`,
    `  ${'controllers'.padEnd(width)}mk8s: run the controllers against the cluster of the kubeconfig`,
    `  ${'up'.padEnd(width)}mk8s: bring a cluster up`,
    `  ${'proxy'.padEnd(width)}mk8s: run a node's service proxy and DNS [--node-name N --node-ip IP] [--cleanup]`,
    '',
    'Use "mk8s <command> --help" for more information about a given command.',
    '',
  ].join('\n');
}

async function runApiserver(): Promise<number> {
  const { startApiServer } = await import('../apiserver/server.js');
  const server = await startApiServer({
    dataDir: flag('data-dir', defaultDataDir())!,
    bind: flag('bind', '127.0.0.1'),
    port: Number(flag('port', '6443')),
    serviceCidr: flag('service-cluster-ip-range'),
    nodePortRange: flag('service-node-port-range'),
  });
  process.stdout.write(`mk8s apiserver on ${server.url}; kubeconfig: ${server.kubeconfigPath}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

async function runControllers(): Promise<number> {
  const { loadClusterConfig } = await import('./kubeconfig.js');
  const { Client } = await import('../client/http.js');
  // The controllers issue's module; imported by a computed name so the CLI builds before it lands.
  const managerPath = '../controllers/manager.js';
  let manager: any;
  try {
    manager = await import(managerPath);
  } catch (e) {
    process.stderr.write(`error: the controllers are not built into this mk8s yet (${(e as Error).message})\n`);
    return 1;
  }
  const config = await loadClusterConfig(flag('kubeconfig') || undefined, flag('context') || undefined);
  const client = new Client(config);
  const { pino } = await import('pino');
  const logger = pino({ level: process.env.MK8S_LOG_LEVEL ?? 'info' });
  const running = await manager.startControllers({ client, logger });
  process.stdout.write(`mk8s controllers running against ${config.server}\n`);
  const stop = async () => {
    await running.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return new Promise<number>(() => undefined);
}

async function runKubectlCommand(verbIndex: number): Promise<number> {
  const verb = argv[verbIndex];
  const entry = commands[verb];
  if (!entry) {
    process.stderr.write(`error: unknown command "${verb}" for "mk8s"\nRun 'mk8s --help' for usage.\n`);
    return 1;
  }
  const rest = [...argv.slice(0, verbIndex), ...argv.slice(verbIndex + 1)];
  const [{ default: cmd }, { parseFlags, globalFlags, FlagError }, { Ctx }, { errorText }] = await Promise.all([
    entry.load(),
    import('./flags.js'),
    import('./context.js'),
    import('./errors.js'),
  ]);
  let parsed;
  try {
    parsed = parseFlags(rest, [...globalFlags, ...cmd.flags]);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`error: ${e.message}\nSee 'mk8s ${verb} --help' for usage.\n`);
      return 1;
    }
    throw e;
  }
  if (parsed.flags.help) {
    const { commandHelp } = await import('./help.js');
    process.stdout.write(commandHelp(verb, cmd));
    return 0;
  }
  const ctx = new Ctx(verb, parsed.flags, parsed.changed, parsed.args, parsed.dash);
  try {
    const code = await cmd.run(ctx);
    return code ?? 0;
  } catch (e) {
    const text = errorText(e);
    if (text) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    return (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    ctx.close();
  }
}

async function main(): Promise<number> {
  const at = findVerb();
  const verb = at >= 0 ? argv[at] : undefined;
  switch (verb) {
    case 'apiserver':
      return runApiserver();
    case 'controllers':
      return runControllers();
    case 'up':
      return (await import('../cluster/cli.js')).runUp(argv.slice(at + 1));
    case 'down':
      return (await import('../cluster/cli.js')).runDown(argv.slice(at + 1));
    case 'status':
      return (await import('../cluster/cli.js')).runStatus(argv.slice(at + 1));
    case 'images':
      return (await import('../cluster/cli.js')).runImages(argv.slice(at + 1));
    case 'kubelet':
      return (await import('../kubelet/main.js')).runKubeletCommand(argv.slice(at + 1));
    case 'proxy':
      return (await import('../proxy/main.js')).runProxyCommand(argv.slice(at + 1));
    case undefined:
    case 'help':
      process.stdout.write(help());
      return 0;
    default:
      return runKubectlCommand(at);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

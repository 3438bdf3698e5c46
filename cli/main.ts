#!/usr/bin/env node
// The `mk8s` command. Each subcommand's module is imported only when that
// subcommand runs, so `mk8s get pods` loads the flag parser, the client and
// the get command, and nothing of the apiserver, the controllers or `yaml`.
// Every command, kubectl's and mk8s' own, is parsed by cli/flags.ts.
import type { Command } from './context.js';
import { bundledVerbs } from './bundled-verbs.js';
import { takeDeferredExtraCa } from './tls-agent.js';

takeDeferredExtraCa();

/** Set (to true) in dist/cli/mk8s.cjs, the one-file build of this module (cli/bundle.ts). */
declare const __MK8S_BUNDLE__: boolean | undefined;
const bundled = typeof __MK8S_BUNDLE__ !== 'undefined' && __MK8S_BUNDLE__;

const argv = process.argv.slice(2);

interface Entry {
  short: string;
  /** mk8s' own commands are listed apart from kubectl's in `mk8s help`. */
  own?: boolean;
  load: () => Promise<Command>;
}

const kubectlCommand = (m: Promise<{ default: Command }>) => m.then((x) => x.default);

/** kubectl's commands (and mk8s' own), each loaded on use. */
const commands: Record<string, Entry> = {
  get: { short: 'Display one or many resources', load: () => kubectlCommand(import('./commands/get.js')) },
  describe: { short: 'Show details of a specific resource or group of resources', load: () => kubectlCommand(import('./commands/describe.js')) },
  apply: { short: 'Apply a configuration to a resource by file name or stdin', load: () => kubectlCommand(import('./commands/apply.js')) },
  create: { short: 'Create a resource from a file or from stdin', load: () => kubectlCommand(import('./commands/create.js')) },
  delete: { short: 'Delete resources by file names, stdin, resources and names, or by resources and label selector', load: () => kubectlCommand(import('./commands/delete.js')) },
  run: { short: 'Run a particular image on the cluster', load: () => kubectlCommand(import('./commands/run.js')) },
  expose: { short: 'Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service', load: () => kubectlCommand(import('./commands/expose.js')) },
  scale: { short: 'Set a new size for a deployment, replica set, or replication controller', load: () => kubectlCommand(import('./commands/scale.js')) },
  label: { short: 'Update the labels on a resource', load: () => kubectlCommand(import('./commands/label.js')) },
  annotate: { short: 'Update the annotations on a resource', load: () => kubectlCommand(import('./commands/annotate.js')) },
  patch: { short: 'Update fields of a resource', load: () => kubectlCommand(import('./commands/patch.js')) },
  edit: { short: 'Edit a resource on the server', load: () => kubectlCommand(import('./commands/edit.js')) },
  rollout: { short: 'Manage the rollout of a resource', load: () => kubectlCommand(import('./commands/rollout.js')) },
  logs: { short: 'Print the logs for a container in a pod', load: () => kubectlCommand(import('./commands/logs.js')) },
  exec: { short: 'Execute a command in a container', load: () => kubectlCommand(import('./commands/exec.js')) },
  'port-forward': { short: 'Forward one or more local ports to a pod', load: () => kubectlCommand(import('./commands/port-forward.js')) },
  'cluster-info': { short: 'Display cluster information', load: () => kubectlCommand(import('./commands/cluster-info.js')) },
  'api-resources': { short: 'Print the supported API resources on the server', load: () => kubectlCommand(import('./commands/api-resources.js')) },
  version: { short: 'Print the client and server version information', load: () => kubectlCommand(import('./commands/version.js')) },
  service: { own: true, short: 'List services with their node-port URLs (as `minikube service`)', load: () => kubectlCommand(import('./commands/service.js')) },
  lab: { own: true, short: 'Guided, self-checking labs on Services (list, start, check, hint, solution, reset)', load: () => kubectlCommand(import('./commands/lab.js')) },
  ui: { own: true, short: 'A local web page: the cluster, a Service\'s path with live counters, the current lab', load: () => kubectlCommand(import('./commands/ui.js')) },
  'explain-route': { own: true, short: 'Show the path a packet to a Service takes (ClusterIP → KUBE-SVC → KUBE-SEP → pod)', load: () => kubectlCommand(import('./commands/explain-route.js')) },
  up: { own: true, short: 'Bring a local cluster up', load: async () => (await import('../cluster/cli.js')).upCommand },
  down: { own: true, short: 'Stop the cluster and remove everything mk8s up made', load: async () => (await import('../cluster/cli.js')).downCommand },
  status: { own: true, short: "Show the cluster's processes and nodes", load: async () => (await import('../cluster/cli.js')).statusCommand },
  doctor: { own: true, short: 'Check what mk8s up needs on this machine, changing nothing', load: async () => (await import('../cluster/cli.js')).doctorCommand },
  images: { own: true, short: 'Build the built-in images (pause, hello-from, toolbox, …)', load: async () => (await import('../cluster/cli.js')).imagesCommand },
  etcdctl: { own: true, short: "Run etcdctl against the cluster's etcd (mk8s up --storage etcd)", load: async () => (await import('../cluster/cli.js')).etcdctlCommand },
  apiserver: { own: true, short: 'Run the API server', load: () => kubectlCommand(import('./commands/apiserver.js')) },
  controllers: { own: true, short: 'Run the controllers against the cluster of the kubeconfig', load: () => kubectlCommand(import('./commands/controllers.js')) },
  kubelet: { own: true, short: 'Run the node agent in the current network namespace', load: async () => (await import('../kubelet/main.js')).kubeletCommand },
  proxy: { own: true, short: "Run a node's service proxy (iptables) and cluster DNS", load: async () => (await import('../proxy/main.js')).proxyCommand },
  node: { own: true, short: "Run one node's agent: kubelet, proxy and node-local DNS in one process", load: async () => (await import('../cluster/agent.js')).nodeCommand },
  help: { own: true, short: 'Help about any command', load: async () => helpCommand },
};

function rootHelp(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length)) + 2;
  const list = (own: boolean) =>
    Object.entries(commands)
      .filter(([, c]) => !!c.own === own)
      .map(([k, c]) => `  ${k.padEnd(width)}${c.short}`);
  return [
    "mk8s: a mini Kubernetes. Its commands are kubectl's, with the same flags and output.",
    '',
    "kubectl's commands:",
    ...list(false),
    '',
    "mk8s' own commands:",
    ...list(true),
    '',
    'Usage:',
    '  mk8s [flags] [options] <command>',
    '',
    'Use "mk8s <command> --help" for more information about a given command.',
    '',
  ].join('\n');
}

const helpCommand: Command = {
  use: 'help [command]',
  short: 'Help about any command',
  long: 'Help provides help for any command in the application.\nSimply type mk8s help [path to command] for full details.',
  flags: [],
  globalFlags: false,
  maxArgs: 1,
  async run(ctx) {
    const verb = ctx.args[0];
    if (verb === undefined) {
      ctx.out.write(rootHelp());
      return 0;
    }
    const entry = Object.hasOwn(commands, verb) ? commands[verb] : undefined;
    if (!entry) {
      ctx.err.write(`Unknown help topic [\`${verb}\`]\n`);
      ctx.out.write(rootHelp());
      return 1;
    }
    const { commandHelp } = await import('./help.js');
    ctx.out.write(commandHelp(verb, await entry.load()));
    return 0;
  },
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

async function runCommand(verb: string, entry: Entry, rest: string[]): Promise<number> {
  const [cmd, { parseFlags, globalFlags, FlagError }, { Ctx }, { errorText }] = await Promise.all([
    entry.load(),
    import('./flags.js'),
    import('./context.js'),
    import('./errors.js'),
  ]);
  const usageHint = `See 'mk8s ${verb} --help' for usage.\n`;
  if (cmd.rawArgs && !(rest.length === 1 && ['--help', '-h'].includes(rest[0]))) {
    const ctx = new Ctx(verb, {}, new Set(), rest, -1);
    try {
      return (await cmd.run(ctx)) ?? 0;
    } catch (e) {
      const text = errorText(e);
      if (text) process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
      return (e as { exitCode?: number }).exitCode ?? 1;
    } finally {
      ctx.close();
    }
  }
  let parsed;
  try {
    // mk8s' own commands take --help/-h and their own flags; kubectl's take kubectl's global flags too.
    const specs = cmd.globalFlags === false ? [...globalFlags.filter((f) => f.name === 'help'), ...cmd.flags] : [...globalFlags, ...cmd.flags];
    parsed = parseFlags(rest, specs);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`error: ${e.message}\n${usageHint}`);
      return 1;
    }
    throw e;
  }
  if (parsed.flags.help) {
    const { commandHelp } = await import('./help.js');
    process.stdout.write(commandHelp(verb, cmd));
    return 0;
  }
  const unset = (cmd.required ?? []).filter((f) => !parsed.changed.has(f));
  if (unset.length) {
    process.stderr.write(`error: required flag(s) ${unset.map((f) => `"${f}"`).join(', ')} not set\n${usageHint}`);
    return 1;
  }
  if (cmd.maxArgs !== undefined && parsed.args.length > cmd.maxArgs) {
    process.stderr.write(`error: unknown command "${parsed.args[cmd.maxArgs]}" for "mk8s ${verb}"\n${usageHint}`);
    return 1;
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

/** The exit code; undefined when dist/cli/main.js took over (it sets the code itself). */
async function main(): Promise<number | undefined> {
  const at = findVerb();
  if (at < 0) {
    // No command: `mk8s`, `mk8s --help` print the help; any other flag is unknown here.
    const { parseFlags, globalFlags, FlagError } = await import('./flags.js');
    try {
      parseFlags(argv, globalFlags);
    } catch (e) {
      if (!(e instanceof FlagError)) throw e;
      process.stderr.write(`error: ${e.message}\nSee 'mk8s --help' for usage.\n`);
      return 1;
    }
    process.stdout.write(rootHelp());
    return 0;
  }
  const verb = argv[at];
  const entry = Object.hasOwn(commands, verb) ? commands[verb] : undefined;
  if (bundled && entry && !bundledVerbs.includes(verb)) {
    // The bundle carries only the everyday commands; the rest (servers, up, labs, apply, …) run from the modules in dist/, one copy of each.
    const full = './main.js';
    await import(full);
    return undefined;
  }
  if (!entry) {
    process.stderr.write(`error: unknown command "${verb}" for "mk8s"\nRun 'mk8s --help' for usage.\n`);
    return 1;
  }
  return runCommand(verb, entry, [...argv.slice(0, at), ...argv.slice(at + 1)]);
}

// A reader that goes away (`mk8s lab status | head -3`) ends the command quietly, as kubectl (killed by SIGPIPE).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141); // 128 + SIGPIPE, what a shell reports for kubectl
  throw e;
});

main().then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

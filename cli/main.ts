#!/usr/bin/env node
// The `mk8s` command. Each subcommand's module is imported only when that
// subcommand runs, so `mk8s get pods` does not load the apiserver.
import { homedir } from 'node:os';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const command = argv[0];

export const defaultDataDir = () => join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'apiserver');

function flag(name: string, fallback?: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  const a = argv[i];
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

async function main(): Promise<number> {
  switch (command) {
    case 'apiserver': {
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
    case 'up':
      process.stdout.write('mk8s up: not yet — the kubelet and node networking land with issue 5. For now: `mk8s apiserver` starts the API server.\n');
      return 0;
    case undefined:
    case '--help':
    case 'help':
      process.stdout.write('usage: mk8s <command>\n\ncommands:\n  apiserver [--data-dir DIR] [--bind 127.0.0.1] [--port 6443]   run the API server\n  up                                                        bring a cluster up (not yet)\n');
      return 0;
    default:
      process.stderr.write(`error: unknown command "${command}" for "mk8s"\n`);
      return 1;
  }
}

main().then(
  (code) => {
    if (command !== 'apiserver') process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

// What every command gets: its parsed flags and arguments, stdout/stderr,
// and (on first use) the API client and namespace from the kubeconfig,
// `--kubeconfig`, `--context` and `-n`.
import type { Client, ClusterConfig } from '../client/http.js';
import type { FlagSpec, FlagValues } from './flags.js';
import { CliError } from './errors.js';

export interface Command {
  /** kubectl's usage line, e.g. `get [(-o|--output=)json|yaml|...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | TYPE[.VERSION][.GROUP]/NAME ...) [flags]`. */
  use: string;
  short: string;
  /** What `--help` prints under the short line (mk8s' own commands). */
  long?: string;
  flags: FlagSpec[];
  /** Whether kubectl's global flags (--kubeconfig, -n, …) apply; mk8s' own commands take only their own flags. */
  globalFlags?: boolean;
  /** Flags that must be given (cobra's MarkFlagRequired). */
  required?: string[];
  /** At most this many arguments (0: cobra's NoArgs); unlimited when unset. */
  maxArgs?: number;
  /** Every argument after the verb goes to the command unparsed (a wrapped tool's own flags: `mk8s etcdctl get --prefix …`). */
  rawArgs?: boolean;
  run(ctx: Ctx): Promise<number | void>;
}

export interface Output {
  write(s: string): void;
}

export class Ctx {
  private clientP: Promise<{ client: Client; config: ClusterConfig }> | undefined;
  /** Set by commands that keep streams open (watch, logs -f): main ends them on exit. */
  readonly closers: (() => void)[] = [];

  constructor(
    /** The command path, e.g. `get` or `rollout status`: used in messages like "See 'mk8s get --help'". */
    readonly verb: string,
    readonly flags: FlagValues,
    readonly changed: Set<string>,
    readonly args: string[],
    /** Index of the first argument after `--`, or -1. */
    readonly dash: number,
    readonly out: Output = process.stdout,
    readonly err: Output = process.stderr,
  ) {}

  private connect(): Promise<{ client: Client; config: ClusterConfig }> {
    this.clientP ??= (async () => {
      const [{ loadClusterConfig }, { Client }, { clusterAgent }] = await Promise.all([
        import('./kubeconfig.js'),
        import('../client/http.js'),
        import('./tls-agent.js'),
      ]);
      const config = await loadClusterConfig(this.flags.kubeconfig || undefined, this.flags.context || undefined);
      const client = new Client(config, clusterAgent(config.server, config.caCert));
      this.closers.push(() => client.close());
      return { client, config };
    })();
    return this.clientP;
  }

  async client(): Promise<Client> {
    return (await this.connect()).client;
  }

  /** `-n`, else the context's namespace, else `default`. */
  async namespace(): Promise<string> {
    if (this.flags.namespace) return this.flags.namespace;
    return (await this.connect()).config.namespace || 'default';
  }

  /** Whether `-n` was given (kubectl's enforceNamespace). */
  get namespaceExplicit(): boolean {
    return !!this.flags.namespace;
  }

  async server(): Promise<string> {
    return (await this.connect()).config.server;
  }

  /** The connection settings (for streams the JSON client does not carry: logs, exec, port-forward). */
  async clusterConfig(): Promise<ClusterConfig> {
    return (await this.connect()).config;
  }

  usageError(msg: string): CliError {
    return new CliError(`error: ${msg}\nSee 'mk8s ${this.verb} -h' for help and examples`);
  }

  close(): void {
    for (const c of this.closers.splice(0)) {
      try {
        c();
      } catch {
        // closing is best effort
      }
    }
  }
}

// Command-line flags with kubectl's grammar (spf13/pflag): flags anywhere
// among the arguments, `-owide` and `-o wide` and `-o=wide`, grouped boolean
// shorthands (`-it`), `--flag=value` and `--flag value`, `--bool=false`,
// flags with a value when given bare (`--cascade` means `background`), and
// `--` ending the flags (ArgsLenAtDash). pflag's grammar differs from yargs'
// (yargs reads `-owide` as five boolean flags), and this parser is one small
// module where yargs costs ~40 ms of start-up, half of `kubectl get pods`.

export type FlagType = 'bool' | 'string' | 'int' | 'stringSlice' | 'stringArray';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  default?: unknown;
  /** Value when the flag is given without one (pflag's NoOptDefVal), e.g. `--cascade` → `background`. */
  noOptDefVal?: string;
  usage?: string;
}

export type FlagValues = Record<string, any>;

export interface ParsedArgs {
  flags: FlagValues;
  /** Flags the user actually set (pflag's Changed). */
  changed: Set<string>;
  args: string[];
  /** Index in args of the first argument after `--`, or -1. */
  dash: number;
}

export class FlagError extends Error {}

function setValue(spec: FlagSpec, values: FlagValues, raw: string, display: string): void {
  switch (spec.type) {
    case 'bool': {
      const v = raw.toLowerCase();
      if (['true', '1', 't'].includes(v)) values[spec.name] = true;
      else if (['false', '0', 'f'].includes(v)) values[spec.name] = false;
      else throw new FlagError(`invalid argument "${raw}" for "${display}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      return;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) throw new FlagError(`invalid argument "${raw}" for "${display}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      values[spec.name] = Number(raw);
      return;
    }
    case 'stringSlice': {
      const prev: string[] = Array.isArray(values[spec.name]) && values[`\0${spec.name}`] ? values[spec.name] : [];
      values[spec.name] = [...prev, ...(raw === '' ? [] : raw.split(','))];
      values[`\0${spec.name}`] = true;
      return;
    }
    case 'stringArray': {
      const prev: string[] = Array.isArray(values[spec.name]) && values[`\0${spec.name}`] ? values[spec.name] : [];
      values[spec.name] = [...prev, raw];
      values[`\0${spec.name}`] = true;
      return;
    }
    default:
      values[spec.name] = raw;
  }
}

function defaultOf(spec: FlagSpec): unknown {
  if (spec.default !== undefined) return spec.default;
  switch (spec.type) {
    case 'bool':
      return false;
    case 'int':
      return undefined;
    case 'stringSlice':
    case 'stringArray':
      return [];
    default:
      return '';
  }
}

/** Parse argv against the flag specs, as pflag's FlagSet.Parse with interspersed arguments. */
export function parseFlags(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = defaultOf(s);
  const changed = new Set<string>();
  const args: string[] = [];
  let dash = -1;

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      dash = args.length;
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      changed.add(spec.name);
      if (eq >= 0) setValue(spec, flags, a.slice(eq + 1), name);
      else if (spec.type === 'bool') flags[spec.name] = true;
      else if (spec.noOptDefVal !== undefined) setValue(spec, flags, spec.noOptDefVal, name);
      else if (i + 1 < argv.length) setValue(spec, flags, argv[++i], name);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      // Shorthand group: booleans until one takes a value (the rest of the word or the next argument).
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const spec = byShort.get(c);
        if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
        changed.add(spec.name);
        const rest = a.slice(j + 1);
        if (spec.type === 'bool') {
          if (rest.startsWith('=')) {
            setValue(spec, flags, rest.slice(1), c);
            break;
          }
          flags[spec.name] = true;
          continue;
        }
        if (rest.startsWith('=')) setValue(spec, flags, rest.slice(1), c);
        else if (rest) setValue(spec, flags, rest, c);
        else if (spec.noOptDefVal !== undefined) setValue(spec, flags, spec.noOptDefVal, c);
        else if (i + 1 < argv.length) setValue(spec, flags, argv[++i], c);
        else throw new FlagError(`flag needs an argument: '${c}' in ${a}`);
        break;
      }
      continue;
    }
    args.push(a);
  }
  for (const k of Object.keys(flags)) if (k.startsWith('\0')) delete flags[k];
  return { flags, changed, args, dash };
}

/** Flags every command takes (kubectl's global flags). */
export const globalFlags: FlagSpec[] = [
  { name: 'kubeconfig', type: 'string', usage: 'Path to the kubeconfig file to use for CLI requests.' },
  { name: 'context', type: 'string', usage: 'The name of the kubeconfig context to use' },
  { name: 'namespace', short: 'n', type: 'string', usage: 'If present, the namespace scope for this CLI request' },
  { name: 'request-timeout', type: 'string', default: '0', usage: 'The length of time to wait before giving up on a single server request.' },
  { name: 'v', short: 'v', type: 'string', default: '0', usage: 'number for the log level verbosity' },
  { name: 'help', short: 'h', type: 'bool' },
];

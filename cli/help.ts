// `mk8s <command> --help`: the usage line and the flags, as kubectl lays them out.
import type { Command } from './context.js';
import { globalFlags, type FlagSpec } from './flags.js';

/** pflag's default shown after the flag name: `--output=''`, `--replicas=1`, `--watch=false`, `--filename=[]`. */
function defaultText(f: FlagSpec): string {
  const d = f.default;
  switch (f.type) {
    case 'bool':
      return `=${d === true}`;
    case 'int':
      return `=${d ?? 0}`;
    case 'stringSlice':
    case 'stringArray':
      return `=[${Array.isArray(d) ? d.join(',') : ''}]`;
    default:
      return `='${d ?? ''}'`;
  }
}

function flagLine(f: FlagSpec): string {
  const name = f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
  return `    ${name}${defaultText(f)}:\n\t${f.usage ?? ''}\n`;
}

export function commandHelp(verb: string, cmd: Command): string {
  const own = cmd.flags.map(flagLine).join('\n');
  const withGlobals = cmd.globalFlags !== false;
  const global = withGlobals ? globalFlags.filter((f) => f.name !== 'help' && f.name !== 'v').map(flagLine).join('\n') : '';
  const use = cmd.use.startsWith(verb) ? cmd.use : `${verb} ${cmd.use}`;
  return [
    `${cmd.short}\n\n`,
    cmd.long ? `${cmd.long.trimEnd()}\n\n` : '',
    own ? `Options:\n${own}\n` : '',
    global ? `Global options:\n${global}\n` : '',
    `Usage:\n  mk8s ${use}\n`,
  ].join('');
}

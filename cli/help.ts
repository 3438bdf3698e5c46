// `mk8s <command> --help`: the usage line and the flags, as kubectl lays them out.
import type { Command } from './context.js';
import { globalFlags, type FlagSpec } from './flags.js';

function flagLine(f: FlagSpec): string {
  const name = f.short ? `-${f.short}, --${f.name}` : `    --${f.name}`;
  const value = f.type === 'bool' ? '' : f.type === 'int' ? ' int' : f.type === 'string' ? "=''" : '=[]';
  return `    ${name}${value}:\n\t${f.usage ?? ''}\n`;
}

export function commandHelp(verb: string, cmd: Command): string {
  const own = cmd.flags.map(flagLine).join('\n');
  const global = globalFlags.filter((f) => f.name !== 'help' && f.name !== 'v').map(flagLine).join('\n');
  return `${cmd.short}\n\nOptions:\n${own}\nGlobal options:\n${global}\nUsage:\n  mk8s ${cmd.use.startsWith(verb) ? cmd.use : `${verb} ${cmd.use}`}\n`;
}

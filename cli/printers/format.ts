// Which printer `-o` asks for. Kept apart from the printers so the table
// path (`mk8s get pods`) does not load them.
import { CliError } from '../errors.js';

export type OutputKind = 'table' | 'wide' | 'name' | 'yaml' | 'json' | 'jsonpath' | 'jsonpath-as-json' | 'custom-columns';

export interface OutputFormat {
  kind: OutputKind;
  arg: string;
}

const allowed = 'custom-columns, custom-columns-file, go-template, go-template-file, json, jsonpath, jsonpath-as-json, jsonpath-file, name, template, templatefile, wide, yaml';

export function parseOutput(o: string | undefined): OutputFormat {
  const v = o ?? '';
  if (v === '') return { kind: 'table', arg: '' };
  const eq = v.indexOf('=');
  const name = eq >= 0 ? v.slice(0, eq) : v;
  const arg = eq >= 0 ? v.slice(eq + 1) : '';
  switch (name) {
    case 'wide':
    case 'name':
    case 'yaml':
    case 'json':
      return { kind: name, arg };
    case 'jsonpath':
    case 'jsonpath-as-json':
    case 'custom-columns':
      if (!arg) throw new CliError(`error: ${name} template format specified but no ${name} template given`);
      return { kind: name, arg };
  }
  throw new CliError(`error: unable to match a printer suitable for the output format "${v}", allowed formats are: ${allowed}`);
}


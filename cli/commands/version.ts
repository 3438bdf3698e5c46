// mk8s version: the client version (mk8s speaks kubectl 1.32's commands)
// and the server's /version, as kubectl version prints them.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import { toJson, toYaml } from '../printers/yaml.js';
import { mk8sVersion } from '../../api/version.js';

const flags: FlagSpec[] = [
  { name: 'client', type: 'bool', usage: 'If true, shows client version only (no server required).' },
  { name: 'output', short: 'o', type: 'string', usage: 'One of \'yaml\' or \'json\'.' },
];

export const clientVersion = mk8sVersion;

async function run(ctx: Ctx): Promise<number> {
  let server: any;
  let err: unknown;
  if (!ctx.flags.client) {
    try {
      server = await (await ctx.client()).request('GET', '/version');
    } catch (e) {
      err = e;
    }
  }
  const o = ctx.flags.output;
  if (o === 'json' || o === 'yaml') {
    const v: any = { clientVersion };
    if (server) v.serverVersion = server;
    ctx.out.write(o === 'json' ? toJson(v) : toYaml(v));
  } else {
    ctx.out.write(`Client Version: ${clientVersion.gitVersion}\n`);
    if (server) ctx.out.write(`Server Version: ${server.gitVersion}\n`);
  }
  if (err) throw err;
  return 0;
}

const cmd: Command = { use: 'version', short: 'Print the client and server version information', flags, run };
export default cmd;

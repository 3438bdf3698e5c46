// kubelet/lazy-deps.ts: dockerode loads without ssh2 and gRPC (checked in a
// fresh Node process), and what dockerode's modules got in their place loads
// the real module on first use.
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../testkit/process.js';

const script = (body: string) => `
const dist = ${JSON.stringify(join(repoRoot, 'dist'))};
await import(dist + '/kubelet/lazy-deps.js');
await import(dist + '/kubelet/runtime.js');
const { createRequire } = await import('node:module');
const require = createRequire(dist + '/kubelet/x.js');
const heavy = () => Object.keys(require.cache).filter((k) => /[\\\\/](ssh2|@grpc)[\\\\/]/.test(k)).length;
${body}`;

const runNode = (src: string) =>
  new Promise<string>((resolve, reject) => execFile(process.execPath, ['--input-type=module', '-e', src], { cwd: repoRoot }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out.trim()))));

test('dockerode loads without ssh2 and gRPC; the stand-in dockerode got loads ssh2 when it is used', async (t) => {
  const out = await runNode(
    script(`
const before = heavy();
// What docker-modem's ssh.js got for require('ssh2'): a stand-in, until a Client is made.
const modemRequire = createRequire(require.resolve('docker-modem'));
const ssh2 = modemRequire('ssh2');
const stillNone = heavy();
const client = new ssh2.Client();
const { EventEmitter } = await import('node:events');
console.log(JSON.stringify({ before, stillNone, after: heavy(), real: client instanceof EventEmitter, plain: typeof require('node:os').cpus }));
`),
  );
  const r = JSON.parse(out);
  t.is(r.before, 0, 'no ssh2 or gRPC module loaded with dockerode');
  t.is(r.stillNone, 0, 'the stand-in loads nothing until used');
  t.true(r.after > 0, 'ssh2 loaded on first use');
  t.true(r.real, 'and the object made is the real ssh2 Client');
  t.is(r.plain, 'function', 'other requires are untouched');
});

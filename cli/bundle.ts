// Build step (the end of `npm run build`, after tsc): dist/cli/mk8s.cjs, the
// CLI's kubectl-style commands in one file, what bin/mk8s runs. Node 20's ESM
// loader resolves, reads and links each module apart (~1 ms of CPU each), so
// `mk8s get pods` from one file does less before its first request
// (docs/benchmarks.md, bench/cli). The file is CommonJS: Node starts a
// CommonJS main file without setting up its ESM loader, ~8 ms less than the
// same bundle as an ES module (`version --client`: 31 against 39 ms, `node -e
// 0` 21 ms); what it loads on use from dist/ still comes through import().
//
// What stays out, loaded from dist/ as before when used:
// - npm packages (esbuild would hoist their imports to the top of the file,
//   loading them on every run; left as imports, they load on use);
// - any of our modules whose static imports reach an npm package (e.g.
//   client/kubeconfig.js, which loads `yaml`), for the same reason;
// - every command not in cli/bundled-verbs.ts (up, kubelet, apiserver, lab,
//   apply, …): the bundle hands those to dist/cli/main.js (cli/main.ts), so
//   that a process runs one copy of each module, never a mix of both.
//
// The bundle sits next to dist/cli/main.js, so a relative import it keeps
// means what it meant there. Run: `node dist/cli/bundle.js`.
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledVerbs } from './bundled-verbs.js';

const cliDir = dirname(fileURLToPath(import.meta.url));
/** What bin/mk8s runs: the loader (LOADER below), which runs the bundle's body with V8's code cache. */
export const bundleFile = join(cliDir, 'mk8s.cjs');
/** The CLI in one file: read and compiled by the loader, never loaded as a module by Node itself. */
export const bodyFile = join(cliDir, 'mk8s.body.js');
/** V8's code cache of the body, written by the loader on a run that had none (or a stale one). */
export const cacheFile = join(cliDir, 'mk8s.body.v8cache');

/**
 * The loader (dist/cli/mk8s.cjs). Compiling the 200 KB body is part of every
 * run; with V8's code cache of it (the functions compiled by an earlier run,
 * serialized) the compile is mostly skipped. The first run, or one whose
 * cache V8 rejects (another build, another Node), writes a new cache on
 * exit, atomically (a temp file renamed), and none when dist/ is not
 * writable (it would cost every run the serializing). The body's `import()`s are renamed to `__mk8sImport(` (Node
 * 20 loses the dynamic-import callback of a script compiled from a code
 * cache), which imports relative to dist/cli/ as the body would.
 */
const LOADER = `'use strict';
// Built by cli/bundle.ts (npm run build); do not edit. Runs mk8s.body.js with V8's code cache (mk8s.body.v8cache).
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { pathToFileURL } = require('node:url');
const body = path.join(__dirname, 'mk8s.body.js');
const cacheFile = path.join(__dirname, 'mk8s.body.v8cache');
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {}
const script = new vm.Script('(function (exports, require, module, __filename, __dirname, __mk8sImport) {' + fs.readFileSync(body, 'utf8') + '\\n})', { filename: body, cachedData });
const cache = !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
let writable = false;
try {
  fs.accessSync(__dirname, fs.constants.W_OK);
  writable = true;
} catch {}
if (cache !== 'used' && writable) {
  process.once('exit', () => {
    const tmp = cacheFile + '.' + process.pid;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      try { fs.rmSync(tmp, { force: true }); } catch {}
    }
  });
}
if (process.env.MK8S_CLI_CODE_CACHE_REPORT) process.once('exit', () => process.stderr.write('code cache: ' + cache + '\\n'));
const load = (spec) => import(spec.startsWith('.') ? pathToFileURL(path.join(__dirname, spec)).href : spec);
script.runInThisContext()(module.exports, require, module, body, __dirname, load);
`;

/** Static `import … from '…'` / `export … from '…'` specifiers of a built module (not `import type`: tsc removed those). */
export function staticImports(js: string): string[] {
  const out: string[] = [];
  for (const m of js.matchAll(/^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"]([^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}

const isPackage = (spec: string) => !spec.startsWith('.') && !spec.startsWith('node:') && !spec.startsWith('/');

/** Whether a built module, through its static imports, loads an npm package. */
function loadsPackage(file: string, seen = new Map<string, boolean>()): boolean {
  const known = seen.get(file);
  if (known !== undefined) return known;
  seen.set(file, false); // a cycle adds nothing
  let js: string;
  try {
    js = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const specs = staticImports(js);
  const result = specs.some(isPackage) || specs.filter((s) => s.startsWith('.')).some((s) => loadsPackage(resolve(dirname(file), s), seen));
  seen.set(file, result);
  return result;
}

/** The command modules the bundle carries (cli/bundled-verbs.ts); main.js hands every other command to dist/. */
const carried = new Set(bundledVerbs.map((v) => join(cliDir, 'commands', `${v}.js`)));

function keepOut(): Plugin {
  const seen = new Map<string, boolean>();
  const mainJs = join(cliDir, 'main.js');
  return {
    name: 'mk8s-keep-out',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (a) => {
        const file = resolve(a.resolveDir, a.path);
        const command = file.startsWith(join(cliDir, 'commands') + '/') || !file.startsWith(cliDir + '/');
        const out = (a.importer === mainJs && command && !carried.has(file)) || loadsPackage(file, seen);
        if (!out) return undefined;
        const rel = relative(cliDir, file);
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
    },
  };
}

export async function bundleCli(): Promise<{ bytes: number; external: string[] }> {
  const r = await build({
    entryPoints: [join(cliDir, 'main.js')],
    outfile: bodyFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    define: { __MK8S_BUNDLE__: 'true' },
    banner: { js: '// Built by cli/bundle.ts from dist/cli/main.js (npm run build); do not edit.' },
    logLevel: 'warning',
    metafile: true,
    plugins: [keepOut()],
  });
  const output = r.metafile.outputs[relative(process.cwd(), bodyFile)] ?? Object.values(r.metafile.outputs)[0];
  // What the bundle loads before running anything: Node's own modules only.
  const eager = output.imports.filter((i) => (i.kind === 'import-statement' || i.kind === 'require-call') && !i.path.startsWith('node:'));
  if (eager.length) throw new Error(`the CLI bundle would load ${eager.map((i) => i.path).join(', ')} on every run: import it with import() where it is used`);
  const external = [...new Set(output.imports.filter((i) => i.external && i.path.startsWith('.')).map((i) => i.path))].sort();
  // Every import() becomes the loader's (see LOADER): exactly as many as esbuild kept.
  const text = readFileSync(bodyFile, 'utf8');
  const dynamic = output.imports.filter((i) => i.kind === 'dynamic-import').length;
  const literal = text.match(/\bimport\((?=["'])/g)?.length ?? 0;
  if (literal !== dynamic) throw new Error(`the CLI bundle has ${dynamic} import() calls of a module name, the text ${literal}: cannot rename them for the loader`);
  // (and the computed ones, such as the hand-off to main.js)
  const body = text.replace(/^#!.*\n/, '').replace(/\bimport\(/g, '__mk8sImport(');
  writeFileSync(bodyFile, body);
  writeFileSync(bundleFile, '#!/usr/bin/env node\n' + LOADER, { mode: 0o755 });
  rmSync(cacheFile, { force: true });
  return { bytes: output.bytes, external };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundleCli().then(
    (r) => {
      if (process.env.MK8S_BUNDLE_VERBOSE) process.stdout.write(`${relative(process.cwd(), bundleFile)}: ${(r.bytes / 1024).toFixed(0)} KiB; loaded from dist/ on use: ${r.external.join(', ')}\n`);
    },
    (e) => {
      process.stderr.write(`cli bundle: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}

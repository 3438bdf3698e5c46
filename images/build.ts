// Builds the built-in images (images/recipes.ts) offline: a root filesystem
// in a temp folder -> tar -> `docker import`. No registry, no Dockerfile, no
// base image. Each image carries the hash of everything that went into it
// (label io.mk8s.image-hash), so a build skips images that are up to date
// and rebuilds those whose sources, or whose host programs, changed.
//
// The shape: planRootfs() says what the image's files are, hashPlan() names
// that, writeRootfs() + importImage() make it so.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUILTIN_IMAGE_NAMES, isBuiltinImageName, type BuiltinImageName } from './aliases.js';
import { BUSYBOX_PATH, RECIPES, importChanges, type ImageRecipe } from './recipes.js';

export const IMAGE_HASH_LABEL = 'io.mk8s.image-hash';
export const BUILTIN_LABEL = 'io.mk8s.built-in';

// Bump when the way images are put together changes, to rebuild them all.
const BUILD_FORMAT = 'mk8s-images/1';

export interface BuildOptions {
  /** Rebuild even images that are up to date. */
  force?: boolean;
  /** Build only these (short names like `toolbox`, or refs like `mk8s/toolbox:1.0`). */
  only?: string[];
  log?: (line: string) => void;
}

export interface BuildResult {
  /** Refs built now. */
  built: string[];
  /** Refs already present and up to date. */
  skipped: string[];
}

export async function buildImages(opts: BuildOptions = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  const names = selectImages(opts.only);
  await checkDocker();
  if (!existsSync(BUSYBOX_PATH)) {
    throw new Error(`${BUSYBOX_PATH} is missing: install busybox-static (apt-get install -y busybox-static); the built-in images are made from it`);
  }
  const rootfsSources = findRootfsSources();
  await removeStaleTempDirs();
  const result: BuildResult = { built: [], skipped: [] };
  for (const name of names) {
    const recipe = RECIPES[name];
    const plan = await planRootfs(recipe, rootfsSources);
    const hash = await hashPlan(recipe, plan);
    const current = await inspectImage(recipe.ref);
    if (!opts.force && current?.labels[IMAGE_HASH_LABEL] === hash) {
      log(`${recipe.ref}: up to date`);
      result.skipped.push(recipe.ref);
      continue;
    }
    const started = Date.now();
    log(`${recipe.ref}: building (${recipe.description})`);
    await buildOne(recipe, plan, hash);
    log(`${recipe.ref}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    result.built.push(recipe.ref);
  }
  await removeReplacedImages();
  return result;
}

/** The images `only` names, in recipe order; all of them without `only`. */
export function selectImages(only?: string[]): BuiltinImageName[] {
  if (only === undefined || only.length === 0) return [...BUILTIN_IMAGE_NAMES];
  const wanted = new Set<BuiltinImageName>();
  for (const item of only) {
    let name = item.trim();
    if (name.startsWith('mk8s/')) name = name.slice('mk8s/'.length);
    const colon = name.indexOf(':');
    if (colon >= 0) name = name.slice(0, colon);
    if (!isBuiltinImageName(name)) {
      throw new Error(`unknown built-in image "${item}"; the built-in images are ${BUILTIN_IMAGE_NAMES.join(', ')}`);
    }
    wanted.add(name);
  }
  return BUILTIN_IMAGE_NAMES.filter((name) => wanted.has(name));
}

// ---------------------------------------------------------------- the plan

/** One path of the image's root filesystem. */
export type RootfsEntry =
  | { kind: 'dir'; mode: number }
  | { kind: 'file'; mode: number; source: string }
  | { kind: 'symlink'; target: string };

/** Paths in the image (absolute, like `/bin/sh`) -> what is there. */
export type RootfsPlan = Map<string, RootfsEntry>;

// The directories every image has; /tmp as on any Linux system.
const BASE_DIRS: Record<string, number> = {
  '/bin': 0o755,
  '/sbin': 0o755,
  '/usr/bin': 0o755,
  '/usr/sbin': 0o755,
  '/etc': 0o755,
  '/dev': 0o755,
  '/proc': 0o755,
  '/sys': 0o755,
  '/run': 0o755,
  '/var': 0o755,
  '/var/run': 0o755,
  '/root': 0o700,
  '/tmp': 0o1777,
};

export async function planRootfs(recipe: ImageRecipe, rootfsSources: string): Promise<RootfsPlan> {
  const plan: RootfsPlan = new Map();
  for (const [dir, mode] of Object.entries(BASE_DIRS)) plan.set(dir, { kind: 'dir', mode });

  for (const layer of recipe.layers) await addLayer(plan, path.join(rootfsSources, layer));

  for (const program of [{ path: BUSYBOX_PATH, debianPackage: 'busybox-static' }, ...recipe.hostPrograms]) {
    if (!existsSync(program.path)) {
      throw new Error(`${recipe.ref} needs ${program.path}: install ${program.debianPackage} (apt-get install -y ${program.debianPackage})`);
    }
    plan.set(program.path, { kind: 'file', mode: 0o755, source: program.path });
    for (const lib of await sharedLibraries(program.path)) {
      if (!plan.has(lib)) plan.set(lib, { kind: 'file', mode: 0o755, source: lib });
    }
  }

  for (const [link, target] of Object.entries(recipe.symlinks)) plan.set(link, { kind: 'symlink', target });

  // Every busybox applet, where `busybox --install` would put it, unless the
  // image has its own program by that name (the toolbox's curl, nslookup).
  for (const applet of await busyboxApplets()) {
    if (!plan.has(applet)) plan.set(applet, { kind: 'symlink', target: BUSYBOX_PATH });
  }
  return plan;
}

async function addLayer(plan: RootfsPlan, dir: string): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const relPath = path.posix.join(rel, entry.name);
      const source = path.join(dir, relPath);
      const imagePath = `/${relPath}`;
      if (entry.isDirectory()) {
        if (!plan.has(imagePath)) plan.set(imagePath, { kind: 'dir', mode: 0o755 });
        await walk(relPath);
      } else if (entry.isSymbolicLink()) {
        plan.set(imagePath, { kind: 'symlink', target: await fs.readlink(source) });
      } else if (entry.isFile()) {
        // Scripts are executable whatever mode the checkout left them with.
        const head = Buffer.alloc(2);
        const handle = await fs.open(source, 'r');
        try {
          await handle.read(head, 0, 2, 0);
        } finally {
          await handle.close();
        }
        const mode = head.toString('latin1') === '#!' ? 0o755 : 0o644;
        plan.set(imagePath, { kind: 'file', mode, source });
      }
    }
  };
  await walk('');
}

/** The busybox applets as `busybox --list-full` places them (`/bin/sh`, `/usr/bin/wget`, ...). */
async function busyboxApplets(): Promise<string[]> {
  const out = await run(BUSYBOX_PATH, ['--list-full']);
  if (out.code !== 0) throw new Error(`${BUSYBOX_PATH} --list-full failed: ${out.stderr.trim()}`);
  return out.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.endsWith('/busybox'))
    .map((line) => `/${line.replace(/^\/+/, '')}`);
}

/** The shared libraries (and the dynamic loader) a program needs, as ldd finds them; none for a static one. */
async function sharedLibraries(program: string): Promise<string[]> {
  const out = await run('ldd', [program]);
  const text = out.stdout + out.stderr;
  if (/not a dynamic executable|statically linked/.test(text)) return [];
  if (out.code !== 0) throw new Error(`ldd ${program} failed: ${text.trim()}`);
  return parseLddOutput(text, program);
}

/** The library paths in ldd's output; throws on a library ldd could not find. */
export function parseLddOutput(text: string, program = 'the program'): string[] {
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    if (/=>\s*not found/.test(line)) {
      throw new Error(`${program} needs ${line.trim().split(/\s/)[0]}, which is not installed`);
    }
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (match?.[1] !== undefined) libs.push(match[1]);
  }
  return libs;
}

/** sha256 over the recipe and every byte that goes into the image. */
export async function hashPlan(recipe: ImageRecipe, plan: RootfsPlan): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${BUILD_FORMAT}\n${JSON.stringify(recipe)}\n`);
  for (const imagePath of [...plan.keys()].sort()) {
    const entry = plan.get(imagePath)!;
    if (entry.kind === 'dir') hash.update(`dir ${imagePath} ${entry.mode.toString(8)}\n`);
    else if (entry.kind === 'symlink') hash.update(`symlink ${imagePath} ${entry.target}\n`);
    else {
      const content = await fs.readFile(entry.source);
      hash.update(`file ${imagePath} ${entry.mode.toString(8)} ${content.length}\n`);
      hash.update(content);
    }
  }
  return hash.digest('hex');
}

// ------------------------------------------------------------- the applier

const TEMP_PREFIX = 'mk8s-image-';

/** Temp folders left by a build that was killed mid-way (an hour old: no build takes that long). */
async function removeStaleTempDirs(): Promise<void> {
  const tmp = os.tmpdir();
  const names = await fs.readdir(tmp).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const dir = path.join(tmp, name);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat?.isDirectory() && Date.now() - stat.mtimeMs > 3600_000) await fs.rm(dir, { recursive: true, force: true });
  }
}

async function buildOne(recipe: ImageRecipe, plan: RootfsPlan, hash: string): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), `${TEMP_PREFIX}${recipe.name}-`));
  try {
    const rootfs = path.join(tmp, 'rootfs');
    await writeRootfs(plan, rootfs);
    const labels = { [IMAGE_HASH_LABEL]: hash, [BUILTIN_LABEL]: recipe.name };
    return await importImage(rootfs, recipe.ref, importChanges(recipe, labels));
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

export async function writeRootfs(plan: RootfsPlan, rootfs: string): Promise<void> {
  await fs.mkdir(rootfs, { recursive: true });
  // Sorted, so every directory is made before what is in it.
  const paths = [...plan.keys()].sort();
  const dirModes: [string, number][] = [];
  for (const imagePath of paths) {
    const entry = plan.get(imagePath)!;
    const target = path.join(rootfs, imagePath);
    await fs.mkdir(path.dirname(target), { recursive: true });
    if (entry.kind === 'dir') {
      await fs.mkdir(target, { recursive: true });
      dirModes.push([target, entry.mode]);
    } else if (entry.kind === 'symlink') {
      await fs.symlink(entry.target, target);
    } else {
      // copyFile follows the host's symlinks (libfoo.so.1 -> libfoo.so.1.2.3): the image gets the file itself.
      await fs.copyFile(entry.source, target);
      await fs.chmod(target, entry.mode);
    }
  }
  // Modes last: mkdir applies the umask, and /tmp needs its sticky bit.
  for (const [dir, mode] of dirModes) await fs.chmod(dir, mode);
}

/** tar the root filesystem into `docker import`; returns the new image's id. */
async function importImage(rootfs: string, ref: string, changes: string[]): Promise<string> {
  const tar = spawn('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const docker = spawn('docker', ['import', ...changes.flatMap((change) => ['--change', change]), '-', ref], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // docker may exit first (a bad --change): tar then gets EPIPE, reported below.
  docker.stdin.on('error', () => {});
  tar.stdout.pipe(docker.stdin);
  const [tarOut, dockerOut] = await Promise.all([collect(tar, { stdoutPiped: true }), collect(docker)]);
  if (tarOut.error !== undefined || tarOut.code !== 0) {
    throw new Error(`tar of ${ref}'s root filesystem failed: ${tarOut.error?.message ?? tarOut.stderr.trim()}`);
  }
  if (dockerOut.error !== undefined || dockerOut.code !== 0) {
    throw new Error(`docker import ${ref} failed: ${dockerOut.error?.message ?? dockerOut.stderr.trim()}`);
  }
  return dockerOut.stdout.trim();
}

interface ImageInfo {
  id: string;
  labels: Record<string, string>;
}

async function inspectImage(ref: string): Promise<ImageInfo | undefined> {
  const out = await run('docker', ['image', 'inspect', '--format', '{{json .Id}} {{json .Config.Labels}}', ref]);
  if (out.code !== 0) return undefined;
  const space = out.stdout.indexOf(' ');
  const id = JSON.parse(out.stdout.slice(0, space)) as string;
  const labels = (JSON.parse(out.stdout.slice(space + 1)) ?? {}) as Record<string, string>;
  return { id, labels };
}

/**
 * Drops the built-in images that rebuilds replaced (untagged, with our label).
 * One still used by a container stays (docker refuses), until a later build.
 */
async function removeReplacedImages(): Promise<void> {
  const out = await run('docker', ['images', '-q', '--filter', 'dangling=true', '--filter', `label=${BUILTIN_LABEL}`]);
  const ids = [...new Set(out.stdout.split('\n').map((id) => id.trim()).filter((id) => id !== ''))];
  for (const id of ids) await run('docker', ['image', 'rm', id]);
}

/** Throws a clear error unless the docker CLI can talk to a running engine. */
export async function checkDocker(): Promise<void> {
  const out = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (out.error !== undefined) {
    throw new Error(`the docker CLI is not installed (${out.error.message}); mk8s builds its images with Docker`);
  }
  if (out.code !== 0 || out.stdout.trim() === '') {
    const why = (out.stderr.trim().split('\n')[0] ?? '') || `exit code ${out.code}`;
    throw new Error(`the Docker engine is not running (docker info: ${why})`);
  }
}

/** images/rootfs, from dist/images/build.js or from images/build.ts. */
function findRootfsSources(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'rootfs'), path.resolve(here, '..', '..', 'images', 'rootfs')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'common')));
  if (found === undefined) throw new Error(`the image sources (images/rootfs) are missing; looked in ${candidates.join(', ')}`);
  return found;
}

// ------------------------------------------------------------------ spawn

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(command: string, args: string[]): Promise<RunResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child);
}

function collect(child: ReturnType<typeof spawn>, opts: { stdoutPiped?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    // A stdout piped elsewhere carries binary data and is not ours to read.
    if (!opts.stdoutPiped) child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A program that cannot be started emits 'error' (ENOENT) and maybe no 'close'.
    child.on('error', (error) => resolve({ code: null, stdout, stderr, error }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

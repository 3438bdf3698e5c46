// What `mk8s up` and the image build need on the machine. The check is a
// pure function of a snapshot of the machine (the commands on PATH, the
// files, dpkg's installed packages, `docker info`'s answer, the user):
// `mk8s doctor` prints it as a table, `mk8s up` stops on what is missing
// and, with `--install-deps` on Debian as root, runs the install plan
// computed from it (apt-get, then starting dockerd).
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { BUSYBOX_PATH, RECIPES } from '../images/recipes.js';
import { exec } from './exec.js';

/** A Debian package mk8s needs, and how to tell it is there. */
export interface Requirement {
  debianPackage: string;
  /** What it is for, in the table and the messages. */
  why: string;
  /** Commands that must be on PATH. */
  commands?: string[];
  /** Absolute paths that must exist (where mk8s uses them from). */
  files?: string[];
}

/** The CNI plugins the kubelet runs (kubelet/cni.ts), from Debian's containernetworking-plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';
const CNI_PLUGINS = ['bridge', 'host-local'];

/** The host programs the built-in images are made of (images/recipes.ts), by Debian package. */
function imagePrograms(): Requirement[] {
  const byPackage = new Map<string, string[]>();
  for (const p of [{ path: BUSYBOX_PATH, debianPackage: 'busybox-static' }, ...Object.values(RECIPES).flatMap((r) => r.hostPrograms)]) {
    const files = byPackage.get(p.debianPackage) ?? [];
    if (!files.includes(p.path)) files.push(p.path);
    byPackage.set(p.debianPackage, files);
  }
  return [...byPackage].map(([debianPackage, files]) => ({
    debianPackage,
    files,
    why: debianPackage === 'busybox-static' ? 'the built-in images are made of the host\'s busybox' : `copied into the built-in images (${files.map((f) => f.split('/').pop()).join(', ')})`,
  }));
}

/** Every Debian package `mk8s up` and the image build use, but the Docker engine (checked apart). */
export const REQUIREMENTS: readonly Requirement[] = [
  { debianPackage: 'iproute2', commands: ['ip'], why: 'node network namespaces, veths, the bridge and routes' },
  { debianPackage: 'iptables', commands: ['iptables', 'iptables-save', 'iptables-restore'], why: "the node network's FORWARD rules and the proxy's Service rules" },
  { debianPackage: 'procps', commands: ['sysctl'], why: 'IP forwarding and route_localnet in the node namespaces' },
  { debianPackage: 'containernetworking-plugins', files: CNI_PLUGINS.map((p) => join(CNI_BIN_DIR, p)), why: 'pods get their network from the real CNI plugins' },
  ...imagePrograms(),
  { debianPackage: 'libc-bin', commands: ['ldd'], why: 'the image build finds the shared libraries of the programs it copies' },
  { debianPackage: 'tar', commands: ['tar'], why: 'the image build packs each root filesystem' },
];

/** The Debian package of the Docker engine and client. */
export const DOCKER_PACKAGE = 'docker.io';

/** What the check reads: a snapshot of the machine, gathered by `gatherMachine` or made up by a test. */
export interface Machine {
  uid: number;
  /** Commands found on PATH: name → path. */
  commands: Record<string, string>;
  /** Files (of the requirements) that exist. */
  files: string[];
  /** Installed Debian packages among those asked about; undefined when there is no dpkg-query (not Debian). */
  dpkg: string[] | undefined;
  /** `docker info`'s answer; undefined when there is no docker client to ask. */
  dockerInfo: { ok: true; version: string } | { ok: false; error: string } | undefined;
}

export type CheckStatus = 'ok' | 'missing' | 'not running';

export interface Check {
  /** What the table names, e.g. `dnsutils` or `Docker engine (dockerd)`. */
  item: string;
  status: CheckStatus;
  why: string;
  /** For a missing item: what exactly is missing (`/usr/bin/dig`). */
  detail?: string;
  /** How to get it (empty when ok). */
  fix: string;
  /** The Debian package that provides it, when installing one fixes it. */
  debianPackage?: string;
  /** dpkg says the package is installed, yet its files are not there: reinstall it. */
  reinstall?: boolean;
  /** Starting the Docker engine fixes it. */
  startDocker?: boolean;
}

/** How to start an installed Docker engine. */
export const START_DOCKER = 'service docker start (or: dockerd > /var/log/dockerd.log 2>&1 &)';

function aptFix(pkg: string, m: Machine, reinstall: boolean): string {
  if (m.dpkg === undefined) return `install ${pkg} (the Debian package; use your system's equivalent)`;
  return reinstall ? `apt-get install -y --reinstall ${pkg}` : `apt-get install -y ${pkg}`;
}

function packageCheck(r: Requirement, m: Machine): Check {
  const absent = [...(r.commands ?? []).filter((c) => !m.commands[c]), ...(r.files ?? []).filter((f) => !m.files.includes(f))];
  const what = [...(r.commands ?? []), ...(r.files ?? [])].join(', ');
  const item = `${r.debianPackage} (${what})`;
  if (absent.length === 0) return { item, status: 'ok', why: r.why, fix: '' };
  const reinstall = !!m.dpkg?.includes(r.debianPackage);
  return { item, status: 'missing', why: r.why, detail: absent.join(', '), fix: aptFix(r.debianPackage, m, reinstall), debianPackage: r.debianPackage, reinstall };
}

/** The Docker client and engine: "the engine" is dockerd answering `docker info`. */
function dockerChecks(m: Machine): Check[] {
  const out: Check[] = [];
  const reinstall = !!m.dpkg?.includes(DOCKER_PACKAGE);
  const client = `${DOCKER_PACKAGE}: client (docker)`;
  const engine = `${DOCKER_PACKAGE}: engine (dockerd)`;
  if (!m.commands.docker) {
    out.push({ item: client, status: 'missing', why: 'mk8s builds its images and runs pods with the docker CLI', detail: 'docker', fix: aptFix(DOCKER_PACKAGE, m, reinstall), debianPackage: DOCKER_PACKAGE, reinstall });
  } else {
    out.push({ item: client, status: 'ok', why: 'mk8s builds its images and runs pods with the docker CLI', fix: '' });
  }
  const why = 'pods are Docker containers';
  if (m.dockerInfo?.ok) {
    out.push({ item: engine, status: 'ok', why: `${why} (engine ${m.dockerInfo.version})`, fix: '' });
  } else if (!m.commands.dockerd) {
    // A docker client alone is no engine: install the engine's package.
    out.push({ item: engine, status: 'missing', why, detail: 'dockerd', fix: aptFix(DOCKER_PACKAGE, m, reinstall), debianPackage: DOCKER_PACKAGE, reinstall, startDocker: true });
  } else if (m.dockerInfo === undefined) {
    // Installed, and no client to ask whether it runs: the client's package brings one; then start it if need be.
    out.push({ item: engine, status: 'not running', why, detail: 'no docker client to ask', fix: `install the client, then: ${START_DOCKER}`, startDocker: true });
  } else if (/permission denied/i.test(m.dockerInfo.error)) {
    // The engine may well run: this user may not talk to it.
    out.push({ item: engine, status: 'missing', why, detail: `docker info: ${m.dockerInfo.error}`, fix: 'run it as root: sudo mk8s up' });
  } else {
    out.push({ item: engine, status: 'not running', why, detail: `docker info: ${m.dockerInfo.error}`, fix: START_DOCKER, startDocker: true });
  }
  return out;
}

/** Every prerequisite of `mk8s up` and the image build, each ok or with how to get it. */
export function checkPrerequisites(m: Machine): Check[] {
  const root: Check =
    m.uid === 0
      ? { item: 'root', status: 'ok', why: 'network namespaces, a bridge, routes and iptables rules', fix: '' }
      : { item: 'root', status: 'missing', why: 'network namespaces, a bridge, routes and iptables rules', detail: `uid ${m.uid}`, fix: 'run it as root: sudo mk8s up' };
  return [root, ...REQUIREMENTS.map((r) => packageCheck(r, m)), ...dockerChecks(m)];
}

export const missingOf = (checks: Check[]) => checks.filter((c) => c.status !== 'ok');

export interface InstallPlan {
  /** The commands to run, in order (apt-get update, then the installs). */
  commands: string[][];
  /** Start the Docker engine afterwards. */
  startDocker: boolean;
  /** What installing cannot fix here, with why. */
  cannot: { check: Check; reason: string }[];
}

/** What `--install-deps` would run for these checks: pure, so a test reads the exact command lines. */
export function installPlan(checks: Check[], m: Machine): InstallPlan {
  const missing = missingOf(checks);
  const cannot: InstallPlan['cannot'] = [];
  const debian = m.dpkg !== undefined && !!m.commands['apt-get'];
  const canInstall = debian && m.uid === 0;
  const install: string[] = [];
  const reinstall: string[] = [];
  for (const c of missing) {
    if (c.debianPackage) {
      if (!canInstall) {
        cannot.push({ check: c, reason: !debian ? 'not a Debian machine (no dpkg-query and apt-get)' : 'installing packages needs root' });
        continue;
      }
      const into = c.reinstall ? reinstall : install;
      if (!into.includes(c.debianPackage)) into.push(c.debianPackage);
    } else if (!c.startDocker) {
      cannot.push({ check: c, reason: c.fix });
    }
  }
  const commands: string[][] = [];
  if (install.length || reinstall.length) commands.push(['apt-get', 'update', '-qq']);
  if (install.length) commands.push(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...install]);
  if (reinstall.length) commands.push(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', '--reinstall', ...reinstall]);
  const startDocker = missing.some((c) => c.startDocker) && m.uid === 0;
  return { commands, startDocker, cannot };
}

/** `mk8s doctor`'s table: ITEM, STATUS, HOW TO FIX, columns as kubectl pads them. */
export function prerequisitesTable(checks: Check[]): string {
  const rows = [['ITEM', 'STATUS', 'HOW TO FIX'], ...checks.map((c) => [c.item, c.status === 'ok' ? 'ok' : `${c.status}${c.detail ? `: ${c.detail}` : ''}`, c.fix])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `${r[0].padEnd(widths[0] + 3)}${r[1].padEnd(widths[1] + 3)}${r[2]}`.trimEnd()).join('\n') + '\n';
}

/** The lines `mk8s up` prints for what is missing, and the one command that installs it all. */
export function describeMissing(missing: Check[], m?: Machine): string {
  const lines = missing.map((c) => `  ✗ ${c.item}: ${c.status}${c.detail ? ` (${c.detail})` : ''}, needed for ${c.why}: ${c.fix}`);
  const pkgs = [...new Set(missing.filter((c) => c.debianPackage && !c.reinstall).map((c) => c.debianPackage!))];
  if (pkgs.length && (m === undefined || m.dpkg !== undefined)) lines.push('', `  To install them: sudo apt-get install -y ${pkgs.join(' ')}   (or: sudo mk8s up --install-deps)`);
  return lines.join('\n');
}

// ------------------------------------------------------------------ the machine

export interface GatherOptions {
  /** The PATH to search (default $PATH). */
  path?: string;
  /** Where the requirements' absolute files are looked for (default /). */
  root?: string;
  uid?: number;
}

function onPath(cmd: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The machine as the check reads it: commands on PATH, files, `dpkg-query`, `docker info`. */
export async function gatherMachine(o: GatherOptions = {}): Promise<Machine> {
  const path = o.path ?? process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const root = o.root ?? '/';
  const env = { ...process.env, PATH: path };
  const names = new Set(['docker', 'dockerd', 'apt-get', 'dpkg-query', ...REQUIREMENTS.flatMap((r) => r.commands ?? [])]);
  const commands: Record<string, string> = {};
  for (const c of names) {
    const p = onPath(c, path);
    if (p) commands[c] = p;
  }
  const files = REQUIREMENTS.flatMap((r) => r.files ?? []).filter((f) => existsSync(join(root, f)));
  let dpkg: string[] | undefined;
  if (commands['dpkg-query']) {
    const pkgs = [...new Set([...REQUIREMENTS.map((r) => r.debianPackage), DOCKER_PACKAGE])];
    // Exit 1 when some package is unknown; the known ones are still listed.
    const r = await exec([commands['dpkg-query'], '-W', '--showformat=${Package}\\t${db:Status-Status}\\n', ...pkgs], { env, timeoutMs: 30_000 });
    dpkg = r.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([name, status]) => name && status === 'installed')
      .map(([name]) => name.split(':')[0]);
  }
  let dockerInfo: Machine['dockerInfo'];
  if (commands.docker) {
    const r = await exec([commands.docker, 'info', '--format', '{{.ServerVersion}}'], { env, timeoutMs: 15_000 });
    const version = r.stdout.trim();
    dockerInfo = r.code === 0 && version ? { ok: true, version } : { ok: false, error: (r.stderr.trim().split('\n').pop() ?? '') || `exit code ${r.code}` };
  }
  return { uid: o.uid ?? process.getuid?.() ?? 0, commands, files, dpkg, dockerInfo };
}

async function dockerAnswers(m: Machine, env: NodeJS.ProcessEnv): Promise<boolean> {
  return !!m.commands.docker && (await exec([m.commands.docker, 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 5000, env })).code === 0;
}

export interface InstallOptions {
  /** Where dockerd's log goes when mk8s starts it itself. */
  logDir: string;
  say: (line: string) => void;
  /** The machine to work on (default this one, with $PATH). */
  gather?: GatherOptions;
  /** How long to wait for a started Docker engine to answer (default 60 s). */
  dockerWaitMs?: number;
}

/** Run the install plan (apt-get, then start dockerd); returns the checks of the machine afterwards. */
export async function installPrerequisites(o: InstallOptions): Promise<Check[]> {
  const { say } = o;
  const path = o.gather?.path ?? process.env.PATH;
  const env = { ...process.env, ...(path !== undefined ? { PATH: path } : {}), DEBIAN_FRONTEND: 'noninteractive' };
  let machine = await gatherMachine(o.gather);
  const plan = installPlan(checkPrerequisites(machine), machine);
  for (const { check, reason } of plan.cannot) say(`  cannot fix ${check.item} here: ${reason}`);
  for (const argv of plan.commands) {
    say(`  ${argv.join(' ')}`);
    const r = await exec([machine.commands[argv[0]] ?? argv[0], ...argv.slice(1)], { timeoutMs: 600_000, env });
    if (r.code !== 0) {
      say(`  ${argv.slice(0, 2).join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      break;
    }
  }
  machine = await gatherMachine(o.gather);
  const engine = checkPrerequisites(machine).find((c) => c.startDocker && c.status !== 'ok');
  if (plan.startDocker && engine && machine.commands.dockerd && machine.commands.docker) {
    say('  starting the Docker engine (dockerd)…');
    const service = onPath('service', env.PATH ?? '');
    const answersWithin = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (await dockerAnswers(machine, env)) return true;
        await new Promise((r) => setTimeout(r, 500));
      }
      return dockerAnswers(machine, env);
    };
    // `service docker start` returns before dockerd answers: wait for it rather than start a second engine.
    const started = !!service && (await exec([service, 'docker', 'start'], { timeoutMs: 60_000, env })).code === 0 && (await answersWithin(20_000));
    if (!started) {
      mkdirSync(o.logDir, { recursive: true });
      const fd = openSync(join(o.logDir, 'dockerd.log'), 'a');
      const child = spawn(machine.commands.dockerd, [], { detached: true, stdio: ['ignore', fd, fd], env });
      child.on('error', (e) => say(`  dockerd did not start: ${e.message}`));
      child.unref();
      closeSync(fd);
    }
    const until = Date.now() + (o.dockerWaitMs ?? 60_000);
    while (Date.now() < until && !(await dockerAnswers(machine, env))) await new Promise((r) => setTimeout(r, 500));
    machine = await gatherMachine(o.gather);
  }
  return checkPrerequisites(machine);
}

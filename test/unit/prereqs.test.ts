// The prerequisite check of `mk8s up` / `mk8s doctor` on simulated machines:
// a temp dir holds a PATH of fake commands (shell scripts), a root for the
// files mk8s uses (CNI plugins, busybox, the image programs), a fake
// dpkg-query answering from a list of installed packages, a fake docker whose
// engine answers once "started", and a fake apt-get that records its command
// line and "installs" a package by copying the package's staged files into
// place. Each prerequisite is removed in turn: the check names it, and
// installing runs apt-get for exactly that package and leaves nothing missing.
import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import {
  DOCKER_PACKAGE,
  REQUIREMENTS,
  START_DOCKER,
  checkPrerequisites,
  describeMissing,
  gatherMachine,
  installPlan,
  installPrerequisites,
  missingOf,
  prerequisitesTable,
  type Machine,
} from '../../cluster/prereqs.js';
import { mk8sBin } from '../../testkit/process.js';

/** Every package with what it puts on the machine: commands into bin/, files under root/. */
const PACKAGES: { name: string; commands: string[]; files: string[] }[] = [
  ...REQUIREMENTS.map((r) => ({ name: r.debianPackage, commands: r.commands ?? [], files: r.files ?? [] })),
  { name: DOCKER_PACKAGE, commands: ['docker', 'dockerd'], files: [] },
];

const script = (path: string, body: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
};

interface FakeMachine {
  dir: string;
  bin: string;
  root: string;
  /** apt-get's recorded command lines. */
  aptLog(): string[];
  gather(uid?: number): Promise<Machine>;
  /** Remove a package: its commands, its files and its dpkg entry (or only its files, keeping dpkg's entry). */
  remove(pkg: string, o?: { keepDpkgEntry?: boolean; only?: string }): void;
  removeCommand(cmd: string): void;
  installed(): string[];
}

function fakeMachine(t: { teardown(fn: () => void): void }, o: { engineRunning?: boolean } = {}): FakeMachine {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-prereqs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  const root = join(dir, 'root');
  const stage = join(dir, 'pkgs');
  // A command of a package: does nothing, successfully.
  for (const p of PACKAGES) {
    for (const c of p.commands) {
      if (c === 'docker') {
        script(
          join(stage, p.name, 'bin', c),
          `if [ -e "${dir}/engine-running" ]; then echo 27.5.1; exit 0; fi\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1`,
        );
      } else if (c === 'dockerd') {
        script(join(stage, p.name, 'bin', c), `: > "${dir}/engine-running"`);
      } else {
        script(join(stage, p.name, 'bin', c), 'exit 0');
      }
    }
    for (const f of p.files) script(join(stage, p.name, 'root', f), 'exit 0');
  }
  // Installed at the start: everything.
  for (const p of PACKAGES) {
    for (const c of p.commands) script(join(bin, c), readFileSync(join(stage, p.name, 'bin', c), 'utf8').replace(/^#!\/bin\/sh\n/, '').trimEnd());
    for (const f of p.files) script(join(root, f), 'exit 0');
  }
  writeFileSync(join(dir, 'installed'), PACKAGES.map((p) => p.name).join('\n') + '\n');
  if (o.engineRunning !== false) writeFileSync(join(dir, 'engine-running'), '');
  // dpkg-query -W --showformat=… PKG…: the installed ones, as dpkg prints them (only shell builtins: PATH is fake).
  script(
    join(bin, 'dpkg-query'),
    `shift 2\nfor p in "$@"; do\n  found=\n  while IFS= read -r line; do [ "$line" = "$p" ] && found=1; done < "${dir}/installed"\n  if [ -n "$found" ]; then printf '%s\\tinstalled\\n' "$p"; else echo "dpkg-query: no packages found matching $p" >&2; fi\ndone`,
  );
  // apt-get: records its arguments; `install` copies each named package's staged files into place.
  script(
    join(bin, 'apt-get'),
    `echo "$*" >> "${dir}/apt.log"\n[ "$1" = install ] || exit 0\nfor p in "$@"; do\n  [ -d "${stage}/$p" ] || continue\n  /bin/cp -a "${stage}/$p/." "${dir}/"\n  echo "$p" >> "${dir}/installed"\ndone`,
  );
  // service docker start: the engine answers from now on.
  script(join(bin, 'service'), `[ "$1 $2" = "docker start" ] && : > "${dir}/engine-running"`);

  const m: FakeMachine = {
    dir,
    bin,
    root,
    aptLog: () => (existsSync(join(dir, 'apt.log')) ? readFileSync(join(dir, 'apt.log'), 'utf8').trim().split('\n') : []),
    gather: (uid = 0) => gatherMachine({ path: bin, root, uid }),
    remove(pkg, ro = {}) {
      const p = PACKAGES.find((x) => x.name === pkg)!;
      for (const c of p.commands) if (!ro.only || ro.only === c) rmSync(join(bin, c), { force: true });
      for (const f of p.files) if (!ro.only || ro.only === f) rmSync(join(root, f), { force: true });
      if (!ro.keepDpkgEntry) writeFileSync(join(dir, 'installed'), m.installed().filter((x) => x !== pkg).join('\n') + '\n');
    },
    removeCommand: (cmd) => rmSync(join(bin, cmd), { force: true }),
    installed: () => readFileSync(join(dir, 'installed'), 'utf8').split('\n').filter(Boolean),
  };
  return m;
}

const quiet = () => undefined;

test('a machine with everything: every check ok, nothing to install', async (t) => {
  const f = fakeMachine(t);
  const machine = await f.gather();
  const checks = checkPrerequisites(machine);
  t.deepEqual(missingOf(checks), []);
  t.deepEqual(machine.dockerInfo, { ok: true, version: '27.5.1' });
  t.deepEqual(installPlan(checks, machine), { commands: [], startDocker: false, cannot: [] });
  // One row per Debian package (the Docker package twice: client and engine) and root.
  t.is(checks.length, REQUIREMENTS.length + 3);
});

test('the check covers the packages mk8s up and the image build use', (t) => {
  const pkgs = PACKAGES.map((p) => p.name);
  for (const p of ['iproute2', 'iptables', 'containernetworking-plugins', 'busybox-static', 'curl', 'dnsutils', 'docker.io', 'procps', 'dash']) t.true(pkgs.includes(p), p);
  const files = REQUIREMENTS.flatMap((r) => r.files ?? []);
  for (const f of ['/usr/bin/dig', '/usr/bin/nslookup', '/usr/bin/host', '/usr/bin/curl', '/bin/busybox', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local']) t.true(files.includes(f), f);
});

for (const pkg of PACKAGES) {
  test(`a machine without ${pkg.name}: named, with how to get it, and --install-deps installs it`, async (t) => {
    const f = fakeMachine(t);
    f.remove(pkg.name);
    const machine = await f.gather();
    const missing = missingOf(checkPrerequisites(machine));
    t.true(missing.length > 0);
    for (const c of missing) {
      t.is(c.debianPackage, pkg.name, c.item);
      t.true(c.item.startsWith(pkg.name), c.item);
      t.is(c.fix, `apt-get install -y ${pkg.name}`);
    }
    // Each of its commands and files is named as missing.
    const details = missing.map((c) => c.detail).join(', ');
    for (const x of [...pkg.commands, ...pkg.files]) t.true(details.includes(x), `${x} in ${details}`);
    t.regex(describeMissing(missing, machine), new RegExp(`To install them: sudo apt-get install -y ${pkg.name} `));

    const plan = installPlan(checkPrerequisites(machine), machine);
    t.deepEqual(plan.commands, [
      ['apt-get', 'update', '-qq'],
      ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg.name],
    ]);
    t.deepEqual(plan.cannot, []);

    const after = await installPrerequisites({ logDir: join(f.dir, 'logs'), say: quiet, gather: { path: f.bin, root: f.root, uid: 0 }, dockerWaitMs: 5000 });
    t.deepEqual(f.aptLog(), ['update -qq', `install -y -qq --no-install-recommends ${pkg.name}`]);
    t.deepEqual(missingOf(after), []);
  });
}

test('a docker client without an engine: the engine (dockerd) is missing, docker.io is installed, then started', async (t) => {
  const f = fakeMachine(t, { engineRunning: false });
  // A docker client (not from docker.io) and no dockerd.
  f.remove(DOCKER_PACKAGE, { only: 'dockerd' });
  writeFileSync(join(f.dir, 'installed'), f.installed().filter((p) => p !== DOCKER_PACKAGE).join('\n') + '\n');
  const machine = await f.gather();
  t.like(machine.dockerInfo, { ok: false });
  const missing = missingOf(checkPrerequisites(machine));
  t.is(missing.length, 1);
  t.like(missing[0], { item: 'docker.io: engine (dockerd)', status: 'missing', detail: 'dockerd', fix: 'apt-get install -y docker.io', debianPackage: 'docker.io' });
  // No "start it": there is no engine to start.
  t.notRegex(describeMissing(missing, machine), /service docker start|dockerd &/);
  const plan = installPlan(checkPrerequisites(machine), machine);
  t.deepEqual(plan.commands.at(-1), ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'docker.io']);
  t.true(plan.startDocker);

  const after = await installPrerequisites({ logDir: join(f.dir, 'logs'), say: quiet, gather: { path: f.bin, root: f.root, uid: 0 }, dockerWaitMs: 5000 });
  t.deepEqual(missingOf(after), []);
  t.true(existsSync(join(f.dir, 'engine-running')), 'the engine was started');
});

test('dockerd installed but not running: says how to start it; --install-deps starts it without apt-get', async (t) => {
  const f = fakeMachine(t, { engineRunning: false });
  const machine = await f.gather();
  const missing = missingOf(checkPrerequisites(machine));
  t.is(missing.length, 1);
  t.like(missing[0], { item: 'docker.io: engine (dockerd)', status: 'not running', fix: START_DOCKER, startDocker: true });
  t.regex(missing[0].detail!, /^docker info: Cannot connect to the Docker daemon/);
  t.is(missing[0].debianPackage, undefined);
  t.deepEqual(installPlan(checkPrerequisites(machine), machine), { commands: [], startDocker: true, cannot: [] });
  const lines: string[] = [];
  const after = await installPrerequisites({ logDir: join(f.dir, 'logs'), say: (l) => lines.push(l), gather: { path: f.bin, root: f.root, uid: 0 }, dockerWaitMs: 5000 });
  t.deepEqual(missingOf(after), []);
  t.deepEqual(f.aptLog(), []);
  t.true(lines.some((l) => /starting the Docker engine/.test(l)));
});

test('no service command: the engine is started as dockerd itself', async (t) => {
  const f = fakeMachine(t, { engineRunning: false });
  rmSync(join(f.bin, 'service'));
  const after = await installPrerequisites({ logDir: join(f.dir, 'logs'), say: quiet, gather: { path: f.bin, root: f.root, uid: 0 }, dockerWaitMs: 5000 });
  t.deepEqual(missingOf(after), []);
  t.true(existsSync(join(f.dir, 'logs', 'dockerd.log')));
});

test('a package dpkg lists whose file is gone is reinstalled', async (t) => {
  const f = fakeMachine(t);
  f.remove('dnsutils', { keepDpkgEntry: true, only: '/usr/bin/dig' });
  const machine = await f.gather();
  const missing = missingOf(checkPrerequisites(machine));
  t.is(missing.length, 1);
  t.like(missing[0], { status: 'missing', detail: '/usr/bin/dig', fix: 'apt-get install -y --reinstall dnsutils', reinstall: true });
  t.deepEqual(installPlan(checkPrerequisites(machine), machine).commands, [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', '--reinstall', 'dnsutils'],
  ]);
});

test('several missing: one apt-get install naming each package once', async (t) => {
  const f = fakeMachine(t, { engineRunning: false });
  for (const p of ['curl', 'dnsutils', DOCKER_PACKAGE]) f.remove(p);
  const machine = await f.gather();
  const plan = installPlan(checkPrerequisites(machine), machine);
  t.deepEqual(plan.commands, [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'curl', 'dnsutils', 'docker.io'],
  ]);
  t.true(plan.startDocker);
});

test('not root: root is missing and nothing can be installed', async (t) => {
  const f = fakeMachine(t);
  f.remove('iproute2');
  const machine = await f.gather(1000);
  const checks = checkPrerequisites(machine);
  t.like(checks[0], { item: 'root', status: 'missing', fix: 'run it as root: sudo mk8s up' });
  const plan = installPlan(checks, machine);
  t.deepEqual(plan.commands, []);
  t.deepEqual(
    plan.cannot.map((c) => [c.check.item, c.reason]),
    [
      ['root', 'run it as root: sudo mk8s up'],
      ['iproute2 (ip)', 'installing packages needs root'],
    ],
  );
});

test('docker info refused for lack of permission: no "start it", run as root', (t) => {
  const machine: Machine = {
    uid: 1000,
    commands: { docker: '/usr/bin/docker', dockerd: '/usr/sbin/dockerd' },
    files: [],
    dpkg: [DOCKER_PACKAGE],
    dockerInfo: { ok: false, error: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' },
  };
  const engine = checkPrerequisites(machine).find((c) => c.item === 'docker.io: engine (dockerd)')!;
  t.like(engine, { status: 'missing', fix: 'run it as root: sudo mk8s up', startDocker: undefined });
  t.false(installPlan(checkPrerequisites(machine), machine).startDocker);
});

test('not Debian (no dpkg-query, no apt-get): the package is named, nothing is run', async (t) => {
  const f = fakeMachine(t);
  f.remove('iptables');
  f.removeCommand('dpkg-query');
  f.removeCommand('apt-get');
  const machine = await f.gather();
  t.is(machine.dpkg, undefined);
  const missing = missingOf(checkPrerequisites(machine));
  t.is(missing.length, 1);
  t.like(missing[0], { detail: 'iptables, iptables-save, iptables-restore', fix: "install iptables (the Debian package; use your system's equivalent)" });
  t.notRegex(describeMissing(missing, machine), /apt-get/);
  t.deepEqual(installPlan(checkPrerequisites(machine), machine).commands, []);
});

test('the doctor table: a row per item, its status, how to fix it', (t) => {
  const machine: Machine = { uid: 0, commands: {}, files: [], dpkg: [], dockerInfo: undefined };
  const table = prerequisitesTable(checkPrerequisites(machine)).split('\n');
  t.regex(table[0], /^ITEM +STATUS +HOW TO FIX$/);
  t.regex(table[1], /^root +ok$/);
  t.true(table.some((l) => /^dnsutils \(\/usr\/bin\/dig, \/usr\/bin\/nslookup, \/usr\/bin\/host\) +missing: \/usr\/bin\/dig, \/usr\/bin\/nslookup, \/usr\/bin\/host +apt-get install -y dnsutils$/.test(l)), table.join('\n'));
  t.true(table.some((l) => /^docker\.io: engine \(dockerd\) +missing: dockerd +apt-get install -y docker\.io$/.test(l)), table.join('\n'));
});

test('mk8s doctor prints the check, exits 1 when something is missing, and changes nothing', async (t) => {
  const f = fakeMachine(t);
  f.remove('iproute2');
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [mk8sBin, 'doctor'], { env: { ...process.env, PATH: f.bin } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /^ITEM +STATUS +HOW TO FIX\n/);
  t.regex(r.stdout, /\niproute2 \(ip\) +missing: ip +apt-get install -y iproute2\n/);
  t.regex(r.stdout, /mk8s up --install-deps would run:\n {2}apt-get update -qq\n {2}apt-get install -y -qq --no-install-recommends iproute2/);
  t.deepEqual(f.aptLog(), [], 'doctor ran no apt-get');
  t.deepEqual(f.installed().includes('iproute2'), false);
});

test('mk8s up --install-deps names what is missing, runs apt-get for it, and stops when it is still missing', async (t) => {
  const f = fakeMachine(t);
  f.remove('iproute2');
  // This apt-get "installs" nothing for iproute2: up must stop before touching the machine.
  rmSync(join(f.dir, 'pkgs', 'iproute2'), { recursive: true });
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [mk8sBin, 'up', '--install-deps', '--name', 'prereqs-test'],
      { env: { ...process.env, PATH: f.bin, MK8S_HOME: join(f.dir, 'home') }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /^Installing what mk8s up needs: iproute2 \(ip\)/);
  t.regex(r.stdout, /\n {2}apt-get install -y -qq --no-install-recommends iproute2\n/);
  t.regex(r.stdout, /mk8s up needs:\n {2}✗ iproute2 \(ip\): missing \(ip\), needed for node network namespaces, veths, the bridge and routes: apt-get install -y iproute2\n/);
  t.deepEqual(f.aptLog().slice(0, 2), ['update -qq', 'install -y -qq --no-install-recommends iproute2']);
});

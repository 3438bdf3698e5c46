// What `mk8s up` needs on the machine, each missing piece with a message
// saying how to get it; on Debian as root, `--install-deps` installs the
// packages and starts the Docker engine.
import { existsSync, openSync, closeSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { exec } from './exec.js';

export interface Missing {
  what: string;
  why: string;
  /** Debian package that provides it. */
  debianPackage?: string;
  /** The Docker engine is installed but not running. */
  startDocker?: boolean;
}

async function hasCommand(cmd: string): Promise<boolean> {
  return (await exec(['sh', '-c', `command -v ${cmd}`])).code === 0;
}

export async function checkPrerequisites(cniBinDir = '/usr/lib/cni'): Promise<Missing[]> {
  const out: Missing[] = [];
  if (process.getuid?.() !== 0) {
    out.push({ what: 'root', why: 'mk8s up makes network namespaces, a bridge, routes and iptables rules: run it as root (sudo mk8s up)' });
  }
  if (!(await hasCommand('ip'))) out.push({ what: 'ip (iproute2)', why: 'needed for node namespaces, veths and routes', debianPackage: 'iproute2' });
  if (!(await hasCommand('iptables'))) out.push({ what: 'iptables', why: 'needed for the node network FORWARD rules and Service rules', debianPackage: 'iptables' });
  for (const p of ['bridge', 'host-local', 'loopback']) {
    if (!existsSync(join(cniBinDir, p))) {
      out.push({ what: `CNI plugin ${p}`, why: `${join(cniBinDir, p)} is missing: pods get their network from the real CNI plugins`, debianPackage: 'containernetworking-plugins' });
      break;
    }
  }
  if (!existsSync('/bin/busybox') && !existsSync('/usr/bin/busybox')) {
    out.push({ what: 'busybox-static', why: "mk8s builds its images (pause, hello-from, toolbox…) from the host's static busybox", debianPackage: 'busybox-static' });
  }
  if (!(await hasCommand('docker'))) {
    out.push({ what: 'Docker engine', why: 'pods are Docker containers', debianPackage: 'docker.io' });
  } else if ((await exec(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 })).code !== 0) {
    out.push({ what: 'Docker engine (running)', why: 'docker is installed but the engine does not answer: start it (service docker start, or dockerd &)', startDocker: true });
  }
  return out;
}

export function describeMissing(m: Missing[]): string {
  const lines = m.map((x) => `  ✗ ${x.what}: ${x.why}${x.debianPackage ? ` (Debian: apt-get install ${x.debianPackage})` : ''}`);
  const pkgs = [...new Set(m.map((x) => x.debianPackage).filter(Boolean))];
  if (pkgs.length) lines.push('', `  To install them: sudo apt-get install -y ${pkgs.join(' ')}   (or: mk8s up --install-deps)`);
  return lines.join('\n');
}

/** Install the missing Debian packages and start dockerd; returns what is still missing. */
export async function installPrerequisites(missing: Missing[], logDir: string, say: (s: string) => void): Promise<Missing[]> {
  if (process.getuid?.() !== 0 || !existsSync('/etc/debian_version')) return missing;
  const pkgs = [...new Set(missing.map((m) => m.debianPackage).filter((p): p is string => !!p))];
  if (pkgs.length) {
    say(`Installing ${pkgs.join(' ')} (apt-get)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await exec(['apt-get', 'update', '-qq'], { timeoutMs: 300_000, env });
    const r = await exec(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { timeoutMs: 600_000, env });
    if (r.code !== 0) say(`apt-get install failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  let now = await checkPrerequisites();
  if (now.some((m) => m.startDocker || m.what === 'Docker engine')) {
    if (await hasCommand('dockerd')) {
      say('Starting the Docker engine (dockerd)…');
      const started = (await exec(['service', 'docker', 'start'], { timeoutMs: 60_000 })).code === 0;
      if (!started) {
        mkdirSync(logDir, { recursive: true });
        const fd = openSync(join(logDir, 'dockerd.log'), 'a');
        spawn('dockerd', [], { detached: true, stdio: ['ignore', fd, fd] }).unref();
        closeSync(fd);
      }
      for (let i = 0; i < 60; i++) {
        if ((await exec(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 5000 })).code === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      now = await checkPrerequisites();
    }
  }
  return now;
}

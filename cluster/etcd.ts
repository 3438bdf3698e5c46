// The etcd launcher: Debian's etcd (etcd-server 3.4, /usr/bin/etcd) as one
// or more members of one cluster, each a recorded background process with
// its own data dir (optionally inside a node's network namespace), and the
// TLS kubeadm gives it: every member serves clients and peers with a
// certificate signed by the cluster CA and requires client certificates from
// the same CA (the API server's apiserver-etcd-client, which `mk8s etcdctl`
// uses too, as kubeadm's etcd static pod does with its healthcheck client).
//
// The argv is pure (etcdMemberArgv); starting, health and etcdctl are thin.
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCertPair, type CertificateAuthority } from '../apiserver/certs.js';
import { spawnDetached, type ProcessSpec, type RecordedProcess } from './state.js';

export const ETCD_BIN = '/usr/bin/etcd';
export const ETCDCTL_BIN = '/usr/bin/etcdctl';

export interface EtcdMember {
  /** Member name (`--name`), unique in the cluster, e.g. the node's name. */
  name: string;
  /** The address it listens on for clients and peers (a node IP, or 127.0.0.1). */
  ip: string;
  clientPort?: number;
  peerPort?: number;
  dataDir: string;
  /** Run inside this network namespace (`ip netns exec NS etcd …`). */
  netns?: string;
  /** Log file (ProcessSpec.log). */
  log: string;
}

/** Certificate files, as kubeadm lays them out under pki/etcd/. */
export interface EtcdTls {
  /** The CA that signed every member's and client's certificate. */
  caFile: string;
  /** A member's serving+peer certificate and key. */
  memberCert(name: string): { certFile: string; keyFile: string };
  /** The client certificate the API servers and etcdctl use. */
  clientCertFile: string;
  clientKeyFile: string;
}

export interface EtcdClusterSpec {
  members: EtcdMember[];
  /** `--initial-cluster-token`: keeps members of different clusters apart. */
  token: string;
  /** Without it: plain http on clients and peers (tests on loopback). */
  tls?: EtcdTls;
  /** `new` (default) or `existing` (a member joining a running cluster). */
  state?: 'new' | 'existing';
}

const scheme = (tls: EtcdTls | undefined) => (tls ? 'https' : 'http');
const host = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);

export function clientUrl(m: EtcdMember, tls?: EtcdTls): string {
  return `${scheme(tls)}://${host(m.ip)}:${m.clientPort ?? 2379}`;
}

export function peerUrl(m: EtcdMember, tls?: EtcdTls): string {
  return `${scheme(tls)}://${host(m.ip)}:${m.peerPort ?? 2380}`;
}

/** The endpoints the API server and etcdctl use (`--etcd-servers`). */
export function clientUrls(spec: EtcdClusterSpec): string[] {
  return spec.members.map((m) => clientUrl(m, spec.tls));
}

/** `--initial-cluster`: name=peerURL for every member. */
export function initialCluster(spec: EtcdClusterSpec): string {
  return spec.members.map((m) => `${m.name}=${peerUrl(m, spec.tls)}`).join(',');
}

/** The command line of one member (pure). */
export function etcdMemberArgv(spec: EtcdClusterSpec, m: EtcdMember): string[] {
  const tls = spec.tls;
  const argv = [
    ...(m.netns ? ['ip', 'netns', 'exec', m.netns] : []),
    ETCD_BIN,
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client-urls', clientUrl(m, tls),
    '--advertise-client-urls', clientUrl(m, tls),
    '--listen-peer-urls', peerUrl(m, tls),
    '--initial-advertise-peer-urls', peerUrl(m, tls),
    '--initial-cluster', initialCluster(spec),
    '--initial-cluster-state', spec.state ?? 'new',
    '--initial-cluster-token', spec.token,
    // kube-apiserver compacts every 5 minutes itself; etcd does it here (a watch from a compacted revision gets 410 Gone).
    '--auto-compaction-mode', 'periodic',
    '--auto-compaction-retention', '5m',
    '--snapshot-count', '10000',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
  if (tls) {
    const mc = tls.memberCert(m.name);
    argv.push(
      '--cert-file', mc.certFile,
      '--key-file', mc.keyFile,
      '--trusted-ca-file', tls.caFile,
      '--client-cert-auth',
      '--peer-cert-file', mc.certFile,
      '--peer-key-file', mc.keyFile,
      '--peer-trusted-ca-file', tls.caFile,
      '--peer-client-cert-auth',
    );
  }
  return argv;
}

/** One recorded background process per member (pure). */
export function etcdProcessSpecs(spec: EtcdClusterSpec): ProcessSpec[] {
  return spec.members.map((m) => ({ role: 'etcd', node: m.name, argv: etcdMemberArgv(spec, m), log: m.log }));
}

/** Where the certificates live: `<pkiDir>/etcd/{ca.crt,<member>.crt,…}` and the client pair (pure). */
export function etcdTlsPaths(pkiDir: string, caFile: string): EtcdTls {
  return {
    caFile,
    memberCert: (name) => ({ certFile: join(pkiDir, 'etcd', `member-${name}.crt`), keyFile: join(pkiDir, 'etcd', `member-${name}.key`) }),
    clientCertFile: join(pkiDir, 'apiserver-etcd-client.crt'),
    clientKeyFile: join(pkiDir, 'apiserver-etcd-client.key'),
  };
}

/** Make (or keep, when still valid) each member's certificate and the client certificate, signed by `ca`. */
export async function ensureEtcdPki(pkiDir: string, ca: CertificateAuthority, members: EtcdMember[]): Promise<void> {
  for (const m of members) {
    await ensureCertPair(join(pkiDir, 'etcd'), `member-${m.name}`, ca, {
      commonName: m.name,
      sans: [m.ip, m.name, 'localhost', '127.0.0.1'],
      usage: 'peer',
    });
  }
  await ensureCertPair(pkiDir, 'apiserver-etcd-client', ca, { commonName: 'kube-apiserver-etcd-client', usage: 'client' });
}

/** Start every member (they find each other through --initial-cluster); returns the recorded processes. */
export async function startEtcdMembers(spec: EtcdClusterSpec): Promise<RecordedProcess[]> {
  const out: RecordedProcess[] = [];
  for (const p of etcdProcessSpecs(spec)) out.push(await spawnDetached(p));
  return out;
}

/** GET /health on one client URL: true when the member answers `"health":"true"`. */
export function memberHealthy(url: string, tls?: EtcdTls, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const opts = tls
      ? { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile), timeout: timeoutMs }
      : { timeout: timeoutMs };
    const req = (url.startsWith('https:') ? request : httpRequest)(`${url}/health`, opts, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Wait until every member is healthy (a cluster of N has a leader only once a
 * majority runs). `alive` is asked between tries, so a member that exited
 * fails at once with its log rather than at the timeout.
 */
export async function waitEtcdHealthy(spec: EtcdClusterSpec, timeoutMs: number, alive?: () => string | undefined): Promise<void> {
  const until = Date.now() + timeoutMs;
  const urls = clientUrls(spec);
  for (;;) {
    const ok = await Promise.all(urls.map((u) => memberHealthy(u, spec.tls)));
    if (ok.every(Boolean)) return;
    const dead = alive?.();
    if (dead) throw new Error(dead);
    if (Date.now() > until) throw new Error(`etcd not healthy after ${timeoutMs / 1000}s: ${urls.filter((_, i) => !ok[i]).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** argv and environment for Debian's etcdctl against the cluster (API v3, its endpoints and certificates). */
export function etcdctlCommand(endpoints: string[], tls: EtcdTls | undefined, args: string[]): { argv: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: endpoints.join(',') };
  if (tls) {
    env.ETCDCTL_CACERT = tls.caFile;
    env.ETCDCTL_CERT = tls.clientCertFile;
    env.ETCDCTL_KEY = tls.clientKeyFile;
  }
  return { argv: [ETCDCTL_BIN, ...args], env };
}

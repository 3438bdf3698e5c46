// The etcd launcher: the pure argv, and three real members (Debian's etcd) on
// loopback with the cluster CA's TLS, which elect a leader, serve etcdctl
// with the client certificate and refuse a client without one.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCA } from '../../apiserver/certs.js';
import { clientUrls, ensureEtcdPki, etcdctlCommand, etcdMemberArgv, etcdTlsPaths, initialCluster, memberHealthy, startEtcdMembers, waitEtcdHealthy, type EtcdClusterSpec } from '../../cluster/etcd.js';
import { exec } from '../../cluster/exec.js';
import { stopProcess } from '../../cluster/state.js';

test('argv: names, URLs, initial cluster and TLS flags of one member', (t) => {
  const spec: EtcdClusterSpec = {
    token: 'c1',
    members: [
      { name: 'cp1', ip: '172.31.192.2', dataDir: '/d/cp1', netns: 'ns1', log: '/l1' },
      { name: 'cp2', ip: '172.31.192.3', dataDir: '/d/cp2', log: '/l2' },
    ],
    tls: etcdTlsPaths('/pki', '/pki/ca.crt'),
  };
  t.is(initialCluster(spec), 'cp1=https://172.31.192.2:2380,cp2=https://172.31.192.3:2380');
  const argv = etcdMemberArgv(spec, spec.members[0]);
  t.deepEqual(argv.slice(0, 5), ['ip', 'netns', 'exec', 'ns1', '/usr/bin/etcd']);
  const flag = (f: string) => argv[argv.indexOf(f) + 1];
  t.is(flag('--name'), 'cp1');
  t.is(flag('--listen-client-urls'), 'https://172.31.192.2:2379');
  t.is(flag('--cert-file'), '/pki/etcd/member-cp1.crt');
  t.true(argv.includes('--client-cert-auth') && argv.includes('--peer-client-cert-auth'));
  t.is(etcdMemberArgv({ ...spec, tls: undefined }, spec.members[1])[0], '/usr/bin/etcd');
  t.false(etcdMemberArgv({ ...spec, tls: undefined }, spec.members[1]).includes('--client-cert-auth'));
});

test('three members with TLS on loopback: healthy, etcdctl with the client certificate, none without', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mk8s-etcd-launch-'));
  const ca = await ensureCA(join(dir, 'ca'));
  const members = [0, 1, 2].map((i) => ({ name: `m${i}`, ip: '127.0.0.1', clientPort: 23790 + 2 * i, peerPort: 23791 + 2 * i, dataDir: join(dir, `m${i}`), log: join(dir, `m${i}.log`) }));
  const spec: EtcdClusterSpec = { token: `t-${process.pid}`, members, tls: etcdTlsPaths(join(dir, 'pki'), join(dir, 'ca', 'ca.crt')) };
  await ensureEtcdPki(join(dir, 'pki'), ca, members);
  const procs = await startEtcdMembers(spec);
  t.teardown(async () => {
    for (const p of procs) await stopProcess(p, dir, 3000);
    await rm(dir, { recursive: true, force: true });
  });
  await waitEtcdHealthy(spec, 60_000);
  const put = etcdctlCommand(clientUrls(spec), spec.tls, ['put', '/registry/x', 'v']);
  t.is((await exec(put.argv, { env: { ...process.env, ...put.env } })).code, 0);
  const list = etcdctlCommand(clientUrls(spec), spec.tls, ['member', 'list']);
  const r = await exec(list.argv, { env: { ...process.env, ...list.env } });
  t.is(r.stdout.trim().split('\n').length, 3, r.stdout + r.stderr);
  // Without the client certificate: refused.
  const bare = etcdctlCommand(clientUrls(spec), spec.tls, ['get', '/registry/x', '--dial-timeout=2s', '--command-timeout=3s']);
  delete bare.env.ETCDCTL_CERT;
  delete bare.env.ETCDCTL_KEY;
  t.not((await exec(bare.argv, { env: { ...process.env, ...bare.env } })).code, 0);
  t.true(await memberHealthy(clientUrls(spec)[1], spec.tls));
});

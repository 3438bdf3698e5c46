// Reading a kubeconfig (the same file the real kubectl uses) into the
// client's connection settings.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { ClusterConfig } from './http.js';

export function defaultKubeconfigPath(): string {
  const env = process.env.KUBECONFIG?.split(':').find(Boolean);
  return env ?? join(process.env.MK8S_HOME ?? join(homedir(), '.mk8s'), 'kubeconfig');
}

export function loadKubeconfig(path = defaultKubeconfigPath(), context?: string): ClusterConfig {
  let doc: any;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${path}: ${(e as Error).message} (is the cluster up? try: mk8s up)`, { cause: e });
  }
  const ctxName = context ?? doc?.['current-context'];
  const ctx = (doc?.contexts ?? []).find((c: any) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`context "${ctxName}" not found in ${path}`);
  const cluster = (doc.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`cluster "${ctx.cluster}" has no server in ${path}`);
  const user = (doc.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {};
  const rel = (f: string) => resolve(dirname(path), f);
  const caCert = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString()
    : cluster['certificate-authority']
      ? readFileSync(rel(cluster['certificate-authority']), 'utf8')
      : undefined;
  const token = user.token ?? (user.tokenFile ? readFileSync(rel(user.tokenFile), 'utf8').trim() : undefined);
  return { server: cluster.server, token, caCert, namespace: ctx.namespace };
}

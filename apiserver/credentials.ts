// The lab cluster's one credential: a bearer token generated into the data
// dir (mode 0600), and a kubeconfig that both mk8s and the real kubectl read.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export async function ensureToken(dataDir: string): Promise<string> {
  const file = join(dataDir, 'token');
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) return t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(24).toString('hex');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, token + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

/**
 * Whether an Authorization header carries `token`: the scheme in any case (as
 * Go's net/http and kube-apiserver read it), the token compared in constant
 * time (digests of equal length, so neither content nor length leaks).
 */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer ([^\s]+)$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(token));
}

export interface KubeconfigOptions {
  name: string;
  server: string;
  token: string;
  caCert: string;
  namespace?: string;
}

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  const ca = Buffer.from(opts.caCert).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.name, cluster: { server: opts.server, 'certificate-authority-data': ca } }],
    contexts: [{ name: opts.name, context: { cluster: opts.name, user: `${opts.name}-admin`, namespace: opts.namespace ?? 'default' } }],
    'current-context': opts.name,
    users: [{ name: `${opts.name}-admin`, user: { token: opts.token } }],
    preferences: {},
  });
}

export async function writeKubeconfig(file: string, opts: KubeconfigOptions): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // Written aside and renamed, so a reader (mk8s up waiting for the server) never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, kubeconfigYaml(opts), { mode: 0o600 });
  await rename(tmp, file);
}

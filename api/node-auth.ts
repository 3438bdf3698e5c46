// Who may call a node's agents (the kubelet's stream server on :10250, the
// proxy's /rules): only the API server, as the kubelet with
// `--anonymous-auth=false --client-ca-file=ca.crt` and an authorizer that
// admits the apiserver's identity. Authentication is the TLS client
// certificate, verified against the cluster CA by the TLS layer (the server
// requests a certificate but does not require one, so a request without one
// still gets an HTTP answer): none, or one from another CA, is 401; a valid
// certificate for another identity is 403.
import type { TLSSocket } from 'node:tls';

/** The identity kube-apiserver presents to kubelets (kubeadm's apiserver-kubelet-client.crt). */
export const KUBELET_CLIENT = { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] } as const;

export interface PeerInfo {
  /** The TLS layer verified the client certificate against the client CA. */
  authorized: boolean;
  /** Why not (OpenSSL's code), when a certificate was sent. */
  error?: string;
  subject?: { CN?: string | string[]; O?: string | string[] };
}

export interface AuthFailure {
  code: 401 | 403;
  reason: 'Unauthorized' | 'Forbidden';
  message: string;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The user and groups of a verified client certificate, as Kubernetes reads them (CN, O). */
export function userOf(peer: PeerInfo): { user: string; groups: string[] } | undefined {
  if (!peer.authorized) return undefined;
  const user = list(peer.subject?.CN)[0];
  return user ? { user, groups: list(peer.subject?.O) } : undefined;
}

/** undefined: let the request through; otherwise the answer (pure). */
export function checkNodeClient(peer: PeerInfo, verb: string, subresource: string): AuthFailure | undefined {
  const who = userOf(peer);
  if (!who) return { code: 401, reason: 'Unauthorized', message: 'Unauthorized' };
  if (who.user === KUBELET_CLIENT.commonName || who.groups.some((g) => (KUBELET_CLIENT.organizations as readonly string[]).includes(g))) return undefined;
  return { code: 403, reason: 'Forbidden', message: `Forbidden (user=${who.user}, verb=${verb}, resource=nodes, subresource=${subresource})` };
}

/** What the TLS layer knows about the client of a connection. */
export function peerOf(socket: unknown): PeerInfo {
  const s = socket as Partial<TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function') return { authorized: false };
  const cert = s.getPeerCertificate();
  return { authorized: s.authorized === true, error: s.authorizationError ? String(s.authorizationError) : undefined, subject: cert?.subject as PeerInfo['subject'] };
}

/** The kubelet's authorizer verbs: what an HTTP method does to nodes/<subresource>. */
export function verbFor(method: string | undefined): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

/** The kubelet's subresource for a path (pkg/kubelet/server/auth.go): proxy for streams, else the first segment. */
export function subresourceFor(path: string): string {
  const first = path.split('/').filter(Boolean)[0] ?? '';
  if (first === 'logs') return 'log';
  return ['stats', 'metrics', 'spec', 'checkpoint'].includes(first) ? first : 'proxy';
}

export interface NodeTlsFiles {
  /** PEM serving certificate and key. */
  cert: string;
  key: string;
  /** PEM CA bundle that client certificates must chain to. */
  clientCA: string;
}

/** https.createServer options: serve `cert`, ask for a client certificate (not require it: 401 is an HTTP answer). */
export function nodeTlsServerOptions(f: NodeTlsFiles) {
  return { cert: f.cert, key: f.key, ca: f.clientCA, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' as const };
}

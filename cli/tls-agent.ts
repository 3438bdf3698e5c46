// An HTTPS agent for the CLI that checks the apiserver's certificate against
// the kubeconfig's CA without Node building its root store: any
// SecureContext with `ca` (or without) makes Node parse its ~140 bundled
// root certificates, ~45 ms of every `mk8s get pods`. Instead the handshake
// runs with an empty store and the peer certificate is then checked here,
// before any request (and so the bearer token) is written: issued and
// signed by the CA, within its validity, and naming the host. A chain this
// cannot check (intermediates, another CA) falls back to Node's full
// verification on a new connection, so nothing is accepted that Node would
// refuse.
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

function parseCa(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** Whether `peer` is a certificate the CA issued for `host`, valid now. */
export function issuedFor(peer: X509Certificate | undefined, cas: X509Certificate[], host: string, now = Date.now()): boolean {
  if (!peer) return false;
  if (now < Date.parse(peer.validFrom) || now > Date.parse(peer.validTo)) return false;
  const named = net.isIP(host) ? peer.checkIP(host) !== undefined : peer.checkHost(host) !== undefined;
  if (!named) return false;
  return cas.some((ca) => {
    if (now < Date.parse(ca.validFrom) || now > Date.parse(ca.validTo)) return false;
    // The CA itself as the server certificate: only when self-signed, as OpenSSL (no partial chains) accepts it.
    if (peer.fingerprint256 === ca.fingerprint256) return peer.checkIssued(peer) && peer.verify(peer.publicKey);
    return peer.checkIssued(ca) && peer.verify(ca.publicKey);
  });
}

export function caVerifyingAgent(caPem: string): https.Agent {
  const cas = parseCa(caPem);
  class CaAgent extends https.Agent {
    override createConnection(options: any, cb: (err: Error | null, s?: Duplex) => void): Duplex | undefined {
      const host: string = options.servername || options.host || 'localhost';
      let done = false;
      const once = (err: Error | null, s?: Duplex) => {
        if (done) return;
        done = true;
        cb(err, s);
      };
      const fallback = () => {
        const full = tls.connect({ ...options, ca: caPem, rejectUnauthorized: true });
        full.once('secureConnect', () => once(null, full));
        full.once('error', (e) => once(e));
      };
      const sock = tls.connect({ ...options, ca: [], rejectUnauthorized: false });
      sock.once('secureConnect', () => {
        if (issuedFor(sock.getPeerX509Certificate(), cas, host)) return once(null, sock);
        sock.destroy();
        fallback();
      });
      sock.once('error', (e) => once(e));
      return undefined;
    }
  }
  return new CaAgent({ keepAlive: true, maxSockets: 64 });
}

/**
 * The NODE_EXTRA_CA_CERTS file bin/mk8s kept from this process (as
 * MK8S_EXTRA_CA_CERTS): Node parses that bundle at start-up, before any
 * code runs, and a cluster with its own CA in the kubeconfig never needs it.
 * Called first thing by cli/main.ts: puts the variable back for the
 * processes mk8s starts, and remembers the file for clusterAgent.
 */
// Kept on the process, not in this module: dist/cli/mk8s.cjs hands some commands to dist/cli/main.js, a second copy of this module.
const deferredKey = Symbol.for('mk8s.deferredExtraCa');
const store = globalThis as { [deferredKey]?: string };
export function takeDeferredExtraCa(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.MK8S_EXTRA_CA_CERTS;
  if (file === undefined) return;
  delete env.MK8S_EXTRA_CA_CERTS;
  if (!file) return;
  env.NODE_EXTRA_CA_CERTS = file;
  store[deferredKey] = file;
}

/**
 * The HTTPS agent for a cluster: its own CA checked without Node's root
 * store (caVerifyingAgent); without one, Node's roots plus the extra CA
 * certificates bin/mk8s deferred (what Node would have trusted); otherwise
 * Node's default.
 */
export function clusterAgent(server: string, caCert: string | undefined): https.Agent | undefined {
  if (!server.startsWith('https:')) return undefined;
  if (caCert) return caVerifyingAgent(caCert);
  const deferredExtraCa = store[deferredKey];
  if (deferredExtraCa === undefined) return undefined;
  let extra = '';
  try {
    extra = readFileSync(deferredExtraCa, 'utf8');
  } catch (e) {
    // As Node: a warning, and the roots alone.
    process.emitWarning(`Ignoring extra certs from \`${deferredExtraCa}\`, load failed: ${(e as Error).message}`);
  }
  return new https.Agent({ keepAlive: true, maxSockets: 64, ca: [...tls.rootCertificates, ...(extra ? [extra] : [])] });
}

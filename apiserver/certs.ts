// TLS for the API server. client-go (so the real kubectl) sends a bearer
// token only over TLS, so the lab cluster has its own CA, made once per data
// dir like kubeadm's /etc/kubernetes/pki: ca.crt and apiserver.crt/key; and,
// signed by the same CA, the apiserver's client certificate for the kubelets
// (kubeadm's apiserver-kubelet-client.crt) and each node's serving
// certificate for its kubelet's stream server.
import { X509Certificate, createPrivateKey, generateKeyPair, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { KUBELET_CLIENT } from '../api/node-auth.js';
import { nthIp, parseCidr } from '../api/cidr.js';

export interface ServingCerts {
  caCert: string;
  cert: string;
  key: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * Node's native RSA generation (forge's pure-JS one takes seconds), on
 * libuv's thread pool: `mk8s up` makes the keys of several certificates at
 * once, each on its own core.
 */
function newKeyPair(): Promise<{ privateKey: string; publicKey: string }> {
  return generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function makeCert(opts: {
  subjectCN: string;
  publicKeyPem: string;
  signerKeyPem: string;
  issuer?: forge.pki.Certificate;
  ca: boolean;
  sans?: string[];
  /** What a leaf certificate is for (default: serving); `peer` is both (an etcd member's peer certificate). */
  usage?: 'server' | 'client' | 'peer';
  /** Subject organizations: the groups of a client certificate, as Kubernetes reads them. */
  organizations?: string[];
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  cert.setSubject([...(opts.organizations ?? []).map((value) => ({ name: 'organizationName', value })), { name: 'commonName', value: opts.subjectCN }]);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : [{ name: 'commonName', value: opts.subjectCN }]);
  const ext: any[] = [
    { name: 'basicConstraints', cA: opts.ca, critical: true },
    opts.ca
      ? { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  ];
  if (!opts.ca && opts.usage === 'client') ext.push({ name: 'extKeyUsage', clientAuth: true });
  else if (!opts.ca) {
    ext.push(opts.usage === 'peer' ? { name: 'extKeyUsage', serverAuth: true, clientAuth: true } : { name: 'extKeyUsage', serverAuth: true });
    ext.push({
      name: 'subjectAltName',
      altNames: (opts.sans ?? []).map((s) => (/^[\d.]+$/.test(s) ? { type: 7, ip: s } : { type: 2, value: s })),
    });
  }
  cert.setExtensions(ext);
  // forge lays out the certificate; OpenSSL signs it (forge's JS RSA signature costs ~100 ms a certificate).
  cert.md = forge.md.sha256.create();
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  const tbs = Buffer.from(forge.asn1.toDer((forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, opts.signerKeyPem).toString('binary');
  return cert;
}

export interface CertificateAuthority {
  caCert: string;
  caKey: string;
}

/** The data dir's CA (ca.crt, ca.key), made on first use. */
export async function ensureCA(dataDir: string): Promise<CertificateAuthority> {
  const p = (f: string) => join(dataDir, f);
  try {
    const [caCert, caKey] = await Promise.all([readFile(p('ca.crt'), 'utf8'), readFile(p('ca.key'), 'utf8')]);
    return { caCert, caKey };
  } catch {
    await mkdir(dataDir, { recursive: true });
    const kp = await newKeyPair();
    const caCert = forge.pki.certificateToPem(makeCert({ subjectCN: 'mk8s-ca', publicKeyPem: kp.publicKey, signerKeyPem: kp.privateKey, ca: true }));
    await writeFile(p('ca.key'), kp.privateKey, { mode: 0o600 });
    await writeFile(p('ca.crt'), caCert);
    return { caCert, caKey: kp.privateKey };
  }
}

export interface CertSpec {
  commonName: string;
  organizations?: readonly string[];
  /** DNS names and IP addresses (serving certificates). */
  sans?: string[];
  usage: 'server' | 'client' | 'peer';
}

export interface KeyPair {
  cert: string;
  key: string;
}

/** Whether a PEM certificate and key are signed by `ca`, match each other and `spec`, and are valid now (pure). */
export function certMatches(pair: KeyPair, ca: string, spec: CertSpec, now = new Date()): boolean {
  try {
    const x = new X509Certificate(pair.cert);
    if (!x.verify(new X509Certificate(ca).publicKey) || !x.checkPrivateKey(createPrivateKey(pair.key))) return false;
    if (new Date(x.validFrom) > now || new Date(x.validTo).getTime() < now.getTime() + 24 * 3600_000) return false;
    const subject = x.subject.split('\n');
    const want = [...(spec.organizations ?? []).map((o) => `O=${o}`), `CN=${spec.commonName}`];
    if (subject.length !== want.length || want.some((w) => !subject.includes(w))) return false;
    const have = (x.subjectAltName ?? '').split(', ').filter(Boolean).map((s) => s.replace(/^(DNS|IP Address):/, '')).sort();
    return have.join(',') === [...new Set(spec.sans ?? [])].sort().join(',');
  } catch {
    return false;
  }
}

/**
 * `<dir>/<name>.crt` and `.key` signed by `ca` for `spec`: read when they still
 * match, otherwise (re)made. Both files are written 0600.
 */
export async function ensureCertPair(dir: string, name: string, ca: CertificateAuthority, spec: CertSpec): Promise<KeyPair & { certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    if (certMatches({ cert, key }, ca.caCert, spec)) return { cert, key, certFile, keyFile };
  } catch {
    // made below
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const kp = await newKeyPair();
  const cert = forge.pki.certificateToPem(
    makeCert({
      subjectCN: spec.commonName,
      organizations: [...(spec.organizations ?? [])],
      publicKeyPem: kp.publicKey,
      signerKeyPem: ca.caKey,
      issuer: forge.pki.certificateFromPem(ca.caCert),
      ca: false,
      usage: spec.usage,
      sans: [...new Set(spec.sans ?? [])],
    }),
  );
  await writeFile(keyFile, kp.privateKey, { mode: 0o600 });
  await writeFile(certFile, cert, { mode: 0o600 });
  // writeFile's mode applies only to a new file.
  await Promise.all([chmod(keyFile, 0o600), chmod(certFile, 0o600)]);
  return { cert, key: kp.privateKey, certFile, keyFile };
}

/** The apiserver's client certificate for the kubelets, in its data dir. */
export function ensureKubeletClientCert(dataDir: string, ca: CertificateAuthority): Promise<KeyPair> {
  return ensureCertPair(dataDir, 'apiserver-kubelet-client', ca, { ...KUBELET_CLIENT, usage: 'client' });
}

/** A node's serving certificate (its kubelet's stream server and its proxy's /rules): SANs are the node's IP and name. */
export function ensureNodeServingCert(dir: string, ca: CertificateAuthority, node: { name: string; ip: string }) {
  return ensureCertPair(dir, `kubelet-${node.name}`, ca, { commonName: `system:node:${node.name}`, organizations: ['system:nodes'], sans: [node.ip, node.name], usage: 'server' });
}

/** The API server's serving certificate's names: its Service's names and ClusterIP, loopback, and the address it binds. */
export function apiServerSans(serviceCidr: string, bind: string, extraSans: string[] = []): string[] {
  return ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', nthIp(parseCidr(serviceCidr), 1), ...(bind === '0.0.0.0' ? [] : [bind]), ...extraSans];
}

/** Load the data dir's serving certificate, making (or remaking, if the SANs changed) it as needed. */
export async function ensureServingCerts(dataDir: string, sans: string[]): Promise<ServingCerts> {
  const p = (f: string) => join(dataDir, f);
  const wanted = [...new Set(sans)].sort().join(',');
  const { caCert, caKey } = await ensureCA(dataDir);
  try {
    const [cert, key, have] = await Promise.all([
      readFile(p('apiserver.crt'), 'utf8'),
      readFile(p('apiserver.key'), 'utf8'),
      readFile(p('apiserver.sans'), 'utf8'),
    ]);
    if (have.trim() === wanted) return { caCert, cert, key };
  } catch {
    // made below
  }
  const kp = await newKeyPair();
  const cert = forge.pki.certificateToPem(
    makeCert({
      subjectCN: 'kube-apiserver',
      publicKeyPem: kp.publicKey,
      signerKeyPem: caKey,
      issuer: forge.pki.certificateFromPem(caCert),
      ca: false,
      sans: [...new Set(sans)],
    }),
  );
  await writeFile(p('apiserver.key'), kp.privateKey, { mode: 0o600 });
  await writeFile(p('apiserver.crt'), cert);
  await writeFile(p('apiserver.sans'), wanted + '\n');
  return { caCert, cert, key: kp.privateKey };
}

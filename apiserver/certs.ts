// TLS for the API server. client-go (so the real kubectl) sends a bearer
// token only over TLS, so the lab cluster has its own CA, made once per data
// dir like kubeadm's /etc/kubernetes/pki: ca.crt and apiserver.crt/key.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

export interface ServingCerts {
  caCert: string;
  cert: string;
  key: string;
}

function newKeyPair(): { privateKey: string; publicKey: string } {
  // Node's native RSA generation: forge's pure-JS one takes seconds.
  return generateKeyPairSync('rsa', {
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
}): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: opts.subjectCN }]);
  cert.setIssuer(opts.issuer ? opts.issuer.subject.attributes : [{ name: 'commonName', value: opts.subjectCN }]);
  const ext: any[] = [
    { name: 'basicConstraints', cA: opts.ca, critical: true },
    opts.ca
      ? { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  ];
  if (!opts.ca) {
    ext.push({ name: 'extKeyUsage', serverAuth: true });
    ext.push({
      name: 'subjectAltName',
      altNames: (opts.sans ?? []).map((s) => (/^[\d.]+$/.test(s) ? { type: 7, ip: s } : { type: 2, value: s })),
    });
  }
  cert.setExtensions(ext);
  cert.sign(forge.pki.privateKeyFromPem(opts.signerKeyPem), forge.md.sha256.create());
  return cert;
}

/** Load the data dir's serving certificate, making (or remaking, if the SANs changed) it as needed. */
export async function ensureServingCerts(dataDir: string, sans: string[]): Promise<ServingCerts> {
  const p = (f: string) => join(dataDir, f);
  const wanted = [...new Set(sans)].sort().join(',');
  let caCert: string, caKey: string;
  try {
    [caCert, caKey] = await Promise.all([readFile(p('ca.crt'), 'utf8'), readFile(p('ca.key'), 'utf8')]);
  } catch {
    const kp = newKeyPair();
    caCert = forge.pki.certificateToPem(makeCert({ subjectCN: 'mk8s-ca', publicKeyPem: kp.publicKey, signerKeyPem: kp.privateKey, ca: true }));
    caKey = kp.privateKey;
    await writeFile(p('ca.key'), caKey, { mode: 0o600 });
    await writeFile(p('ca.crt'), caCert);
  }
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
  const kp = newKeyPair();
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

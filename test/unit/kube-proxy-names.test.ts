import test from 'ava';
import { base32, endpointChain, serviceChain, servicePortName } from '../../api/kube-proxy-names.js';

test('base32 matches RFC 4648 test vectors', (t) => {
  const enc = (s: string) => base32(Buffer.from(s));
  t.is(enc(''), '');
  t.is(enc('f'), 'MY======');
  t.is(enc('fo'), 'MZXQ====');
  t.is(enc('foo'), 'MZXW6===');
  t.is(enc('foob'), 'MZXW6YQ=');
  t.is(enc('fooba'), 'MZXW6YTB');
  t.is(enc('foobar'), 'MZXW6YTBOI======');
});

test('chain names match the ones every cluster shows for kubernetes and kube-dns', (t) => {
  // These names appear verbatim in every kube-proxy iptables dump.
  t.is(serviceChain(servicePortName('default', 'kubernetes', 'https'), 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
  t.is(serviceChain(servicePortName('kube-system', 'kube-dns', 'dns'), 'udp'), 'KUBE-SVC-TCOU7JCQXEZGVUNU');
  t.is(serviceChain(servicePortName('kube-system', 'kube-dns', 'dns-tcp'), 'TCP'), 'KUBE-SVC-ERIFXISQEP7F7OF4');
  t.is(serviceChain(servicePortName('kube-system', 'kube-dns', 'metrics'), 'tcp'), 'KUBE-SVC-JD5MR3NA4I4DYORP');
  t.regex(endpointChain('default/web', 'tcp', '10.244.1.5:80'), /^KUBE-SEP-[A-Z2-7]{16}$/);
});

test('sha256Base32: the first n characters of base32(sha256(s)), for every n a name takes', async (t) => {
  const { createHash } = await import('node:crypto');
  const { sha256Base32 } = await import('../../api/kube-proxy-names.js');
  for (const s of ['', 'a', 'default/kubernetes:httpstcp', 'ns1/svc1/tcp/p80__10.180.0.1/80', 'ü'.repeat(300)]) {
    const whole = base32(createHash('sha256').update(s).digest());
    for (const n of [1, 7, 8, 13, 16, 52]) t.is(sha256Base32(s, n), whole.slice(0, n), `${s.slice(0, 20)} ${n}`);
  }
});

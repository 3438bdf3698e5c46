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

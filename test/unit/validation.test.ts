import test from 'ava';
import {
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidIPv4,
  isValidPortName,
  labelValueErrors,
  portNameErrors,
  qualifiedNameErrors,
  regexError,
} from '../../api/validation.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

test('DNS-1123 subdomains', (t) => {
  for (const ok of ['a', 'example.com', 'my-app.v1', '0', 'a'.repeat(253)]) t.true(isDNS1123Subdomain(ok), ok);
  for (const bad of ['', 'A', 'a_b', '-a', 'a-', 'a..b', '.a', 'a.', 'a'.repeat(254)]) t.false(isDNS1123Subdomain(bad), bad);
  t.deepEqual(dns1123SubdomainErrors('example.com'), []);
  t.deepEqual(dns1123SubdomainErrors('Example'), [SUBDOMAIN_MSG]);
  t.deepEqual(dns1123SubdomainErrors('a'.repeat(254)), ['must be no more than 253 characters']);
  t.deepEqual(dns1123SubdomainErrors(`${'a'.repeat(254)}_`), ['must be no more than 253 characters', SUBDOMAIN_MSG]);
});

test('DNS-1123 labels', (t) => {
  for (const ok of ['a', 'my-name', '123-abc', 'a'.repeat(63)]) t.true(isDNS1123Label(ok), ok);
  for (const bad of ['', 'a.b', 'A', '-a', 'a'.repeat(64)]) t.false(isDNS1123Label(bad), bad);
  t.deepEqual(dns1123LabelErrors('My_Name'), [LABEL_MSG]);
  t.deepEqual(dns1123LabelErrors(''), [LABEL_MSG]);
  t.deepEqual(dns1123LabelErrors('a.b'), ['must not contain dots']);
  t.deepEqual(dns1123LabelErrors('a'.repeat(64)), ['must be no more than 63 characters']);
});

test('regexError formats examples like Kubernetes', (t) => {
  t.is(regexError('m', 'r'), "m (regex used for validation is 'r')");
  t.is(regexError('m', 'r', 'x'), "m (e.g. 'x', regex used for validation is 'r')");
  t.is(regexError('m', 'r', 'x', 'y'), "m (e.g. 'x',  or 'y', regex used for validation is 'r')");
});

test('qualified names (label keys) and label values', (t) => {
  t.deepEqual(qualifiedNameErrors('app'), []);
  t.deepEqual(qualifiedNameErrors('app.kubernetes.io/Name_1'), []);
  t.deepEqual(qualifiedNameErrors('/a'), ['prefix part must be non-empty']);
  t.deepEqual(labelValueErrors(''), []);
  t.deepEqual(labelValueErrors('My_Value.1'), []);
  t.is(labelValueErrors('-x').length, 1);
});

test('port names follow IANA_SVC_NAME', (t) => {
  for (const ok of ['http', 'h2c', 'web-80', 'a', 'x'.repeat(15)]) t.true(isValidPortName(ok), ok);
  for (const bad of ['', '80', 'HTTP', 'a_b', '-http', 'http-', 'we--b', 'x'.repeat(16)]) t.false(isValidPortName(bad), bad);
  t.deepEqual(portNameErrors('http'), []);
  t.deepEqual(portNameErrors('x'.repeat(16)), ['must be no more than 15 characters']);
  t.deepEqual(portNameErrors('HTTP'), [
    'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'must contain at least one letter (a-z)',
  ]);
  t.deepEqual(portNameErrors('8080'), ['must contain at least one letter (a-z)']);
  t.deepEqual(portNameErrors('a--b'), ['must not contain consecutive hyphens']);
  t.deepEqual(portNameErrors('-ab-'), ['must not begin or end with a hyphen']);
  t.deepEqual(portNameErrors(''), [
    'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'must contain at least one letter (a-z)',
  ]);
});

test('IPv4 addresses', (t) => {
  for (const ok of ['0.0.0.0', '10.0.0.1', '255.255.255.255', '192.168.1.10']) t.true(isValidIPv4(ok), ok);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-4', 'a.b.c.d', '01.2.3.4', '1.2.3.4 ', '::1', '1..2.3']) {
    t.false(isValidIPv4(bad), bad);
  }
});

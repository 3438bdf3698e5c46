// The pure parts of the nftables mode's long-lived `nft -i` (proxy/nftables/session.ts):
// which transactions it may take as one line, how a reply is cut from nft's output, and the
// warm-up line the applier asks for after a sync.
import test from 'ava';
import { sessionLine, takeReply } from '../../proxy/nftables/session.js';
import { flatten, renderNft, warmLine } from '../../proxy/nftables/render.js';
import { desiredNft } from '../../proxy/nftables/ruleset.js';
import { cfg, many, node } from '../helpers/proxy-cases.js';

test('sessionLine: one command per line joined into one line; blank and comment lines dropped', (t) => {
  const text = '# header\nadd chain ip kube-proxy a\n\n  flush chain ip kube-proxy a  \nadd rule ip kube-proxy a ip daddr 10.96.0.1 counter comment "ns/svc:80 # not a comment"\n';
  t.is(sessionLine(text, 1000), 'add chain ip kube-proxy a ; flush chain ip kube-proxy a ; add rule ip kube-proxy a ip daddr 10.96.0.1 counter comment "ns/svc:80 # not a comment"');
});

test('sessionLine: refuses what a joined line would change or libedit could act on, and what is too long', (t) => {
  t.is(sessionLine('add chain ip t a # trailing comment\nadd chain ip t b\n', 1000), undefined, 'a # outside quotes would comment out the next command');
  t.is(sessionLine('add rule ip t a \\\n counter\n', 1000), undefined, 'a continuation');
  t.is(sessionLine('add rule ip t a comment "unterminated\n', 1000), undefined, 'an unbalanced quote');
  t.is(sessionLine('add rule ip t a\tcounter\n', 1000), undefined, 'a tab (completion in libedit)');
  t.is(sessionLine('add rule ip t a comment "café"\n', 1000), undefined, 'non-ASCII');
  t.is(sessionLine('', 1000), undefined, 'nothing to do');
  t.is(sessionLine('# only a comment\n', 1000), undefined);
  const long = Array.from({ length: 100 }, (_, i) => `add chain ip kube-proxy c${i}`).join('\n');
  t.truthy(sessionLine(long, 10_000));
  t.is(sessionLine(long, 1000), undefined, 'longer than max: for nft -f');
});

const reply = 'ct expression, datatype ct_state (conntrack state) (basetype bitmask, integer), 32 bits\n\npre-defined symbolic constants (in hexadecimal):\n\tinvalid    \t0x00000001\n\tnew        \t0x00000008\n\tuntracked  \t0x00000040\n';

test('takeReply: waits for the whole sentinel reply; what came before is the transaction output', (t) => {
  t.is(takeReply(''), undefined);
  t.is(takeReply(reply.slice(0, 40)), undefined);
  t.is(takeReply(reply.slice(0, reply.length - 1)), undefined, 'the last line is not complete yet');
  t.deepEqual(takeReply(reply), { output: '', rest: '' });
  const err = 'Error: No such file or directory\nadd element ip kube-proxy x { 1.2.3.4 }\n                         ^\n';
  t.deepEqual(takeReply(err + reply + 'ct expr'), { output: err, rest: 'ct expr' }, 'the next reply stays for the next command');
});

test('warmLine: re-declares the table and re-adds a ClusterIP that is there; none without a ClusterIP', (t) => {
  const [ss, sl] = many(3, 1);
  const applied = flatten(desiredNft(ss, sl, node, { ...cfg, serviceCIDRs: ['10.96.0.0/12'] }));
  const line = warmLine(applied)!;
  const ip = [...applied.clusterIPs][0];
  t.is(line, `add table ip kube-proxy { } ; add element ip kube-proxy cluster-ips { ${ip} }`);
  // It is a line the session takes as it is.
  t.is(sessionLine(line, 1000), line);
  t.is(warmLine(flatten(desiredNft([], [], node, { ...cfg, serviceCIDRs: ['10.96.0.0/12'] }))), undefined);
  // A real partial sync's text is taken too.
  const had = applied;
  const [ss2, sl2] = many(4, 1);
  const r = renderNft(desiredNft(ss2, sl2, node, { ...cfg, serviceCIDRs: ['10.96.0.0/12'] }), had);
  t.false(r.empty);
  t.truthy(sessionLine(r.text, 64 * 1024));
});

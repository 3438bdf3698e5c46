import test from 'ava';
import { liveRulesFor } from '../../proxy/rules/live.js';

const save = `*filter
:KUBE-SERVICES - [0:0]
[0:0] -A KUBE-SERVICES -d 10.96.3.3/32 -p tcp -m comment --comment "default/other has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-SERVICES - [0:0]
[12:720] -A KUBE-SERVICES -d 10.96.1.1/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-AAAA
[3:180] -A KUBE-SERVICES -d 10.96.2.2/32 -p tcp -m comment --comment "default/web2 cluster IP" -m tcp --dport 80 -j KUBE-SVC-BBBB
[5:300] -A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 31117 -j KUBE-EXT-AAAA
[7:420] -A KUBE-SVC-AAAA -m comment --comment "default/web -> 10.244.1.5:80" -j KUBE-SEP-CCCC
[7:420] -A KUBE-SEP-CCCC -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.1.5:80
COMMIT
`;

test('a service\'s live rules: its own chains and the shared rules that name it, with counters', (t) => {
  const rules = liveRulesFor(save, 'default/web', new Set(['KUBE-SVC-AAAA', 'KUBE-SEP-CCCC']));
  t.deepEqual(rules.map((r) => `${r.table} ${r.chain} ${r.packets}`), ['nat KUBE-SERVICES 12', 'nat KUBE-NODEPORTS 5', 'nat KUBE-SVC-AAAA 7', 'nat KUBE-SEP-CCCC 7']);
  t.is(rules[0].bytes, 720);
  t.deepEqual(liveRulesFor(save, 'default/other', new Set()).map((r) => r.table), ['filter']);
});

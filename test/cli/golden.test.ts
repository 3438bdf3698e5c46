// Golden output: for each kind, `get` (plain, -o wide, --show-labels, -A,
// selectors), jsonpath and the other -o formats, and `describe`, run with
// the real kubectl and with mk8s against one cluster (apiserver,
// controllers, two fake kubelets) and compared: tables column by column
// ignoring AGE, everything else byte for byte.
import test from 'ava';
import type { TestCluster } from '../controllers/harness.js';
import { waitFor } from '../controllers/harness.js';
import { assertSameTables, bothUntilStable, fixture, mk8s, startSharedCluster, withoutAgeDrift } from './helpers.js';
import { findByKind } from '../../api/resources.js';

let cluster: TestCluster;
let kc: string;

test.before(async () => {
  cluster = await startSharedCluster(2);
  kc = cluster.api.server.kubeconfigPath;
  const files = ['deployment.yaml', 'cluster_ip.yaml', 'multi_port.yaml', 'external_name.yaml', 'load_balancer.yaml', 'rc-demo.yaml', 'abcdocker.yaml', 'metallb-config.yaml'];
  const r = await mk8s(kc, ['apply', ...files.flatMap((f) => ['-f', fixture(f)])]);
  if (r.code !== 0) throw new Error(`fixtures did not apply: ${r.stderr}`);
  const run = await mk8s(kc, ['run', 'pod-hello', '--image=pbitty/hello-from:latest', '--port=80', '--expose=true']);
  if (run.code !== 0) throw new Error(`run failed: ${run.stderr}`);
  const c = cluster.client;
  await waitFor(async () => {
    const d = await c.get(findByKind('apps/v1', 'Deployment')!, 'default', 'benjamintoll');
    const lb = await c.get(findByKind('v1', 'Service')!, 'default', 'lb');
    const ep = await c.get(findByKind('v1', 'Endpoints')!, 'default', 'benjamintoll').catch(() => undefined);
    const rc = await c.get(findByKind('v1', 'ReplicationController')!, 'default', 'rc-demo');
    const pod = await c.get(findByKind('v1', 'Pod')!, 'default', 'pod-hello');
    return (
      d.status?.availableReplicas === 3 &&
      d.status?.observedGeneration === d.metadata.generation &&
      lb.status?.loadBalancer?.ingress?.length &&
      (ep?.subsets?.[0]?.addresses?.length ?? 0) === 3 &&
      rc.status?.readyReplicas === 1 &&
      pod.status?.phase === 'Running'
    );
  }, 60_000, 100);
  // Let the last status writes and events settle before comparing.
  await new Promise((r) => setTimeout(r, 500));
});

test.after.always(async () => {
  await cluster?.close();
});

/** Table output: same tables, column by column, AGE ignored. */
const tables: string[][] = [
  ['get', 'po'],
  ['get', 'po', '-owide'],
  ['get', 'pods', '--show-labels'],
  ['get', 'po', '-o', 'wide', '--all-namespaces'],
  ['get', 'svc'],
  ['get', 'svc', '-o', 'wide'],
  ['get', 'svc', '--show-labels'],
  ['get', 'service', '--namespace=abcdocker'],
  ['get', 'ep'],
  ['get', 'endpoints', '-o', 'wide', '--show-labels'],
  ['get', 'deploy'],
  ['get', 'deployments', 'benjamintoll', '-owide'],
  ['get', 'rs', '-owide'],
  ['get', 'rs', '--show-labels'],
  ['get', 'rc', '-o', 'wide'],
  ['get', 'no'],
  ['get', 'no', '-owide'],
  ['get', 'nodes', '--show-labels'],
  ['get', 'ns'],
  ['get', 'cm', '-A'],
  ['get', 'ev'],
  ['get', 'endpointslices'],
  ['get', 'endpointslices', '-o', 'wide'],
  ['get', 'all'],
  ['get', 'all', '-A'],
  ['get', 'pod,svc,ep', '--show-labels'],
  ['get', 'pod,svc,ep,deploy', '-l', 'app=benjamintoll', '--show-labels'],
  ['get', 'pods', '-l', 'app in (benjamintoll,nginx)', '-o', 'wide'],
  ['get', 'pods', '-l', '!app'],
  ['get', 'pods', '--field-selector', 'spec.nodeName=node1'],
  ['get', 'svc', '-L', 'app'],
  ['get', 'svc/benjamintoll', 'deploy/benjamintoll'],
  ['get', 'svc', '--sort-by=.spec.clusterIP'],
  ['get', 'po', '--sort-by=.metadata.name', '--no-headers'],
  ['get', 'no', '-owide', '--no-headers'],
];

for (const args of tables) {
  test(`table: ${args.join(' ')}`, async (t) => {
    const [ours, theirs] = await bothUntilStable(kc, args, (a, b) => a.code === b.code);
    t.is(ours.code, theirs.code, ours.stderr);
    t.is(ours.stderr, theirs.stderr);
    assertSameTables(t, ours.stdout, theirs.stdout, args.join(' '));
  });
}

/** Everything else: byte for byte. */
const exact: string[][] = [
  ['get', 'no', '-o', 'jsonpath={.items[1:].status.addresses[0].address}'],
  ['get', 'no', '-o', 'jsonpath={.items[*].status.addresses[?(@.type=="InternalIP")].address}'],
  ['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\n"}{end}'],
  ['get', 'svc', 'benjamintoll', '-o', 'jsonpath={.spec.ports[0].port} {.spec.clusterIP} {.metadata.labels}'],
  ['get', 'rs', '-o', 'jsonpath={.items[0].metadata.ownerReferences}'],
  ['get', 'cm', '-n', 'metallb-system', 'config', '-o', 'jsonpath={.data.config}'],
  ['get', 'svc', '-o', 'jsonpath={.items[*].metadata.name}'],
  ['get', 'deploy', 'benjamintoll', '-o', 'jsonpath={.status}'],
  ['get', 'svc', 'benjamintoll', '-o', 'yaml'],
  ['get', 'svc', '-o', 'yaml'],
  ['get', 'deploy', 'benjamintoll', '-oyaml'],
  ['get', 'po', 'pod-hello', '-o', 'json'],
  ['get', 'no', 'node1', '-o', 'yaml'],
  ['get', 'ep', 'benjamintoll', '-o', 'json'],
  ['get', 'cm', '-n', 'metallb-system', 'config', '-o', 'yaml'],
  ['get', 'svc,deploy,rs', '-o', 'name'],
  ['get', 'all', '-o', 'name'],
  ['get', 'svc', '-o', 'custom-columns=NAME:.metadata.name,TYPE:.spec.type,PORTS:.spec.ports[*].port,NP:.spec.ports[*].nodePort'],
  ['get', 'pods', '-o', 'custom-columns=NAME:.metadata.name,NODE:.spec.nodeName', '--no-headers'],
  ['describe', 'svc', 'benjamintoll'],
  ['describe', 'svc', 'my-service'],
  ['describe', 'svc', 'lb'],
  ['describe', 'svc', 'external-service'],
  ['describe', 'svc', 'myserver'],
  ['describe', 'svc', 'pod-hello'],
  ['describe', 'service', '--namespace=abcdocker', 'mallh5-service'],
  ['describe', 'svc', 'kubernetes'],
  ['describe', 'pod', 'pod-hello'],
  ['describe', 'deploy', 'benjamintoll'],
  ['describe', 'rs'],
  ['describe', 'rc', 'rc-demo'],
  ['describe', 'ep', 'benjamintoll'],
  ['describe', 'ep', 'kubernetes'],
  ['describe', 'no', 'node1'],
  ['describe', 'cm', '-n', 'metallb-system', 'config'],
  ['describe', 'ns', 'default'],
  ['get', 'svc', 'nope'],
  ['get', 'nope'],
  ['describe', 'svc', 'nope'],
];

for (const args of exact) {
  test(`exact: ${args.join(' ')}`, async (t) => {
    const [ours, theirs] = await bothUntilStable(kc, args, (a, b) => a.stdout === b.stdout && a.code === b.code);
    // Byte for byte, unless an event's age ticked between the two runs (then equal but for ages).
    if (ours.stdout !== theirs.stdout) t.is(withoutAgeDrift(ours.stdout), withoutAgeDrift(theirs.stdout));
    else t.is(ours.stdout, theirs.stdout);
    t.is(ours.stderr, theirs.stderr);
    t.is(ours.code, theirs.code);
  });
}

test('describe pods (all, with the controllers\' events) reads like kubectl', async (t) => {
  const [ours, theirs] = await bothUntilStable(kc, ['describe', 'pods', '-l', 'app=benjamintoll'], (a, b) => a.stdout === b.stdout);
  t.is(withoutAgeDrift(ours.stdout), withoutAgeDrift(theirs.stdout));
  t.regex(ours.stdout, /Controlled By:\s+ReplicaSet\/benjamintoll-/);
});

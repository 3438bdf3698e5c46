// Pods in bursts on a real 2-node cluster: a Deployment scaled 0 → 30 → 0
// three times. Each round all 30 pods turn Ready with distinct IPs; at the
// end no pod leaves anything behind: no containers, no veths in the nodes'
// namespaces, no host-local IP leases, no pod directories. The kubelets'
// /metrics count the Docker operations each pod needed.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../testkit/api.js';
import { whyNoClusterTests } from '../cluster/machine.js';
import { R, isReady, startCluster, type TestCluster } from '../../testkit/cluster.js';
import { resourcePath } from '../../client/http.js';
import { exec } from '../../cluster/exec.js';
import type { KubeObject } from '../../api/types.js';

const N = 30;
const ROUNDS = 3;
let skip: string | undefined;
let c: TestCluster | undefined;

test.before(async () => {
  skip = await whyNoClusterTests();
  if (skip) return;
  c = await startCluster({ name: 'pburst', nodes: 2, bridge: 'mk8spb0', nodeCidr: '172.31.180.0/24', podCidr: '10.180.0.0/16', serviceCidr: '10.184.0.0/16' });
});

test.after.always(async () => {
  await c?.down();
});

const nodeNames = () => ['pburst-control-plane', 'pburst-worker'];
const nodeDir = (node: string) => join(c!.home, 'pburst', 'nodes', node);

/** What pods leave behind on the nodes: containers, veths (besides the node's own eth0), IP leases, pod directories. */
async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodeNames()) {
    const ps = await exec(['docker', 'ps', '-a', '--filter', `label=io.mk8s.node=${node}`, '--format', '{{.Names}}']);
    out.push(...ps.stdout.split('\n').filter(Boolean).map((n) => `container ${n}`));
    const links = await exec(['ip', 'netns', 'exec', node, 'ip', '-o', 'link', 'show', 'type', 'veth']);
    for (const l of links.stdout.split('\n').filter(Boolean)) {
      const name = /^\d+: ([^:@]+)/.exec(l)?.[1];
      if (name && name !== 'eth0') out.push(`${node}: veth ${name}`);
    }
    const leases = await readdir(join(nodeDir(node), 'ipam', 'mk8s')).catch(() => [] as string[]);
    out.push(...leases.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).map((f) => `${node}: lease ${f}`));
    const pods = await readdir(join(nodeDir(node), 'pods')).catch(() => [] as string[]);
    out.push(...pods.map((p) => `${node}: pod dir ${p}`));
  }
  return out;
}

test(`a Deployment scaled 0 → ${N} → 0 ${ROUNDS} times: every round all Ready, and nothing left behind`, async (t) => {
  if (skip || !c) return t.pass(`skipped: ${skip}`);
  t.timeout(600_000);
  const client = c.client;
  t.deepEqual(await leftovers(), [], 'a clean start');
  await client.create(R.deployments, 'default', {
    metadata: { name: 'burst' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'burst' } },
      template: { metadata: { labels: { app: 'burst' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'pbitty/hello-from', ports: [{ containerPort: 80 }] }] } },
    },
  });
  const live = new Map<string, KubeObject>();
  let check = () => undefined as void;
  const watch = client.watch(resourcePath(R.pods, 'default'), { labelSelector: 'app=burst' }, (ev) => {
    const name = ev.object.metadata?.name;
    if (!name) return;
    if (ev.type === 'DELETED') live.delete(name);
    else live.set(name, ev.object);
    check();
  });
  const until = (cond: () => boolean, what: string, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s (${live.size} pods, ${[...live.values()].filter(isReady).length} Ready)`)), ms);
      check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        check = () => undefined;
        resolve();
      };
      check();
    });
  const ready = () => [...live.values()].filter((p) => !p.metadata.deletionTimestamp && isReady(p));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      let at = Date.now();
      const allReady = until(() => ready().length === N, `round ${round}: ${N} Ready`, 240_000);
      await client.patch(R.deployments, 'default', 'burst', { spec: { replicas: N } });
      await allReady;
      const upS = (Date.now() - at) / 1000;
      const pods = ready();
      const ips = new Set(pods.map((p) => p.status.podIP));
      t.is(ips.size, N, `round ${round}: ${N} distinct pod IPs`);
      t.true(pods.every((p) => p.status.podIP?.startsWith('10.180.')), 'IPs from the pod CIDR');
      t.deepEqual(new Set(pods.map((p) => p.spec.nodeName)), new Set(nodeNames()), 'both nodes got pods');
      at = Date.now();
      const gone = until(() => live.size === 0, `round ${round}: all gone`, 240_000);
      await client.patch(R.deployments, 'default', 'burst', { spec: { replicas: 0 } });
      await gone;
      t.log(`round ${round}: 0 → ${N} Ready in ${upS.toFixed(1)} s, ${N} → 0 gone in ${((Date.now() - at) / 1000).toFixed(1)} s`);
      // A pod leaves the API only after the kubelet has removed its containers and released its network.
      t.deepEqual(await eventually(async () => ((await leftovers()).length === 0 ? [] : undefined), 10_000, 250).catch(async () => leftovers()), [], `round ${round}: nothing left behind`);
    }
  } finally {
    watch.close();
  }
  // Every pod's startup is in the kubelets' metrics: N × ROUNDS startups, each with a handful of Docker operations.
  let count = 0;
  let sum = 0;
  for (const node of nodeNames()) {
    const text = String(await client.request('GET', `/api/v1/nodes/${node}/proxy/metrics`));
    count += Number(/^mk8s_kubelet_pod_startup_docker_operations_count (\S+)$/m.exec(text)?.[1]);
    sum += Number(/^mk8s_kubelet_pod_startup_docker_operations_sum (\S+)$/m.exec(text)?.[1]);
    t.regex(text, /^kubelet_runtime_operations_total\{operation_type="create_container"\} \d+$/m);
  }
  t.is(count, N * ROUNDS);
  t.log(`Docker operations per pod until Ready: ${(sum / count).toFixed(1)}`);
  t.true(sum / count <= 12, `Docker operations per pod: ${sum / count}`);
});

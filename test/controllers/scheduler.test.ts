import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { kinds } from '../../controllers/kinds.js';
import { eventsFor, startCluster, waitFor, podSpec } from './harness.js';

const pod = (name: string, spec: any = {}): KubeObject => ({ metadata: { name }, spec: { ...podSpec(), ...spec } });
const nodeOf = async (c: any, name: string) => (await c.client.get(kinds.pods, 'default', name)).spec.nodeName as string | undefined;

test('nodeSelector, taints and tolerations, unschedulable nodes, and a nodeName set by the user', async (t) => {
  const c = await startCluster(t, { controllers: { only: ['scheduler'] } });
  await c.addNode('plain');
  await c.addNode('ssd', { labels: { disk: 'ssd' } });
  await c.addNode('gpu', { taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] });
  await c.addNode('cordoned', { unschedulable: true });

  await c.client.create(kinds.pods, 'default', pod('wants-ssd', { nodeSelector: { disk: 'ssd' } }));
  t.is(await waitFor(() => nodeOf(c, 'wants-ssd')), 'ssd');
  await c.client.create(kinds.pods, 'default', pod('tolerates-gpu', { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['gpu', 'cordoned'] }] }] } } } }));
  t.is(await waitFor(() => nodeOf(c, 'tolerates-gpu')), 'gpu');
  await c.client.create(kinds.pods, 'default', pod('pinned', { nodeName: 'cordoned' }));
  // Spread over the schedulable, untainted nodes only.
  for (let i = 0; i < 4; i++) await c.client.create(kinds.pods, 'default', pod(`p${i}`));
  const nodes = await waitFor(async () => {
    const ns = await Promise.all([0, 1, 2, 3].map((i) => nodeOf(c, `p${i}`)));
    return ns.every(Boolean) ? ns : undefined;
  });
  t.true(nodes.every((n) => n === 'plain' || n === 'ssd'));
  t.is(await nodeOf(c, 'pinned'), 'cordoned');
  t.false((await eventsFor(c.client, 'pinned')).some((e) => e.reason === 'Scheduled'));

  // Nothing fits: FailedScheduling with Kubernetes' message, and PodScheduled=False.
  await c.client.create(kinds.pods, 'default', pod('nowhere', { nodeSelector: { disk: 'nvme' } }));
  const ev = await waitFor(async () => (await eventsFor(c.client, 'nowhere')).find((e) => e.reason === 'FailedScheduling'));
  t.is(ev.type, 'Warning');
  t.is(ev.source.component, 'default-scheduler');
  t.is(
    ev.message,
    "0/4 nodes are available: 1 node(s) had untolerated taint {gpu: yes}, 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
  );
  const p = await c.client.get(kinds.pods, 'default', 'nowhere');
  t.like(p.status.conditions.find((x: any) => x.type === 'PodScheduled'), { status: 'False', reason: 'Unschedulable' });
  t.is(p.status.phase, 'Pending');
  // A node change that does not help: retried, and the same event counts up instead of piling up.
  await c.client.patch(kinds.nodes, undefined, 'ssd', { metadata: { labels: { unrelated: 'x' } } });
  const again = await waitFor(async () => {
    const es = (await eventsFor(c.client, 'nowhere')).filter((e) => e.reason === 'FailedScheduling');
    return es.length === 1 && es[0].count >= 2 ? es[0] : undefined;
  });
  t.is(again.metadata.name, ev.metadata.name);
  t.true(Date.parse(again.lastTimestamp) >= Date.parse(again.firstTimestamp));
  // Labelling a node makes it fit: retried on the node change.
  await c.client.patch(kinds.nodes, undefined, 'plain', { metadata: { labels: { disk: 'nvme' } } });
  t.is(await waitFor(() => nodeOf(c, 'nowhere')), 'plain');
});

test('with no Ready node a pod stays Pending with FailedScheduling, and is scheduled when a node becomes Ready', async (t) => {
  const c = await startCluster(t, { controllers: { only: ['scheduler'] } });
  await c.client.create(kinds.pods, 'default', pod('early'));
  const none = await waitFor(async () => (await eventsFor(c.client, 'early')).find((e) => e.reason === 'FailedScheduling'));
  t.is(none.message, 'no nodes available to schedule pods');
  await c.addNode('sleepy', { ready: false });
  const notReady = await waitFor(async () => (await eventsFor(c.client, 'early')).find((e) => e.reason === 'FailedScheduling' && e.message.startsWith('0/1')));
  t.is(notReady.message, '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
  t.is(await nodeOf(c, 'early'), undefined);
  const n = await c.client.get(kinds.nodes, undefined, 'sleepy');
  n.status.conditions[0] = { ...n.status.conditions[0], status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };
  await c.client.update(kinds.nodes, n, 'status');
  t.is(await waitFor(() => nodeOf(c, 'early')), 'sleepy');
  const scheduled = await waitFor(async () => (await eventsFor(c.client, 'early')).find((e) => e.reason === 'Scheduled'));
  t.is(scheduled.message, 'Successfully assigned default/early to sleepy');
});

// The kubelet's pure decisions: actions per pod state, back-off, status,
// phase, probes; environment variables as kubelet's envvars.go; the Node.
import test from 'ava';
import type { KubeObject } from '../../api/types.js';
import { nextProbeState, podActions, podPhase, podStatus, restartDelaySeconds, type ObservedContainer, type PodObservation } from '../../kubelet/desired.js';
import { containerEnv, expand, fromServices, serviceEnvVars } from '../../kubelet/envvars.js';
import { nodeObject, nodeStatus, type NodeFacts } from '../../kubelet/node.js';
import { cniConfig } from '../../kubelet/cni.js';
import { kubeletPath } from '../../apiserver/kubelet-proxy.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function mkPod(extra: any = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', ...(extra.metadata ?? {}) },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox' }], ...(extra.spec ?? {}) },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

function ctr(o: Partial<ObservedContainer>): ObservedContainer {
  return { id: o.id ?? `${o.name}-${o.attempt ?? 0}`, role: 'app', name: 'app', attempt: 0, state: 'running', createdAt: '2026-01-01T00:00:00Z', startedAt: '2026-01-01T00:00:00Z', image: 'mk8s/toolbox:1.0', imageId: 'sha256:abc', ...o };
}
const pause = (o: Partial<ObservedContainer> = {}) => ctr({ role: 'pause', name: 'POD', id: 'pause0', ...o });
const ctx = (now = T0 + 60_000) => ({ now, blocked: new Map(), livenessFailed: new Set<string>() });
const types = (a: { type: string }[]) => a.map((x) => x.type);

test('a new pod gets a sandbox, then its network, then its containers', (t) => {
  const pod = mkPod();
  t.deepEqual(podActions(pod, { containers: [] }, ctx()), [{ type: 'createSandbox', attempt: 0 }]);
  t.deepEqual(types(podActions(pod, { containers: [pause()] }, ctx())), ['setupNetwork']);
  t.deepEqual(podActions(pod, { containers: [pause()], podIP: '10.244.1.2' }, ctx()), [{ type: 'startContainer', name: 'app', attempt: 0 }]);
  t.deepEqual(podActions(pod, { containers: [pause(), ctr({})], podIP: '10.244.1.2' }, ctx()), []);
});

test('crash back-off: immediate first restart, then 10 s doubling to 5 min', (t) => {
  t.deepEqual([0, 1, 2, 3, 4, 5, 6, 9].map((a) => restartDelaySeconds(a)), [0, 10, 20, 40, 80, 160, 300, 300]);
  t.is(restartDelaySeconds(4, 11 * 60_000), 0, 'a container that ran 10 minutes resets the back-off');
  const pod = mkPod();
  const died = (attempt: number, finishedAt: number) => ctr({ attempt, state: 'exited', exitCode: 1, startedAt: new Date(finishedAt - 100).toISOString(), finishedAt: new Date(finishedAt).toISOString() });
  const obs = (c: ObservedContainer): PodObservation => ({ containers: [pause(), c], podIP: '10.244.1.2' });
  t.deepEqual(podActions(pod, obs(died(0, T0)), ctx(T0 + 1)), [{ type: 'startContainer', name: 'app', attempt: 1 }]);
  t.deepEqual(podActions(pod, obs(died(1, T0)), ctx(T0 + 1)), [{ type: 'wakeAt', at: T0 + 10_000 }]);
  t.deepEqual(podActions(pod, obs(died(1, T0)), ctx(T0 + 10_000)), [{ type: 'startContainer', name: 'app', attempt: 2 }]);
  const st = podStatus(pod, obs(died(2, T0)), { now: T0 + 5000, hostIP: '172.18.0.2', blocked: new Map(), readiness: new Map(), startup: new Map() });
  t.is(st.containerStatuses[0].state.waiting.reason, 'CrashLoopBackOff');
  t.is(st.containerStatuses[0].state.waiting.message, 'back-off 20s restarting failed container=app pod=web_default(u1)');
  t.is(st.containerStatuses[0].lastState.terminated.exitCode, 1);
  t.is(st.containerStatuses[0].restartCount, 2);
  t.is(st.phase, 'Running');
});

test('restartPolicy Never and OnFailure', (t) => {
  const exited = (code: number) => ({ containers: [pause(), ctr({ state: 'exited', exitCode: code, finishedAt: '2026-01-01T00:00:01Z' })], podIP: '10.244.1.2' });
  const never = mkPod({ spec: { restartPolicy: 'Never' } });
  // A finished pod releases its sandbox (and IP).
  t.deepEqual(types(podActions(never, exited(1), ctx())), ['teardownSandbox']);
  const onFailure = mkPod({ spec: { restartPolicy: 'OnFailure' } });
  t.deepEqual(types(podActions(onFailure, exited(0), ctx())), ['teardownSandbox']);
  t.deepEqual(podActions(onFailure, exited(2), ctx()), [{ type: 'startContainer', name: 'app', attempt: 1 }]);
  const s = (pod: KubeObject, code: number) => podStatus(pod, exited(code), { now: T0, hostIP: 'h', blocked: new Map(), readiness: new Map(), startup: new Map() });
  t.is(s(never, 0).phase, 'Succeeded');
  t.is(s(never, 1).phase, 'Failed');
  t.is(s(never, 0).containerStatuses[0].state.terminated.reason, 'Completed');
  t.is(s(never, 1).conditions.find((c: any) => c.type === 'Ready').reason, 'PodCompleted');
});

test('deletion: stop with the grace period, tear the sandbox down, remove containers, delete the object', (t) => {
  const pod = mkPod({ metadata: { deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: 7 } });
  const a = podActions(pod, { containers: [pause(), ctr({})], podIP: '10.244.1.2' }, ctx());
  t.deepEqual(types(a), ['killContainer', 'teardownSandbox', 'removeContainer', 'deletePod']);
  t.is((a[0] as any).graceSeconds, 7);
  // Orphans (no pod in the API): the same, without an API delete.
  t.deepEqual(types(podActions(undefined, { containers: [pause(), ctr({})] }, ctx())), ['killContainer', 'teardownSandbox', 'removeContainer']);
});

test('a dead sandbox is replaced and every container restarts in the new one', (t) => {
  const a = podActions(mkPod(), { containers: [pause({ state: 'exited' }), ctr({})] }, ctx());
  t.deepEqual(types(a), ['killContainer', 'teardownSandbox', 'createSandbox']);
  t.is((a[2] as any).attempt, 1);
});

test('liveness failure kills the container; a blocked container waits', (t) => {
  const c = ctr({ id: 'c1' });
  const a = podActions(mkPod(), { containers: [pause(), c], podIP: '10.244.1.2' }, { now: T0, blocked: new Map(), livenessFailed: new Set(['c1']) });
  t.deepEqual(types(a), ['killContainer']);
  const blocked = new Map([['app', { reason: 'ErrImagePull', message: 'x' }]]);
  t.deepEqual(podActions(mkPod(), { containers: [pause()], podIP: '10.244.1.2' }, { now: T0, blocked, livenessFailed: new Set() }), []);
  const st = podStatus(mkPod(), { containers: [pause()], podIP: '10.244.1.2' }, { now: T0, hostIP: 'h', blocked, readiness: new Map(), startup: new Map() });
  t.deepEqual(st.containerStatuses[0].state, { waiting: { reason: 'ErrImagePull', message: 'x' } });
  t.is(st.phase, 'Pending');
});

test('status: readiness gates Ready and ContainersReady; IPs, conditions and container fields', (t) => {
  const pod = mkPod({ spec: { containers: [{ name: 'app', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }] } });
  const obs = { containers: [pause(), ctr({ id: 'c1' })], podIP: '10.244.1.5' };
  const base = { now: T0 + 5000, hostIP: '172.18.0.2', blocked: new Map(), startup: new Map() };
  const notReady = podStatus(pod, obs, { ...base, readiness: new Map() });
  t.is(notReady.phase, 'Running');
  t.deepEqual(notReady.conditions.map((c: any) => [c.type, c.status]), [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'False'], ['ContainersReady', 'False'], ['PodScheduled', 'True']]);
  t.is(notReady.conditions[2].message, 'containers with unready status: [app]');
  const ready = podStatus(pod, obs, { ...base, readiness: new Map([['c1', true]]) });
  t.is(ready.conditions[2].status, 'True');
  t.is(ready.podIP, '10.244.1.5');
  t.deepEqual(ready.podIPs, [{ ip: '10.244.1.5' }]);
  t.deepEqual(ready.hostIPs, [{ ip: '172.18.0.2' }]);
  const cs = ready.containerStatuses[0];
  t.is(cs.containerID, 'docker://c1');
  t.is(cs.imageID, 'docker://sha256:abc');
  t.true(cs.ready && cs.started);
  t.deepEqual(cs.state, { running: { startedAt: '2026-01-01T00:00:00Z' } });
});

test('init containers run one at a time, each to success, before the app containers', (t) => {
  const pod = mkPod({ spec: { initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'wait', image: 'busybox' }] } });
  const net = (cs: ObservedContainer[]): PodObservation => ({ containers: [pause(), ...cs], podIP: '10.244.1.2' });
  const base = { now: T0 + 60_000, hostIP: 'h', blocked: new Map(), readiness: new Map(), startup: new Map() };
  t.deepEqual(podActions(pod, net([]), ctx()), [{ type: 'startContainer', name: 'setup', attempt: 0 }]);
  const setupRunning = ctr({ name: 'setup', id: 's0' });
  t.deepEqual(podActions(pod, net([setupRunning]), ctx()), []);
  const pending = podStatus(pod, net([setupRunning]), base);
  t.is(pending.phase, 'Pending');
  t.is(pending.conditions[1].status, 'False');
  t.is(pending.conditions[1].reason, 'ContainersNotInitialized');
  const setupDone = ctr({ name: 'setup', id: 's0', state: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:00:05Z' });
  t.deepEqual(podActions(pod, net([setupDone]), ctx()), [{ type: 'startContainer', name: 'wait', attempt: 0 }]);
  const waitDone = ctr({ name: 'wait', id: 'w0', state: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:00:06Z' });
  t.deepEqual(podActions(pod, net([setupDone, waitDone]), ctx()), [{ type: 'startContainer', name: 'app', attempt: 0 }]);
  const st = podStatus(pod, net([setupDone, waitDone, ctr({ id: 'a0' })]), base);
  t.is(st.phase, 'Running');
  t.is(st.conditions[1].status, 'True');
  t.deepEqual(st.initContainerStatuses.map((s: any) => s.state.terminated?.reason), ['Completed', 'Completed']);
  // A failing init container is retried with back-off; with restartPolicy Never the pod fails.
  const setupFailed = ctr({ name: 'setup', id: 's0', state: 'exited', exitCode: 1, finishedAt: '2026-01-01T00:00:05Z' });
  t.deepEqual(podActions(pod, net([setupFailed]), ctx()), [{ type: 'startContainer', name: 'setup', attempt: 1 }]);
  const never = mkPod({ spec: { restartPolicy: 'Never', initContainers: [{ name: 'setup', image: 'busybox' }] } });
  t.deepEqual(types(podActions(never, net([setupFailed]), ctx())), ['teardownSandbox']);
  t.is(podStatus(never, net([setupFailed]), base).phase, 'Failed');
});

test('phase as getPhase', (t) => {
  const s = (state: any, lastState: any = {}) => ({ state, lastState });
  t.is(podPhase(mkPod(), [s({ waiting: { reason: 'ContainerCreating' } })]), 'Pending');
  t.is(podPhase(mkPod(), [s({ running: {} }), s({ waiting: {} }, { terminated: {} })]), 'Running');
  t.is(podPhase(mkPod(), [s({ waiting: {} }, { terminated: { exitCode: 1 } })]), 'Running');
});

test('probe thresholds: the result flips after failureThreshold failures or successThreshold successes in a row', (t) => {
  const probe = { failureThreshold: 3, successThreshold: 2 };
  let s = { result: true, run: 0 } as any;
  for (const ok of [false, false]) s = nextProbeState(s, ok, probe);
  t.true(s.result);
  s = nextProbeState(s, false, probe);
  t.false(s.result);
  s = nextProbeState(s, true, probe);
  t.false(s.result);
  s = nextProbeState(s, true, probe);
  t.true(s.result);
});

const svc = (ns: string, name: string, clusterIP: string, ports: any[]): KubeObject => ({ metadata: { namespace: ns, name }, spec: { clusterIP, ports } });

test("service links exactly as kubelet's envvars.go", (t) => {
  const vars = fromServices([svc('default', 'frontend-svc', '10.96.0.20', [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }])]);
  t.deepEqual(vars.map((v) => `${v.name}=${v.value}`), [
    'FRONTEND_SVC_SERVICE_HOST=10.96.0.20',
    'FRONTEND_SVC_SERVICE_PORT=80',
    'FRONTEND_SVC_SERVICE_PORT_HTTP=80',
    'FRONTEND_SVC_SERVICE_PORT_DNS=53',
    'FRONTEND_SVC_PORT=tcp://10.96.0.20:80',
    'FRONTEND_SVC_PORT_80_TCP=tcp://10.96.0.20:80',
    'FRONTEND_SVC_PORT_80_TCP_PROTO=tcp',
    'FRONTEND_SVC_PORT_80_TCP_PORT=80',
    'FRONTEND_SVC_PORT_80_TCP_ADDR=10.96.0.20',
    'FRONTEND_SVC_PORT_53_UDP=udp://10.96.0.20:53',
    'FRONTEND_SVC_PORT_53_UDP_PROTO=udp',
    'FRONTEND_SVC_PORT_53_UDP_PORT=53',
    'FRONTEND_SVC_PORT_53_UDP_ADDR=10.96.0.20',
  ]);
  const services = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
    svc('other', 'elsewhere', '10.96.0.30', [{ port: 1 }]),
    svc('team', 'headless', 'None', [{ port: 2 }]),
    svc('team', 'api', '10.96.0.40', [{ port: 8080 }]),
  ];
  const m = serviceEnvVars(mkPod({ metadata: { namespace: 'team' } }), services);
  t.is(m.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
  t.is(m.get('API_SERVICE_PORT'), '8080');
  t.false(m.has('ELSEWHERE_SERVICE_HOST'));
  t.false(m.has('HEADLESS_SERVICE_HOST'));
  const noLinks = serviceEnvVars(mkPod({ metadata: { namespace: 'team' }, spec: { enableServiceLinks: false } }), services);
  t.deepEqual([...noLinks.keys()].filter((k) => k.startsWith('API')), []);
  t.is(noLinks.get('KUBERNETES_SERVICE_PORT'), '443', 'the kubernetes service always');
});

test('container env: fieldRef, $(VAR) expansion, container values win', (t) => {
  t.is(expand('$(A)-$$(A)-$(B)', new Map([['A', '1']])), '1-$(A)-$(B)');
  const pod = mkPod({ spec: { nodeName: 'n1' } });
  const env = containerEnv(pod, { env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'X', value: 'at $(IP) on $(NODE)' }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }, { services: [], podIP: '10.244.1.2', hostIP: '172.18.0.2' });
  t.deepEqual(env, ['IP=10.244.1.2', 'X=at 10.244.1.2 on $(NODE)', 'NODE=n1']);
  t.throws(() => containerEnv(pod, { env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, { services: [], hostIP: 'h' }));
});

const facts: NodeFacts = { name: 'mk8s-control-plane', ip: '172.18.0.2', podCidr: '10.244.1.0/24', controlPlane: true, kubeletPort: 10250, cpus: 2, memoryBytes: 2048 * 1024, maxPods: 110, osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', architecture: 'x64', runtimeVersion: '20.10.24', machineID: 'm', bootID: 'b' };

test('the Node: labels, podCIDR, addresses, capacity, nodeInfo, conditions', (t) => {
  const n = nodeObject(facts);
  t.is(n.metadata.labels!['node-role.kubernetes.io/control-plane'], '');
  t.is(n.metadata.labels!['kubernetes.io/hostname'], 'mk8s-control-plane');
  t.deepEqual(n.spec, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] });
  const s = nodeStatus(facts, { runtimeUp: true, networkReady: true }, undefined, T0);
  t.deepEqual(s.addresses, [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: 'mk8s-control-plane' }]);
  t.deepEqual(s.capacity, { cpu: '2', memory: '2048Ki', pods: '110' });
  t.is(s.nodeInfo.containerRuntimeVersion, 'docker://20.10.24');
  t.is(s.nodeInfo.architecture, 'amd64');
  t.is(s.daemonEndpoints.kubeletEndpoint.Port, 10250);
  t.deepEqual(s.conditions.map((c: any) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
    ['Ready', 'True', 'KubeletReady'],
  ]);
  const down = nodeStatus(facts, { runtimeUp: false, networkReady: true }, s, T0 + 10_000);
  t.is(down.conditions[3].status, 'False');
  t.is(down.conditions[0].lastTransitionTime, s.conditions[0].lastTransitionTime, 'unchanged conditions keep their transition time');
});

test('CNI config and the kubelet paths the apiserver proxies to', (t) => {
  const conf: any = cniConfig({ podCidr: '10.244.2.0/24', ipamDir: '/x/ipam' });
  t.is(conf.type, 'bridge');
  t.true(conf.isGateway && conf.hairpinMode);
  t.deepEqual(conf.ipam.ranges, [[{ subnet: '10.244.2.0/24' }]]);
  const pod = mkPod();
  t.is(kubeletPath(pod, 'log', new URLSearchParams('follow=true&tailLines=5')), '/containerLogs/default/web/app?follow=true&tailLines=5');
  t.is(kubeletPath(pod, 'exec', new URLSearchParams('command=ls&command=-l&container=app&stdout=true')), '/exec/default/web/app?command=ls&command=-l&stdout=true');
  t.is(kubeletPath(pod, 'portforward', new URLSearchParams()), '/portForward/default/web');
  const two = mkPod({ spec: { containers: [{ name: 'a' }, { name: 'b' }] } });
  t.throws(() => kubeletPath(two, 'log', new URLSearchParams()), { message: 'a container name must be specified for pod web, choose one of: [a b]' });
});

import test from 'ava';
import { columnsFor, formatAge, humanDuration, rowFor, tableFor } from '../../api/columns.js';
import type { KubeObject } from '../../api/types.js';

const now = new Date('2024-06-01T12:00:00Z');
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;
/** An RFC3339 timestamp `ms` before `now`, at second precision as metav1.Time serializes. */
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const names = (kind: string) => columnsFor(kind).map((c) => c.name);
const priorities = (kind: string) => columnsFor(kind).map((c) => c.priority);
const cells = (kind: string, obj: KubeObject) => rowFor(kind, obj, now).cells;

// ---------------------------------------------------------------------------
// humanDuration: apimachinery duration_test.go TestHumanDuration + TestHumanDurationBoundaries

const goCases: [number, string][] = [
  // TestHumanDuration
  [S, '1s'],
  [70 * S, '70s'],
  [190 * S, '3m10s'],
  [70 * M, '70m'],
  [47 * H, '47h'],
  [49 * H, '2d1h'],
  [(8 * 24 + 2) * H, '8d'],
  [367 * 24 * H, '367d'],
  [(365 * 2 * 24 + 25) * H, '2y1d'],
  [(365 * 8 * 24 + 2) * H, '8y'],
  // TestHumanDurationBoundaries (-2s+1ns is -1.999999999s; -1999ms is the closest in ms)
  [-2 * S, '<invalid>'],
  [-2 * S + 1, '0s'],
  [0, '0s'],
  [S - 1, '0s'],
  [2 * M - 1, '119s'],
  [2 * M, '2m'],
  [2 * M + S, '2m1s'],
  [10 * M - 1, '9m59s'],
  [10 * M, '10m'],
  [10 * M + S, '10m'],
  [3 * H - 1, '179m'],
  [3 * H, '3h'],
  [3 * H + M, '3h1m'],
  [8 * H - 1, '7h59m'],
  [8 * H, '8h'],
  [8 * H + 59 * M, '8h'],
  [2 * D - 1, '47h'],
  [2 * D, '2d'],
  [2 * D + H, '2d1h'],
  [8 * D - 1, '7d23h'],
  [8 * D, '8d'],
  [8 * D + 23 * H, '8d'],
  [2 * Y - 1, '729d'],
  [2 * Y, '2y'],
  [2 * Y + 23 * H, '2y'],
  [2 * Y + 23 * H + 59 * M, '2y'],
  [2 * Y + D - 1, '2y'],
  [2 * Y + D, '2y1d'],
  [3 * Y, '3y'],
  [4 * Y, '4y'],
  [5 * Y, '5y'],
  [6 * Y, '6y'],
  [7 * Y, '7y'],
  [8 * Y - 1, '7y364d'],
  [8 * Y, '8y'],
  [8 * Y + 364 * D, '8y'],
  [9 * Y, '9y'],
];

test('humanDuration matches apimachinery duration_test.go', (t) => {
  for (const [ms, want] of goCases) t.is(humanDuration(ms), want, `${ms}ms`);
});

test('humanDuration: the ages kubectl shows', (t) => {
  t.is(humanDuration(0), '0s');
  t.is(humanDuration(59 * S), '59s');
  t.is(humanDuration(M), '60s'); // under 2m HumanDuration stays in seconds
  t.is(humanDuration(6 * M + 47 * S), '6m47s');
  t.is(humanDuration(H), '60m'); // under 3h it stays in minutes
  t.is(humanDuration(28 * H), '28h');
  t.is(humanDuration(2 * D), '2d');
  t.is(humanDuration(5 * D), '5d');
  t.is(humanDuration(400 * D), '400d'); // days until 2y
  t.is(humanDuration(3 * Y + 180 * D), '3y180d');
});

test('formatAge: translateTimestampSince', (t) => {
  t.is(formatAge(undefined, now), '<unknown>');
  t.is(formatAge('', now), '<unknown>');
  t.is(formatAge('0001-01-01T00:00:00Z', now), '<unknown>');
  t.is(formatAge(ago(52 * S), now), '52s');
  t.is(formatAge(ago(6 * M + 47 * S), now), '6m47s');
  t.is(formatAge(ago(28 * H), now), '28h');
  t.is(formatAge(ago(-1 * S), now), '0s'); // tolerated clock skew
  t.is(formatAge(ago(-5 * S), now), '<invalid>');
});

// ---------------------------------------------------------------------------
// Pods

const nginx = { name: 'nginx', image: 'nginx:1.25' };

function pod(name: string, extra: { spec?: any; status?: any; metadata?: any } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: ago(5 * M), ...extra.metadata },
    spec: { containers: [nginx], ...extra.spec },
    status: extra.status ?? {},
  };
}

const running = { running: { startedAt: ago(5 * M) } };

test('Pod columns', (t) => {
  t.deepEqual(names('Pod'), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  t.deepEqual(priorities('Pod'), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  t.deepEqual(columnsFor('Pod')[0], { ...columnsFor('Pod')[0], name: 'Name', type: 'string', format: 'name' });
  t.is(columnsFor('Pod')[3].type, 'string');
  t.is(columnsFor('Pod')[1].format, '');
});

test('Pod Running', (t) => {
  const p = pod('web', {
    spec: { nodeName: 'node-1' },
    status: {
      phase: 'Running',
      podIP: '10.244.1.5',
      podIPs: [{ ip: '10.244.1.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: running }],
    },
  });
  t.deepEqual(cells('Pod', p), ['web', '1/1', 'Running', '0', '5m', '10.244.1.5', 'node-1', '<none>', '<none>']);
  t.is(rowFor('Pod', p, now).conditions, undefined);
});

test('Pod Pending (unscheduled)', (t) => {
  const p = pod('pending', { metadata: { creationTimestamp: ago(10 * S) }, status: { phase: 'Pending' } });
  t.deepEqual(cells('Pod', p), ['pending', '0/1', 'Pending', '0', '10s', '<none>', '<none>', '<none>', '<none>']);
});

test('Pod ContainerCreating', (t) => {
  const p = pod('creating', {
    spec: { nodeName: 'node-2' },
    status: {
      phase: 'Pending',
      containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    },
  });
  t.deepEqual(cells('Pod', p).slice(0, 5), ['creating', '0/1', 'ContainerCreating', '0', '5m']);
});

test('Pod CrashLoopBackOff with restarts (N ago)', (t) => {
  const p = pod('crashy', {
    spec: { containers: [{ name: 'app', image: 'app' }, nginx] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * M) } },
        },
        { name: 'nginx', ready: true, restartCount: 0, state: running },
      ],
    },
  });
  t.deepEqual(cells('Pod', p).slice(0, 4), ['crashy', '1/2', 'CrashLoopBackOff', '5 (5m ago)']);
});

test('Pod Terminating', (t) => {
  const p = pod('going', {
    metadata: { deletionTimestamp: ago(-30 * S) },
    status: { phase: 'Running', containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: running }] },
  });
  t.is(cells('Pod', p)[2], 'Terminating');
  // A terminal pod being deleted keeps its status.
  const done = pod('done', {
    metadata: { deletionTimestamp: ago(-30 * S) },
    status: { phase: 'Succeeded', containerStatuses: [{ name: 'nginx', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
  });
  t.is(cells('Pod', done)[2], 'Completed');
});

test('Pod Completed carries the Completed row condition', (t) => {
  const p = pod('job-x', {
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'nginx', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  });
  const row = rowFor('Pod', p, now);
  t.deepEqual(row.cells.slice(0, 4), ['job-x', '0/1', 'Completed', '0']);
  t.deepEqual(row.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const failed = pod('f', { status: { phase: 'Failed', containerStatuses: [{ name: 'nginx', state: { terminated: { exitCode: 2 } } }] } });
  t.is(rowFor('Pod', failed, now).cells[2], 'ExitCode:2');
  t.is(rowFor('Pod', failed, now).conditions?.[0].reason, 'Failed');
});

test('Pod Completed but a container still running shows Running/NotReady', (t) => {
  const status = (ready: string) => ({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready }],
    containerStatuses: [
      { name: 'a', ready: true, state: running },
      { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
  });
  t.is(cells('Pod', pod('x', { status: status('True') }))[2], 'Running');
  t.is(cells('Pod', pod('x', { status: status('False') }))[2], 'NotReady');
});

test('Pod init containers', (t) => {
  const spec = { initContainers: [{ name: 'init', image: 'busybox' }] };
  const waitingMain = [{ name: 'nginx', ready: false, state: { waiting: { reason: 'PodInitializing' } } }];
  const initRunning = pod('i', {
    spec,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: running }], containerStatuses: waitingMain },
  });
  t.deepEqual(cells('Pod', initRunning).slice(1, 4), ['0/1', 'Init:0/1', '0']);
  const initCrash = pod('i', {
    spec,
    status: {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'init', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      containerStatuses: waitingMain,
    },
  });
  t.deepEqual(cells('Pod', initCrash).slice(2, 4), ['Init:CrashLoopBackOff', '3']);
  const initError = pod('i', {
    spec,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
  });
  t.is(cells('Pod', initError)[2], 'Init:Error');
  const initSignal = pod('i', {
    spec,
    status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 137, signal: 9 } } }] },
  });
  t.is(cells('Pod', initSignal)[2], 'Init:Signal:9');
  const initDone = pod('i', {
    spec,
    status: {
      phase: 'Running',
      initContainerStatuses: [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      containerStatuses: [{ name: 'nginx', ready: true, state: running }],
    },
  });
  t.deepEqual(cells('Pod', initDone).slice(1, 3), ['1/1', 'Running']);
});

test('Pod sidecar (restartable init container) counts toward READY and RESTARTS', (t) => {
  const p = pod('side', {
    spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] },
    status: {
      phase: 'Running',
      initContainerStatuses: [
        { name: 'proxy', started: true, ready: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * M) } } },
      ],
      containerStatuses: [{ name: 'nginx', ready: true, restartCount: 0, state: running }],
    },
  });
  t.deepEqual(cells('Pod', p).slice(1, 4), ['2/2', 'Running', '1 (2m ago)']);
});

test('Pod NodeLost, SchedulingGated, readiness gates, nominated node', (t) => {
  const st = { phase: 'Running', reason: 'NodeLost', containerStatuses: [{ name: 'nginx', ready: true, state: running }] };
  t.is(cells('Pod', pod('x', { status: st }))[2], 'NodeLost');
  t.is(cells('Pod', pod('x', { status: st, metadata: { deletionTimestamp: ago(0) } }))[2], 'Unknown');
  const gated = pod('g', { status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } });
  t.is(cells('Pod', gated)[2], 'SchedulingGated');
  const gates = pod('r', {
    spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/other' }] },
    status: { phase: 'Pending', nominatedNodeName: 'node-3', conditions: [{ type: 'example.com/lb', status: 'True' }] },
  });
  t.deepEqual(cells('Pod', gates).slice(7), ['node-3', '1/2']);
});

// ---------------------------------------------------------------------------
// Services

function svc(name: string, spec: any, status: any = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, creationTimestamp: ago(2 * D) }, spec, status };
}

test('Service columns', (t) => {
  t.deepEqual(names('Service'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  t.deepEqual(priorities('Service'), [0, 0, 0, 0, 0, 0, 1]);
});

test('Service NodePort 80:31117/TCP', (t) => {
  const s = svc('hello', {
    type: 'NodePort',
    clusterIP: '10.96.10.20',
    clusterIPs: ['10.96.10.20'],
    selector: { app: 'hello' },
    ports: [{ port: 80, targetPort: 8080, nodePort: 31117, protocol: 'TCP' }],
  });
  t.deepEqual(cells('Service', s), ['hello', 'NodePort', '10.96.10.20', '<none>', '80:31117/TCP', '2d', 'app=hello']);
});

test('Service LoadBalancer pending, with IP, with hostname and externalIPs', (t) => {
  const spec = { type: 'LoadBalancer', clusterIP: '10.96.0.50', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }], selector: { app: 'web' } };
  t.deepEqual(cells('Service', svc('lb', spec)), ['lb', 'LoadBalancer', '10.96.0.50', '<pending>', '80:30080/TCP', '2d', 'app=web']);
  t.is(cells('Service', svc('lb', spec, { loadBalancer: { ingress: [{ ip: '172.18.255.200' }] } }))[3], '172.18.255.200');
  const both = svc('lb', { ...spec, externalIPs: ['5.6.7.8'] }, { loadBalancer: { ingress: [{ hostname: 'b.example.com' }, { ip: '1.2.3.4' }] } });
  t.is(cells('Service', both)[3], '1.2.3.4,b.example.com,5.6.7.8');
});

test('Service multi-port, ClusterIP, headless, ExternalName', (t) => {
  const multi = svc('api', {
    type: 'NodePort',
    clusterIP: '10.96.1.1',
    ports: [
      { name: 'http', port: 8080, nodePort: 31080, protocol: 'TCP' },
      { name: 'https', port: 8443, nodePort: 31443, protocol: 'TCP' },
    ],
  });
  t.is(cells('Service', multi)[4], '8080:31080/TCP,8443:31443/TCP');
  const cip = svc('kubernetes', { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] });
  t.deepEqual(cells('Service', cip), ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '2d', '<none>']);
  const dns = svc('kube-dns', {
    type: 'ClusterIP',
    clusterIP: '10.96.0.10',
    externalIPs: ['192.168.1.10'],
    selector: { 'k8s-app': 'kube-dns', app: 'dns' },
    ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
  });
  t.deepEqual(cells('Service', dns).slice(3), ['192.168.1.10', '53/UDP,53/TCP', '2d', 'app=dns,k8s-app=kube-dns']);
  t.is(cells('Service', svc('db', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [] }))[2], 'None');
  t.deepEqual(cells('Service', svc('ext', { type: 'ExternalName', externalName: 'db.example.com' })), [
    'ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '2d', '<none>',
  ]);
});

// ---------------------------------------------------------------------------
// Endpoints and EndpointSlices

function endpoints(subsets: any[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', creationTimestamp: ago(3 * H) }, subsets };
}

test('Endpoints columns and formatEndpoints', (t) => {
  t.deepEqual(names('Endpoints'), ['Name', 'Endpoints', 'Age']);
  const five = endpoints([
    {
      addresses: ['10.244.1.5', '10.244.2.3', '10.244.1.6', '10.244.2.4', '10.244.3.2'].map((ip) => ({ ip })),
      ports: [{ port: 80, protocol: 'TCP' }],
    },
  ]);
  t.deepEqual(cells('Endpoints', five), ['web', '10.244.1.5:80,10.244.2.3:80,10.244.1.6:80 + 2 more...', '3h']);
  t.is(cells('Endpoints', endpoints([]))[1], '<none>');
  const three = endpoints([{ addresses: [{ ip: 'a' }, { ip: 'b' }, { ip: 'c' }], ports: [{ port: 80 }] }]);
  t.is(cells('Endpoints', three)[1], 'a:80,b:80,c:80');
  const twoPorts = endpoints([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }]);
  t.is(cells('Endpoints', twoPorts)[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
  t.is(cells('Endpoints', endpoints([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }]))[1], '[fd00::1]:80');
  t.is(cells('Endpoints', endpoints([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }]))[1], '10.0.0.1,10.0.0.2');
});

test('EndpointSlice', (t) => {
  t.deepEqual(names('EndpointSlice'), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', creationTimestamp: ago(90 * S) },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: null }],
    endpoints: ['10.244.1.5', '10.244.2.3', '10.244.1.6', '10.244.2.4'].map((a) => ({ addresses: [a] })),
  };
  t.deepEqual(cells('EndpointSlice', slice), ['web-abc12', 'IPv4', '80,metrics', '10.244.1.5,10.244.2.3,10.244.1.6 + 1 more...', '90s']);
  const empty: KubeObject = { metadata: { name: 'e', creationTimestamp: ago(S) }, addressType: 'IPv4', ports: [{}], endpoints: [] };
  t.deepEqual(cells('EndpointSlice', empty), ['e', 'IPv4', '*', '<unset>', '1s']);
});

// ---------------------------------------------------------------------------
// Nodes

test('Node columns', (t) => {
  t.deepEqual(names('Node'), [
    'Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime',
  ]);
  t.deepEqual(priorities('Node'), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
});

test('Node Ready,SchedulingDisabled control-plane', (t) => {
  const node: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: 'mk8s-control-plane',
      creationTimestamp: ago(28 * H),
      labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'mk8s-control-plane' },
    },
    spec: { unschedulable: true },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'InternalIP', address: '172.18.0.2' },
        { type: 'Hostname', address: 'mk8s-control-plane' },
      ],
      nodeInfo: { kubeletVersion: 'v1.30.0', osImage: 'Ubuntu 22.04.4 LTS', kernelVersion: '6.5.0-41-generic', containerRuntimeVersion: 'docker://26.1.4' },
    },
  };
  t.deepEqual(cells('Node', node), [
    'mk8s-control-plane', 'Ready,SchedulingDisabled', 'control-plane', '28h', 'v1.30.0',
    '172.18.0.2', '<none>', 'Ubuntu 22.04.4 LTS', '6.5.0-41-generic', 'docker://26.1.4',
  ]);
});

test('Node NotReady, Unknown, roles', (t) => {
  const node = (labels: Record<string, string>, conditions: any[]): KubeObject => ({
    metadata: { name: 'n', creationTimestamp: ago(5 * D), labels },
    spec: {},
    status: { conditions },
  });
  t.deepEqual(cells('Node', node({}, [{ type: 'Ready', status: 'Unknown' }])), [
    'n', 'NotReady', '<none>', '5d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>',
  ]);
  t.is(cells('Node', node({}, [{ type: 'Ready', status: 'False' }]))[1], 'NotReady');
  t.is(cells('Node', node({}, []))[1], 'Unknown');
  const roles = { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master', 'node-role.kubernetes.io/': '' };
  t.is(cells('Node', node(roles, []))[2], 'control-plane,master,worker');
});

// ---------------------------------------------------------------------------
// Namespace, ConfigMap, Lease, other kinds

test('Namespace, ConfigMap, Lease', (t) => {
  t.deepEqual(names('Namespace'), ['Name', 'Status', 'Age']);
  t.deepEqual(cells('Namespace', { metadata: { name: 'default', creationTimestamp: ago(5 * D) }, status: { phase: 'Active' } }), ['default', 'Active', '5d']);
  t.is(cells('Namespace', { metadata: { name: 'x', deletionTimestamp: ago(0) }, status: { phase: 'Terminating' } })[1], 'Terminating');
  t.deepEqual(names('ConfigMap'), ['Name', 'Data', 'Age']);
  const cm: KubeObject = { metadata: { name: 'cfg', creationTimestamp: ago(52 * S) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
  t.deepEqual(cells('ConfigMap', cm), ['cfg', 3, '52s']);
  t.deepEqual(cells('ConfigMap', { metadata: { name: 'empty', creationTimestamp: ago(S) } }), ['empty', 0, '1s']);
  t.deepEqual(names('Lease'), ['Name', 'Holder', 'Age']);
  t.deepEqual(cells('Lease', { metadata: { name: 'node-1', creationTimestamp: ago(10 * S) }, spec: { holderIdentity: 'node-1' } }), ['node-1', 'node-1', '10s']);
  t.deepEqual(cells('Lease', { metadata: { name: 'l', creationTimestamp: ago(10 * S) }, spec: {} }), ['l', '', '10s']);
});

test('kinds without a printer get Name, Age', (t) => {
  t.deepEqual(names('Secret'), ['Name', 'Age']);
  t.is(columnsFor('Secret')[0].format, 'name');
  t.deepEqual(cells('Secret', { metadata: { name: 's', creationTimestamp: ago(6 * M + 47 * S) } }), ['s', '6m47s']);
});

// ---------------------------------------------------------------------------
// Events

test('Event columns', (t) => {
  t.deepEqual(names('Event'), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
  t.deepEqual(priorities('Event'), [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]);
  t.is(columnsFor('Event')[9].format, 'name');
  t.is(columnsFor('Event')[0].format, '');
});

test('Event rows: legacy, new-style (eventTime) and series', (t) => {
  const legacy: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17d8c9a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
    reason: 'Pulled',
    type: 'Normal',
    message: 'Successfully pulled image "nginx:1.25"\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(10 * M),
    lastTimestamp: ago(52 * S),
    count: 3,
  };
  t.deepEqual(cells('Event', legacy), [
    '52s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{nginx}', 'kubelet, node-1', 'Successfully pulled image "nginx:1.25"', '10m', 3, 'web-1.17d8c9a',
  ]);
  const modern: KubeObject = {
    metadata: { name: 'web-1.17d8c00' },
    involvedObject: { kind: 'Pod', name: 'web-1' },
    reason: 'Scheduled',
    type: 'Normal',
    message: 'Successfully assigned default/web-1 to node-1',
    eventTime: new Date(now.getTime() - 30 * S).toISOString().replace('Z', '000Z'),
    reportingComponent: 'default-scheduler',
    reportingInstance: '',
    firstTimestamp: null,
    lastTimestamp: null,
  };
  t.deepEqual(cells('Event', modern), [
    '30s', 'Normal', 'Scheduled', 'pod/web-1', '', 'default-scheduler', 'Successfully assigned default/web-1 to node-1', '30s', 1, 'web-1.17d8c00',
  ]);
  const series: KubeObject = { ...modern, series: { count: 4, lastObservedTime: ago(5 * S) } };
  const c = cells('Event', series);
  t.is(c[0], '5s');
  t.is(c[8], 4);
  const noName: KubeObject = { metadata: { name: 'e' }, involvedObject: { kind: 'Node' }, lastTimestamp: ago(S) };
  t.is(cells('Event', noName)[3], 'node');
});

// ---------------------------------------------------------------------------
// Deployments, ReplicaSets, ReplicationControllers

test('Deployment 3/3', (t) => {
  t.deepEqual(names('Deployment'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
  t.deepEqual(priorities('Deployment'), [0, 0, 0, 0, 0, 1, 1, 1]);
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: ago(5 * M) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [nginx, { name: 'log', image: 'busybox' }] } } },
    status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 },
  };
  t.deepEqual(cells('Deployment', d), ['web', '3/3', 3, 3, '5m', 'nginx,log', 'nginx:1.25,busybox', 'app=web']);
  const fresh: KubeObject = {
    metadata: { name: 'new', creationTimestamp: ago(S) },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'canary', operator: 'DoesNotExist' }] },
      template: { spec: { containers: [nginx] } },
    },
    status: {},
  };
  t.deepEqual(cells('Deployment', fresh).slice(1, 4), ['0/2', 0, 0]);
  t.is(cells('Deployment', fresh)[7], 'app=x,!canary,env in (dev,prod)');
});

test('ReplicaSet and ReplicationController', (t) => {
  const cols = ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers', 'Images', 'Selector'];
  t.deepEqual(names('ReplicaSet'), cols);
  t.deepEqual(names('ReplicationController'), cols);
  t.deepEqual(priorities('ReplicaSet'), [0, 0, 0, 0, 0, 1, 1, 1]);
  t.is(columnsFor('ReplicaSet')[1].type, 'integer');
  const rs: KubeObject = {
    metadata: { name: 'web-5d9c7', creationTimestamp: ago(5 * M) },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d9c7' } }, template: { spec: { containers: [nginx] } } },
    status: { replicas: 3, readyReplicas: 2 },
  };
  t.deepEqual(cells('ReplicaSet', rs), ['web-5d9c7', 3, 3, 2, '5m', 'nginx', 'nginx:1.25', 'app=web,pod-template-hash=5d9c7']);
  t.is(cells('ReplicaSet', { metadata: { name: 'x' }, spec: { replicas: 0, template: { spec: { containers: [] } } } })[7], '<none>');
  const rc: KubeObject = {
    metadata: { name: 'legacy', creationTimestamp: ago(2 * D) },
    spec: { replicas: 2, selector: { app: 'legacy' }, template: { spec: { containers: [nginx] } } },
    status: { replicas: 2, readyReplicas: 2 },
  };
  t.deepEqual(cells('ReplicationController', rc), ['legacy', 2, 2, 2, '2d', 'nginx', 'nginx:1.25', 'app=legacy']);
});

// ---------------------------------------------------------------------------
// The Table

test('tableFor: meta.k8s.io/v1 Table with PartialObjectMetadata rows', (t) => {
  const d: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '42', creationTimestamp: ago(5 * M) },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [nginx] } } },
    status: { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 },
  };
  const table = JSON.parse(JSON.stringify(tableFor('Deployment', [d], now, undefined, { resourceVersion: '42' })));
  t.is(table.kind, 'Table');
  t.is(table.apiVersion, 'meta.k8s.io/v1');
  t.deepEqual(table.metadata, { resourceVersion: '42' });
  t.deepEqual(table.columnDefinitions[0], {
    name: 'Name', type: 'string', format: 'name', description: columnsFor('Deployment')[0].description, priority: 0,
  });
  t.is(table.columnDefinitions.length, 8);
  t.deepEqual(table.rows, [
    {
      cells: ['web', '1/1', 1, 1, '5m', 'nginx', 'nginx:1.25', 'app=web'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: d.metadata },
    },
  ]);
  t.deepEqual(tableFor('Pod', [], now), { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: {}, columnDefinitions: columnsFor('Pod'), rows: [] });
});

test('tableFor: includeObject Object and None', (t) => {
  const bare: KubeObject = { metadata: { name: 'web', creationTimestamp: ago(M) }, spec: { replicas: 1 }, status: {} };
  const [objRow] = (tableFor('Deployment', [bare], now, 'Object') as any).rows;
  t.is(objRow.object.apiVersion, 'apps/v1');
  t.is(objRow.object.kind, 'Deployment');
  t.deepEqual(objRow.object.spec, { replicas: 1 });
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} };
  t.deepEqual((tableFor('ConfigMap', [cm], now, 'Object') as any).rows[0].object, cm);
  const [noneRow] = (tableFor('ConfigMap', [cm], now, 'None') as any).rows;
  t.is(noneRow.object, null);
});

test('tableFor: pod rows carry conditions', (t) => {
  const p = pod('done', { status: { phase: 'Succeeded', containerStatuses: [{ name: 'nginx', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } });
  const [row] = (tableFor('Pod', [p, pod('other')], now) as any).rows;
  t.deepEqual(Object.keys(row), ['cells', 'conditions', 'object']);
  t.is(row.conditions[0].type, 'Completed');
  t.false('conditions' in (tableFor('Pod', [pod('other')], now) as any).rows[0]);
});

test('every kind: one cell per column', (t) => {
  const kinds = ['Pod', 'Service', 'Endpoints', 'Node', 'Namespace', 'ConfigMap', 'Event', 'ReplicationController', 'Deployment', 'ReplicaSet', 'EndpointSlice', 'Lease', 'Secret'];
  for (const kind of kinds) {
    t.is(cells(kind, { metadata: { name: 'x' } }).length, columnsFor(kind).length, kind);
  }
});

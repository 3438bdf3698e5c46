// Server-side printing: the columns and cells kube-apiserver returns for
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, and that `mk8s get`
// prints. A TypeScript rendering of k8s.io/kubernetes
// pkg/printers/internalversion/printers.go (column names, order, priorities,
// cell formatting) and of k8s.io/apimachinery/pkg/util/duration.HumanDuration.
//
// As kube-apiserver does (its TableConvertor always calls the printers with
// `Wide: true`), rowFor returns a cell for every column, priority-1 ones
// included; clients hide priority > 0 columns unless `-o wide`, and kubectl
// upper-cases the header names when printing.
//
// Where the Go printers read internal types, fields the API always defaults
// (Service type/protocol, replicas, Namespace phase) are defaulted here too,
// and the v1 → internal conversions (podIP → podIPs, clusterIP → clusterIPs)
// are applied.

import type { KubeObject, ListMeta } from './types.js';
import { apiVersionOf, resourceTypes } from './resources.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** metav1.TableRowCondition: printPod marks Succeeded/Failed pods `Completed`. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

// ---------------------------------------------------------------------------
// duration.HumanDuration and translateTimestampSince

/**
 * k8s.io/apimachinery/pkg/util/duration.HumanDuration: ~2-3 significant
 * figures, e.g. `90s`, `6m47s`, `70m`, `3h1m`, `28h`, `2d1h`, `367d`, `3y180d`, `9y`.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  // Allow deviation no more than 2 seconds (excluded) to tolerate clock skew.
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z'); // Go's zero time.Time

function parseTime(ts: string | undefined | null): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  if (Number.isNaN(t) || t === ZERO_TIME) return undefined; // metav1.Time.IsZero()
  return t;
}

/** printers.go translateTimestampSince: `<unknown>` for a zero time, else HumanDuration(now - t). */
export function formatAge(creationTimestamp: string | undefined, now: Date): string {
  const t = parseTime(creationTimestamp);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

// ---------------------------------------------------------------------------
// Column definitions (printers.go AddHandlers)

// Descriptions are the SwaggerDoc() strings printers.go references.
const DOC = {
  name:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  creationTimestamp:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  podIP: 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
  nodeName:
    'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename',
  nominatedNodeName:
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.',
  readinessGates:
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
  rcSpecReplicas:
    'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
  rcStatusReplicas:
    'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
  rcReadyReplicas: 'The number of ready replicas for this replication controller.',
  rcSelector:
    'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  rsSpecReplicas:
    'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  rsStatusReplicas:
    'Replicas is the most recently oberved number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  rsReadyReplicas: 'The number of ready replicas for this replica set.',
  rsSelector:
    'Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  deployUpdatedReplicas: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
  deployAvailableReplicas: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
  deploySelector:
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
  svcType:
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
  svcClusterIP:
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  svcExternalIPs:
    'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.',
  svcPorts:
    'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  svcSelector:
    'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/',
  epSubsets:
    'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.',
  kubeletVersion: 'Kubelet Version reported by the node.',
  nodeAddresses:
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
  osImage: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
  kernelVersion: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
  containerRuntimeVersion: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
  evLastTimestamp: 'The time at which the most recent occurrence of this event was recorded.',
  evType: 'Type of this event (Normal, Warning), new types could be added in the future',
  evReason: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  evInvolvedObject: 'The object that this event is about.',
  evFieldPath:
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
  evSource: 'The component reporting this event. Should be a short machine understandable string.',
  evMessage: 'A human-readable description of the status of this operation.',
  evFirstTimestamp: 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
  evCount: 'The number of times this event has occurred.',
  cmData:
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
  esAddressType:
    'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
  esPorts:
    'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
  esEndpoints: 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
  holderIdentity:
    'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
} as const;

function col(name: string, type: string, description: string, priority = 0, format = ''): ColumnDefinition {
  return { name, type, format, description, priority };
}

const nameCol = col('Name', 'string', DOC.name, 0, 'name');
const ageCol = col('Age', 'string', DOC.creationTimestamp);

const COLUMNS: Record<string, ColumnDefinition[]> = {
  Pod: [
    nameCol,
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol,
    col('IP', 'string', DOC.podIP, 1),
    col('Node', 'string', DOC.nodeName, 1),
    col('Nominated Node', 'string', DOC.nominatedNodeName, 1),
    col('Readiness Gates', 'string', DOC.readinessGates, 1),
  ],
  ReplicationController: [
    nameCol,
    col('Desired', 'integer', DOC.rcSpecReplicas),
    col('Current', 'integer', DOC.rcStatusReplicas),
    col('Ready', 'integer', DOC.rcReadyReplicas),
    ageCol,
    col('Containers', 'string', DOC.containers, 1),
    col('Images', 'string', DOC.images, 1),
    col('Selector', 'string', DOC.rcSelector, 1),
  ],
  ReplicaSet: [
    nameCol,
    col('Desired', 'integer', DOC.rsSpecReplicas),
    col('Current', 'integer', DOC.rsStatusReplicas),
    col('Ready', 'integer', DOC.rsReadyReplicas),
    ageCol,
    col('Containers', 'string', DOC.containers, 1),
    col('Images', 'string', DOC.images, 1),
    col('Selector', 'string', DOC.rsSelector, 1),
  ],
  Service: [
    nameCol,
    col('Type', 'string', DOC.svcType),
    col('Cluster-IP', 'string', DOC.svcClusterIP),
    col('External-IP', 'string', DOC.svcExternalIPs),
    col('Port(s)', 'string', DOC.svcPorts),
    ageCol,
    col('Selector', 'string', DOC.svcSelector, 1),
  ],
  Endpoints: [nameCol, col('Endpoints', 'string', DOC.epSubsets), ageCol],
  Node: [
    nameCol,
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol,
    col('Version', 'string', DOC.kubeletVersion),
    col('Internal-IP', 'string', DOC.nodeAddresses, 1),
    col('External-IP', 'string', DOC.nodeAddresses, 1),
    col('OS-Image', 'string', DOC.osImage, 1),
    col('Kernel-Version', 'string', DOC.kernelVersion, 1),
    col('Container-Runtime', 'string', DOC.containerRuntimeVersion, 1),
  ],
  Event: [
    col('Last Seen', 'string', DOC.evLastTimestamp),
    col('Type', 'string', DOC.evType),
    col('Reason', 'string', DOC.evReason),
    col('Object', 'string', DOC.evInvolvedObject),
    col('Subobject', 'string', DOC.evFieldPath, 1),
    col('Source', 'string', DOC.evSource, 1),
    col('Message', 'string', DOC.evMessage),
    col('First Seen', 'string', DOC.evFirstTimestamp, 1),
    col('Count', 'string', DOC.evCount, 1),
    col('Name', 'string', DOC.name, 1, 'name'),
  ],
  Namespace: [nameCol, col('Status', 'string', 'The status of the namespace'), ageCol],
  Deployment: [
    nameCol,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', DOC.deployUpdatedReplicas),
    col('Available', 'string', DOC.deployAvailableReplicas),
    ageCol,
    col('Containers', 'string', DOC.containers, 1),
    col('Images', 'string', DOC.images, 1),
    col('Selector', 'string', DOC.deploySelector, 1),
  ],
  ConfigMap: [nameCol, col('Data', 'string', DOC.cmData), ageCol],
  Lease: [nameCol, col('Holder', 'string', DOC.holderIdentity), ageCol],
  EndpointSlice: [
    nameCol,
    col('AddressType', 'string', DOC.esAddressType),
    col('Ports', 'string', DOC.esPorts),
    col('Endpoints', 'string', DOC.esEndpoints),
    ageCol,
  ],
};

const DEFAULT_COLUMNS: ColumnDefinition[] = [nameCol, ageCol];

/** The Table column definitions for a kind; any kind without a printer gets Name, Age. */
export function columnsFor(kind: string): ColumnDefinition[] {
  return (COLUMNS[kind] ?? DEFAULT_COLUMNS).map((c) => ({ ...c }));
}

// ---------------------------------------------------------------------------
// Shared formatting helpers

/** labels.FormatLabels: `a=1,b=2` sorted by key, `<none>` when empty. */
function formatLabels(m: Record<string, string> | undefined | null): string {
  const s = labelSetString(m);
  return s === '' ? '<none>' : s;
}

/** labels.Set.String(): `k=v` pairs sorted by key, joined by ','. */
function labelSetString(m: Record<string, string> | undefined | null): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${m![k]}`)
    .join(',');
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key,
 * `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. A nil or empty selector
 * prints as ''.
 */
function labelSelectorString(sel: LabelSelector | undefined | null): string {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...new Set(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${vals})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${vals})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        return '<invalid>';
    }
  }
  // Stable sort by key, as labels.internalSelector.Add sorts ByKey.
  return reqs
    .map((r, i) => ({ ...r, i }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: as labelSelectorString, but `<none>` when empty. */
function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = labelSelectorString(sel);
  return s === '' ? '<none>' : s;
}

/** printers.go layoutContainerCells: container names and images, each joined by ','. */
function layoutContainerCells(containers: { name?: string; image?: string }[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** net.JoinHostPort: brackets IPv6 hosts. */
function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** printers.go listWithMoreString: `a,b,c + 2 more...`, `<unset>` when empty. */
function listWithMoreString(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

// ---------------------------------------------------------------------------
// Pod (printPod)

const podSuccessConditions: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const podFailedConditions: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

function hasCondition(conditions: any[] | undefined, type: string, status = 'True'): boolean {
  return (conditions ?? []).some((c) => c?.type === type && c?.status === status);
}

/** printers.go isPodInitializedConditionTrue: the first Initialized condition decides. */
function isPodInitializedConditionTrue(conditions: any[] | undefined): boolean {
  const c = (conditions ?? []).find((x) => x?.type === 'Initialized');
  return c?.status === 'True';
}

/** podutil.IsRestartableInitContainer: a sidecar (init container with restartPolicy Always). */
function isRestartableInitContainer(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

function printPod(pod: KubeObject, now: Date): TableRow {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const conditions: any[] = status.conditions ?? [];
  const initContainerSpecs: any[] = spec.initContainers ?? [];
  let restarts = 0;
  let restartableInitContainerRestarts = 0;
  let totalContainers = (spec.containers ?? []).length;
  let readyContainers = 0;
  let lastRestartDate: number | undefined;
  let lastRestartableInitContainerRestartDate: number | undefined;
  const later = (a: number | undefined, b: number | undefined) => (b !== undefined && (a === undefined || a < b) ? b : a);

  const podPhase = str(status.phase);
  let reason = status.reason ? String(status.reason) : podPhase;

  // A Pod carrying {type: PodScheduled, reason: SchedulingGated} shows SchedulingGated.
  for (const c of conditions) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const row: TableRow = { cells: [] };
  if (podPhase === 'Succeeded') row.conditions = podSuccessConditions.map((c) => ({ ...c }));
  else if (podPhase === 'Failed') row.conditions = podFailedConditions.map((c) => ({ ...c }));

  const initContainers = new Map<string, any>();
  for (const c of initContainerSpecs) {
    initContainers.set(c.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses: any[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i] ?? {};
    const state = container.state ?? {};
    const terminatedAt = parseTime(container.lastState?.terminated?.finishedAt);
    restarts += num(container.restartCount);
    lastRestartDate = later(lastRestartDate, terminatedAt);
    const restartable = isRestartableInitContainer(initContainers.get(container.name));
    if (restartable) {
      restartableInitContainerRestarts += num(container.restartCount);
      lastRestartableInitContainerRestartDate = later(lastRestartableInitContainerRestartDate, terminatedAt);
    }
    if (state.terminated && num(state.terminated.exitCode) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (state.terminated) {
      // initialization failed
      const t = state.terminated;
      if (!t.reason) reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${num(t.exitCode)}`;
      else reason = `Init:${t.reason}`;
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${initContainerSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isPodInitializedConditionTrue(conditions)) {
    restarts = restartableInitContainerRestarts;
    lastRestartDate = lastRestartableInitContainerRestartDate;
    let hasRunning = false;
    const statuses: any[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i] ?? {};
      const state = container.state ?? {};
      restarts += num(container.restartCount);
      lastRestartDate = later(lastRestartDate, parseTime(container.lastState?.terminated?.finishedAt));
      if (state.waiting?.reason) {
        reason = state.waiting.reason;
      } else if (state.terminated?.reason) {
        reason = state.terminated.reason;
      } else if (state.terminated) {
        const t = state.terminated;
        reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${num(t.exitCode)}`;
      } else if (container.ready && state.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // Back to Running if at least one container still reports Running.
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = !!pod.metadata.deletionTimestamp;
  if (deleting && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (deleting && podPhase !== 'Succeeded' && podPhase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestartDate !== undefined) {
    restartsStr = `${restarts} (${humanDuration(now.getTime() - lastRestartDate)} ago)`;
  }

  const podIP = str(status.podIP) || str(status.podIPs?.[0]?.ip) || '<none>';
  const nodeName = str(spec.nodeName) || '<none>';
  const nominatedNodeName = str(status.nominatedNodeName) || '<none>';
  let readinessGates = '<none>';
  const gates: any[] = spec.readinessGates ?? [];
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const gate of gates) {
      const c = conditions.find((x) => x?.type === gate?.conditionType);
      if (c?.status === 'True') trueConditions++;
    }
    readinessGates = `${trueConditions}/${gates.length}`;
  }

  row.cells = [
    pod.metadata.name ?? '',
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsStr,
    formatAge(pod.metadata.creationTimestamp, now),
    podIP,
    nodeName,
    nominatedNodeName,
    readinessGates,
  ];
  return row;
}

// ---------------------------------------------------------------------------
// ReplicationController, ReplicaSet, Deployment

function printReplicationController(obj: KubeObject, now: Date): TableRow {
  const [names, images] = layoutContainerCells(obj.spec?.template?.spec?.containers);
  return {
    cells: [
      obj.metadata.name ?? '',
      num(obj.spec?.replicas ?? 1),
      num(obj.status?.replicas),
      num(obj.status?.readyReplicas),
      formatAge(obj.metadata.creationTimestamp, now),
      names,
      images,
      formatLabels(obj.spec?.selector),
    ],
  };
}

function printReplicaSet(obj: KubeObject, now: Date): TableRow {
  const [names, images] = layoutContainerCells(obj.spec?.template?.spec?.containers);
  return {
    cells: [
      obj.metadata.name ?? '',
      num(obj.spec?.replicas ?? 1),
      num(obj.status?.replicas),
      num(obj.status?.readyReplicas),
      formatAge(obj.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(obj.spec?.selector),
    ],
  };
}

function printDeployment(obj: KubeObject, now: Date): TableRow {
  const [names, images] = layoutContainerCells(obj.spec?.template?.spec?.containers);
  return {
    cells: [
      obj.metadata.name ?? '',
      `${num(obj.status?.readyReplicas)}/${num(obj.spec?.replicas ?? 1)}`,
      num(obj.status?.updatedReplicas),
      num(obj.status?.availableReplicas),
      formatAge(obj.metadata.creationTimestamp, now),
      names,
      images,
      // printDeployment uses selector.String() directly: '' (not <none>) when empty.
      labelSelectorString(obj.spec?.selector),
    ],
  };
}

// ---------------------------------------------------------------------------
// Service (printService, getServiceExternalIP, makePortString)

/** loadBalancerStatusStringer (wide): ingress IPs, else hostnames, deduplicated and sorted. */
function loadBalancerStatusString(lb: any): string {
  const set = new Set<string>();
  for (const ing of lb?.ingress ?? []) {
    if (ing?.ip) set.add(ing.ip);
    else if (ing?.hostname) set.add(ing.hostname);
  }
  return [...set].sort().join(',');
}

function getServiceExternalIP(svc: KubeObject): string {
  const spec = svc.spec ?? {};
  const externalIPs: string[] = spec.externalIPs ?? [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIps = loadBalancerStatusString(svc.status?.loadBalancer);
      if (externalIPs.length > 0) {
        return [...(lbIps ? lbIps.split(',') : []), ...externalIPs].join(',');
      }
      return lbIps || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
  }
  return '<unknown>';
}

function makePortString(ports: any[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const protocol = p?.protocol ?? 'TCP';
      return num(p?.nodePort) > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p?.port}/${protocol}`;
    })
    .join(',');
}

function printService(svc: KubeObject, now: Date): TableRow {
  const spec = svc.spec ?? {};
  const internalIP = str(spec.clusterIPs?.[0]) || str(spec.clusterIP) || '<none>';
  return {
    cells: [
      svc.metadata.name ?? '',
      str(spec.type ?? 'ClusterIP'),
      internalIP,
      getServiceExternalIP(svc),
      makePortString(spec.ports) || '<none>',
      formatAge(svc.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ],
  };
}

// ---------------------------------------------------------------------------
// Endpoints and EndpointSlice

/** printers.go formatEndpoints: up to 3 `ip:port`, then ` + N more...`; `<none>` without subsets. */
function formatEndpoints(ep: KubeObject): string {
  const subsets: any[] = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses: any[] = ss?.addresses ?? [];
    const ports: any[] = ss?.ports ?? [];
    if (ports.length === 0) {
      // Headless services with no ports.
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a?.ip), num(port?.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

function printEndpoints(ep: KubeObject, now: Date): TableRow {
  return { cells: [ep.metadata.name ?? '', formatEndpoints(ep), formatAge(ep.metadata.creationTimestamp, now)] };
}

/** printers.go formatDiscoveryPorts: port number, else name, else `*`. */
function formatDiscoveryPorts(ports: any[] | undefined): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of ports ?? []) {
    if (list.length < max) {
      list.push(p?.port != null ? String(p.port) : p?.name != null ? String(p.name) : '*');
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMoreString(list, more, count, max);
}

function formatDiscoveryEndpoints(endpoints: any[] | undefined): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const e of endpoints ?? []) {
    for (const address of e?.addresses ?? []) {
      if (list.length < max) list.push(String(address));
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMoreString(list, more, count, max);
}

function printEndpointSlice(obj: KubeObject, now: Date): TableRow {
  return {
    cells: [
      obj.metadata.name ?? '',
      str(obj.addressType),
      formatDiscoveryPorts(obj.ports),
      formatDiscoveryEndpoints(obj.endpoints),
      formatAge(obj.metadata.creationTimestamp, now),
    ],
  };
}

// ---------------------------------------------------------------------------
// Node (printNode, findNodeRoles)

const labelNodeRolePrefix = 'node-role.kubernetes.io/';
const nodeLabelRole = 'kubernetes.io/role';

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and `kubernetes.io/role=<role>`, sorted, deduplicated. */
function findNodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(labelNodeRolePrefix)) {
      const role = k.slice(labelNodeRolePrefix.length);
      if (role) roles.add(role);
    } else if (k === nodeLabelRole && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(node: KubeObject, type: string): string {
  const a = (node.status?.addresses ?? []).find((x: any) => x?.type === type);
  return a ? str(a.address) : '<none>';
}

function printNode(node: KubeObject, now: Date): TableRow {
  // Only the Ready condition counts: Ready, NotReady (False or Unknown), or Unknown when absent.
  const status: string[] = [];
  const ready = [...(node.status?.conditions ?? [])].reverse().find((c: any) => c?.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');

  const info = node.status?.nodeInfo ?? {};
  return {
    cells: [
      node.metadata.name ?? '',
      status.join(','),
      findNodeRoles(node).join(',') || '<none>',
      formatAge(node.metadata.creationTimestamp, now),
      str(info.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ],
  };
}

// ---------------------------------------------------------------------------
// Event (printEvent, wide layout)

/** formatEventSource: component (or reportingComponent), then `, host` (or reportingInstance) when set. */
function formatEventSource(ev: KubeObject): string {
  const component = str(ev.source?.component) || str(ev.reportingComponent);
  const instance = str(ev.source?.host) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

function printEvent(ev: KubeObject, now: Date): TableRow {
  let firstTimestamp = formatAge(ev.firstTimestamp, now);
  if (parseTime(ev.firstTimestamp) === undefined) firstTimestamp = formatAge(ev.eventTime, now);

  let lastTimestamp = formatAge(ev.lastTimestamp, now);
  if (parseTime(ev.lastTimestamp) === undefined) lastTimestamp = firstTimestamp;

  let count = num(ev.count);
  if (ev.series) {
    lastTimestamp = formatAge(ev.series.lastObservedTime, now);
    count = num(ev.series.count);
  } else if (count === 0) {
    count = 1; // Singleton events don't have a count set in the new API.
  }

  const involved = ev.involvedObject ?? {};
  const kind = str(involved.kind).toLowerCase();
  const target = involved.name ? `${kind}/${involved.name}` : kind;

  return {
    cells: [
      lastTimestamp,
      str(ev.type),
      str(ev.reason),
      target,
      str(involved.fieldPath),
      formatEventSource(ev),
      str(ev.message).trim(),
      firstTimestamp,
      count,
      ev.metadata.name ?? '',
    ],
  };
}

// ---------------------------------------------------------------------------
// Namespace, ConfigMap, Lease, and kinds without a printer

function printNamespace(ns: KubeObject, now: Date): TableRow {
  return { cells: [ns.metadata.name ?? '', str(ns.status?.phase ?? 'Active'), formatAge(ns.metadata.creationTimestamp, now)] };
}

function printConfigMap(cm: KubeObject, now: Date): TableRow {
  const n = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
  return { cells: [cm.metadata.name ?? '', n, formatAge(cm.metadata.creationTimestamp, now)] };
}

function printLease(lease: KubeObject, now: Date): TableRow {
  return { cells: [lease.metadata.name ?? '', str(lease.spec?.holderIdentity), formatAge(lease.metadata.creationTimestamp, now)] };
}

function printDefault(obj: KubeObject, now: Date): TableRow {
  return { cells: [obj.metadata.name ?? '', formatAge(obj.metadata.creationTimestamp, now)] };
}

const PRINTERS: Record<string, (obj: KubeObject, now: Date) => TableRow> = {
  Pod: printPod,
  ReplicationController: printReplicationController,
  ReplicaSet: printReplicaSet,
  Deployment: printDeployment,
  Service: printService,
  Endpoints: printEndpoints,
  EndpointSlice: printEndpointSlice,
  Node: printNode,
  Event: printEvent,
  Namespace: printNamespace,
  ConfigMap: printConfigMap,
  Lease: printLease,
};

/** One Table row: a cell for every column of columnsFor(kind), wide ones included. */
export function rowFor(kind: string, obj: KubeObject, now: Date): TableRow {
  return (PRINTERS[kind] ?? printDefault)(obj, now);
}

// ---------------------------------------------------------------------------
// The meta.k8s.io/v1 Table (apiserver handlers/response.go asTable)

function rowObject(kind: string, obj: KubeObject, includeObject: IncludeObject): object | null {
  switch (includeObject) {
    case 'None':
      return null; // RawExtension with no object marshals as null
    case 'Object': {
      // The object in its external version, carrying its own apiVersion and kind.
      const rt = resourceTypes.find((r) => r.kind === kind);
      return { ...obj, apiVersion: obj.apiVersion ?? (rt ? apiVersionOf(rt) : 'v1'), kind: obj.kind ?? kind };
    }
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

/**
 * A complete `meta.k8s.io/v1` Table for objects of one kind. Rows carry the
 * object as kube-apiserver does for `includeObject`: PartialObjectMetadata
 * (default), the full object, or null. `listMeta` (resourceVersion, continue)
 * becomes the Table's metadata.
 */
export function tableFor(
  kind: string,
  objects: KubeObject[],
  now: Date,
  includeObject: IncludeObject = 'Metadata',
  listMeta: ListMeta = {},
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { ...listMeta },
    columnDefinitions: columnsFor(kind),
    rows: objects.map((obj) => {
      const { cells, conditions } = rowFor(kind, obj, now);
      return conditions
        ? { cells, conditions, object: rowObject(kind, obj, includeObject) }
        : { cells, object: rowObject(kind, obj, includeObject) };
    }),
  };
}

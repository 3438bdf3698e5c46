// The typed decode kube-apiserver gets from Go's encoding/json, for the
// fields this project reads: a value of the wrong JSON type (`ports: "x"`,
// `clusterIP: 5`, `replicas: 1e10`) is refused with Go's own message instead
// of reaching code that assumes the type. As Go, `null` is the zero value
// (the field is dropped; a null list element becomes an empty object, an
// empty string or 0) and unknown fields are left alone. Pure; no recursion,
// so any depth is safe (the HTTP layer caps nesting before this runs).

export type Shape =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'intstr'
  | 'any'
  | { list: Shape }
  | { map: Shape }
  | Struct;

export interface Struct {
  /** The Go type's name, e.g. `v1.ServicePort`. */
  go: string;
  fields: Record<string, Shape>;
}

const struct = (go: string, fields: Record<string, Shape>): Struct => ({ go, fields });
const list = (s: Shape) => ({ list: s });
const map = (s: Shape) => ({ map: s });
const strings = list('string');
const stringMap = map('string');

const ownerReference = struct('v1.OwnerReference', {
  apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool',
});

export const objectMeta = struct('v1.ObjectMeta', {
  name: 'string', generateName: 'string', namespace: 'string', uid: 'string', resourceVersion: 'string',
  generation: 'int64', creationTimestamp: 'any', deletionTimestamp: 'any', deletionGracePeriodSeconds: 'int64',
  labels: stringMap, annotations: stringMap, finalizers: strings, ownerReferences: list(ownerReference),
});

const labelSelector = struct('v1.LabelSelector', {
  matchLabels: stringMap,
  matchExpressions: list(struct('v1.LabelSelectorRequirement', { key: 'string', operator: 'string', values: strings })),
});

const objectReference = struct('v1.ObjectReference', {
  kind: 'string', namespace: 'string', name: 'string', uid: 'string', apiVersion: 'string', resourceVersion: 'string', fieldPath: 'string',
});

const probe = struct('v1.Probe', {
  exec: struct('v1.ExecAction', { command: strings }),
  httpGet: struct('v1.HTTPGetAction', { path: 'string', port: 'intstr', host: 'string', scheme: 'string' }),
  tcpSocket: struct('v1.TCPSocketAction', { port: 'intstr', host: 'string' }),
  initialDelaySeconds: 'int32', timeoutSeconds: 'int32', periodSeconds: 'int32', successThreshold: 'int32', failureThreshold: 'int32',
  terminationGracePeriodSeconds: 'int64',
});

const container = struct('v1.Container', {
  name: 'string', image: 'string', command: strings, args: strings, workingDir: 'string', imagePullPolicy: 'string',
  ports: list(struct('v1.ContainerPort', { name: 'string', hostPort: 'int32', containerPort: 'int32', protocol: 'string', hostIP: 'string' })),
  env: list(
    struct('v1.EnvVar', {
      name: 'string', value: 'string',
      valueFrom: struct('v1.EnvVarSource', {
        fieldRef: struct('v1.ObjectFieldSelector', { apiVersion: 'string', fieldPath: 'string' }),
        configMapKeyRef: struct('v1.ConfigMapKeySelector', { name: 'string', key: 'string', optional: 'bool' }),
        secretKeyRef: struct('v1.SecretKeySelector', { name: 'string', key: 'string', optional: 'bool' }),
      }),
    }),
  ),
  volumeMounts: list(struct('v1.VolumeMount', { name: 'string', mountPath: 'string', subPath: 'string', readOnly: 'bool' })),
  readinessProbe: probe, livenessProbe: probe, startupProbe: probe,
  terminationMessagePath: 'string', terminationMessagePolicy: 'string', stdin: 'bool', stdinOnce: 'bool', tty: 'bool',
});

const podSpec = struct('v1.PodSpec', {
  containers: list(container), initContainers: list(container), restartPolicy: 'string', terminationGracePeriodSeconds: 'int64',
  activeDeadlineSeconds: 'int64', dnsPolicy: 'string', nodeSelector: stringMap, serviceAccountName: 'string', nodeName: 'string',
  hostNetwork: 'bool', hostname: 'string', subdomain: 'string', schedulerName: 'string', priority: 'int32', enableServiceLinks: 'bool',
  tolerations: list(struct('v1.Toleration', { key: 'string', operator: 'string', value: 'string', effect: 'string', tolerationSeconds: 'int64' })),
  volumes: list(struct('v1.Volume', { name: 'string' })),
});

const podTemplate = struct('v1.PodTemplateSpec', { metadata: objectMeta, spec: podSpec });

const workloadSpec = (go: string, selector: Shape) =>
  struct(go, {
    replicas: 'int32', minReadySeconds: 'int32', revisionHistoryLimit: 'int32', progressDeadlineSeconds: 'int32', paused: 'bool',
    selector, template: podTemplate,
    strategy: struct('v1.DeploymentStrategy', {
      type: 'string', rollingUpdate: struct('v1.RollingUpdateDeployment', { maxSurge: 'intstr', maxUnavailable: 'intstr' }),
    }),
  });

const endpointPort = (go: string) => struct(go, { name: 'string', port: 'int32', protocol: 'string', appProtocol: 'string' });
const endpointAddress = struct('v1.EndpointAddress', { ip: 'string', hostname: 'string', nodeName: 'string', targetRef: objectReference });

/** The top-level fields (besides apiVersion, kind, metadata) of each kind. */
const kinds: Record<string, Struct> = {
  Pod: struct('v1.Pod', { spec: podSpec }),
  Service: struct('v1.Service', {
    spec: struct('v1.ServiceSpec', {
      type: 'string',
      ports: list(struct('v1.ServicePort', { name: 'string', protocol: 'string', appProtocol: 'string', port: 'int32', targetPort: 'intstr', nodePort: 'int32' })),
      selector: stringMap, clusterIP: 'string', clusterIPs: strings, externalIPs: strings, sessionAffinity: 'string',
      loadBalancerIP: 'string', loadBalancerSourceRanges: strings, externalName: 'string', externalTrafficPolicy: 'string',
      internalTrafficPolicy: 'string', healthCheckNodePort: 'int32', publishNotReadyAddresses: 'bool',
      allocateLoadBalancerNodePorts: 'bool', ipFamilies: strings, ipFamilyPolicy: 'string', loadBalancerClass: 'string',
      sessionAffinityConfig: struct('v1.SessionAffinityConfig', { clientIP: struct('v1.ClientIPConfig', { timeoutSeconds: 'int32' }) }),
    }),
  }),
  Endpoints: struct('v1.Endpoints', {
    subsets: list(struct('v1.EndpointSubset', { addresses: list(endpointAddress), notReadyAddresses: list(endpointAddress), ports: list(endpointPort('v1.EndpointPort')) })),
  }),
  EndpointSlice: struct('v1.EndpointSlice', {
    addressType: 'string',
    endpoints: list(
      struct('v1.Endpoint', {
        addresses: strings, hostname: 'string', nodeName: 'string', zone: 'string', targetRef: objectReference,
        conditions: struct('v1.EndpointConditions', { ready: 'bool', serving: 'bool', terminating: 'bool' }),
      }),
    ),
    ports: list(endpointPort('v1.EndpointPort')),
  }),
  Node: struct('v1.Node', {
    spec: struct('v1.NodeSpec', {
      podCIDR: 'string', podCIDRs: strings, unschedulable: 'bool', providerID: 'string',
      taints: list(struct('v1.Taint', { key: 'string', value: 'string', effect: 'string' })),
    }),
  }),
  Namespace: struct('v1.Namespace', { spec: struct('v1.NamespaceSpec', { finalizers: strings }) }),
  ConfigMap: struct('v1.ConfigMap', { data: stringMap, binaryData: stringMap, immutable: 'bool' }),
  Event: struct('v1.Event', { involvedObject: objectReference, reason: 'string', message: 'string', type: 'string', count: 'int32' }),
  ReplicationController: struct('v1.ReplicationController', { spec: workloadSpec('v1.ReplicationControllerSpec', stringMap) }),
  Deployment: struct('v1.Deployment', { spec: workloadSpec('v1.DeploymentSpec', labelSelector) }),
  ReplicaSet: struct('v1.ReplicaSet', { spec: workloadSpec('v1.ReplicaSetSpec', labelSelector) }),
  Lease: struct('v1.Lease', {
    spec: struct('v1.LeaseSpec', { holderIdentity: 'string', leaseDurationSeconds: 'int32', leaseTransitions: 'int32', acquireTime: 'any', renewTime: 'any', strategy: 'string', preferredHolder: 'string' }),
  }),
};

/** A type error, worded as Go's json.UnmarshalTypeError. */
export class ShapeError extends Error {}

const INT32 = 2 ** 31;

function goType(s: Shape): string {
  if (typeof s === 'string') {
    return { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', intstr: 'intstr.IntOrString', any: 'interface {}' }[s];
  }
  if ('list' in s) return `[]${goType(s.list)}`;
  if ('map' in s) return `map[string]${goType(s.map)}`;
  return s.go;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** The zero value of an element type, for a `null` list element or map value. */
function zero(s: Shape): unknown {
  if (s === 'string') return '';
  if (s === 'int32' || s === 'int64') return 0;
  if (s === 'bool') return false;
  if (typeof s === 'object' && 'fields' in s) return {};
  return null;
}

function fits(s: Shape, v: unknown): boolean {
  switch (s) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int32':
      return Number.isInteger(v) && (v as number) >= -INT32 && (v as number) < INT32;
    case 'int64':
      return Number.isSafeInteger(v);
    case 'intstr':
      return typeof v === 'string' || (Number.isInteger(v) && (v as number) >= -INT32 && (v as number) < INT32);
  }
  if ('list' in s) return Array.isArray(v);
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check (and normalise nulls in) an object body of `kind` in place. Throws
 * ShapeError with Go's message naming the first field of the wrong type.
 */
export function checkShape(kind: string, obj: Record<string, unknown>): void {
  const top = kinds[kind];
  const root: Struct = { go: top?.go ?? `v1.${kind}`, fields: { ...(top?.fields ?? {}), metadata: objectMeta } };
  // Work items: where a value sits, its shape, its JSON path, the Go struct it belongs to,
  // and whether it is a struct field (null: dropped) or a list element / map value (null: zero value).
  interface Item { holder: any; key: string | number; shape: Shape; path: string; parent: string; element: boolean }
  const work: Item[] = [];
  const pushStruct = (o: Record<string, unknown>, st: Struct, path: string) => {
    const parent = st.go.replace(/^v1\./, '');
    for (const [k, shape] of Object.entries(st.fields)) {
      if (Object.hasOwn(o, k)) work.push({ holder: o, key: k, shape, path: path ? `${path}.${k}` : k, parent, element: false });
    }
  };
  pushStruct(obj, root, '');
  while (work.length) {
    const { holder, key, shape, path, parent, element } = work.pop()!;
    const v = holder[key];
    if (v === null) {
      if (element) holder[key] = zero(shape);
      else delete holder[key];
      continue;
    }
    if (!fits(shape, v)) {
      throw new ShapeError(`json: cannot unmarshal ${jsonType(v)} into Go struct field ${parent}.${path} of type ${goType(shape)}`);
    }
    if (typeof shape === 'string') continue;
    if ('list' in shape) {
      (v as unknown[]).forEach((_, i) => work.push({ holder: v, key: i, shape: shape.list, path, parent, element: true }));
    } else if ('map' in shape) {
      for (const k of Object.keys(v as object)) work.push({ holder: v, key: k, shape: shape.map, path, parent, element: true });
    } else {
      pushStruct(v as Record<string, unknown>, shape, path);
    }
  }
}

/** Nesting depth of a parsed value, without recursion. */
export function nestingDepth(v: unknown, limit = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Object.values(x)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return max;
}

// Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`),
// as kubectl's typed commands send them (create deployment|service|namespace|
// configmap). A small proto2 wire-format reader plus schema tables for the
// kinds and fields those commands (and a user editing such objects) set; the
// result is the object as the JSON API would carry it, so the registry sees
// no difference. Field numbers are Kubernetes' own, from the generated.proto
// files of k8s.io/api (core/v1, apps/v1) and k8s.io/apimachinery (meta/v1,
// runtime, util/intstr). Responses stay JSON: clients list it second in Accept.
import { errors } from '../api/status.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
/** Every protobuf-encoded Kubernetes object starts with these four bytes. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

/** Malformed protobuf input: the HTTP layer answers it with a 400 Status. */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

export function isKubernetesProtobuf(contentType: string): boolean {
  return contentType.split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

// ---------------------------------------------------------------------------
// Wire format

export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

const utf8 = new TextDecoder('utf-8');
const MAX_GROUP_DEPTH = 64;

/** Reads proto wire format from buf[pos, end); every read checks bounds and throws ProtobufError past the end. */
export class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A base-128 varint as an unsigned 64-bit value (at most 10 bytes). */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('unexpected end of input in varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) {
        if (i === 9 && b > 1) throw new ProtobufError('varint overflows 64 bits');
        return result;
      }
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  int32(): number {
    return Number(BigInt.asIntN(32, this.varint()));
  }

  uint32(): number {
    return Number(BigInt.asUintN(32, this.varint()));
  }

  /** int64 as a JS number (exact up to 2^53, as JSON consumers see it anyway). */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  uint64(): number {
    return Number(this.varint());
  }

  bool(): boolean {
    return this.varint() !== 0n;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError(`unexpected end of input in ${what}`);
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  fixed64(): bigint {
    const lo = BigInt(this.fixed32());
    const hi = BigInt(this.fixed32());
    return (hi << 32n) | lo;
  }

  double(): number {
    this.need(8, 'double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4, 'float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** The length prefix of a length-delimited field, checked against what is left. */
  length(): number {
    const n = this.varint();
    if (n > BigInt(this.end - this.pos)) throw new ProtobufError(`length ${n} runs past the end of input (${this.end - this.pos} bytes left)`);
    return Number(n);
  }

  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over the next length-delimited field's contents; this reader moves past it. */
  sub(): WireReader {
    const n = this.length();
    const r = new WireReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** The next field's key: field number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtobufError('invalid field number 0');
    if (field > 0x1fffffff) throw new ProtobufError(`invalid field number ${field}`);
    if (wire > 5) throw new ProtobufError(`invalid wire type ${wire} for field ${field}`);
    return { field, wire };
  }

  /** Skip the value of a field whose key was just read (unknown fields). */
  skip(wire: number, field: number, depth = 0): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WireType.LengthDelimited: {
        const n = this.length(); // before reading pos: length() moves it past the prefix
        this.pos += n;
        return;
      }
      case WireType.Fixed32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      case WireType.StartGroup: {
        if (depth >= MAX_GROUP_DEPTH) throw new ProtobufError('groups nested too deeply');
        for (;;) {
          if (this.done) throw new ProtobufError(`unexpected end of input in group ${field}`);
          const t = this.tag();
          if (t.wire === WireType.EndGroup) {
            if (t.field !== field) throw new ProtobufError(`group ${field} closed by end of group ${t.field}`);
            return;
          }
          this.skip(t.wire, t.field, depth + 1);
        }
      }
      default:
        throw new ProtobufError(`unexpected end of group ${field}`);
    }
  }
}

// ---------------------------------------------------------------------------
// Schemas: field number -> JSON name and type, per message.

type Scalar = 'string' | 'bytes' | 'int32' | 'int64' | 'bool';
/** Messages with their own JSON form rather than an object. */
type Special = 'IntOrString' | 'Quantity';

type Field =
  /** keep: emitted even when zero (a Go pointer, or a field without omitempty); otherwise zero values are dropped as omitempty does. */
  | { name: string; t: 'scalar'; scalar: Scalar; keep: boolean }
  | { name: string; t: 'repeated'; scalar: Scalar }
  | { name: string; t: 'message'; msg: string }
  | { name: string; t: 'repeatedMessage'; msg: string }
  | { name: string; t: 'map'; value: Scalar | 'Quantity' }
  /** A Go embedded struct (`json:",inline"`): its fields land on the parent. */
  | { name: ''; t: 'inline'; msg: string };

type Schema = Record<number, Field>;

const s = (name: string, scalar: Scalar = 'string'): Field => ({ name, t: 'scalar', scalar, keep: false });
const k = (name: string, scalar: Scalar = 'string'): Field => ({ name, t: 'scalar', scalar, keep: true });
const rs = (name: string, scalar: Scalar = 'string'): Field => ({ name, t: 'repeated', scalar });
const m = (name: string, msg: string): Field => ({ name, t: 'message', msg });
const rm = (name: string, msg: string): Field => ({ name, t: 'repeatedMessage', msg });
const map = (name: string, value: Scalar | 'Quantity' = 'string'): Field => ({ name, t: 'map', value });
const inline = (msg: string): Field => ({ name: '', t: 'inline', msg });

// Fields not listed (timestamps, managedFields, status details, rarely used
// pod spec fields) are skipped like any unknown field. metav1.Time is never
// decoded, so creationTimestamp arrives absent rather than null.
const schemas: Record<string, Schema> = {
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'),
    7: s('generation', 'int64'), 10: k('deletionGracePeriodSeconds', 'int64'),
    11: map('labels'), 12: map('annotations'), 13: rm('ownerReferences', 'OwnerReference'), 14: rs('finalizers'),
  },
  OwnerReference: { 5: k('apiVersion'), 1: k('kind'), 3: k('name'), 4: k('uid'), 6: k('controller', 'bool'), 7: k('blockOwnerDeletion', 'bool') },
  LabelSelector: { 1: map('matchLabels'), 2: rm('matchExpressions', 'LabelSelectorRequirement') },
  LabelSelectorRequirement: { 1: k('key'), 2: k('operator'), 3: rs('values') },
  DeleteOptions: { 1: k('gracePeriodSeconds', 'int64'), 2: m('preconditions', 'Preconditions'), 3: k('orphanDependents', 'bool'), 4: k('propagationPolicy'), 5: rs('dryRun') },
  Preconditions: { 1: k('uid') },

  // k8s.io/api/apps/v1
  Deployment: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'DeploymentSpec'), 3: m('status', 'Empty') },
  DeploymentSpec: {
    1: k('replicas', 'int32'), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec'), 4: m('strategy', 'DeploymentStrategy'),
    5: s('minReadySeconds', 'int32'), 6: k('revisionHistoryLimit', 'int32'), 7: s('paused', 'bool'), 9: k('progressDeadlineSeconds', 'int32'),
    10: k('podReplacementPolicy'),
  },
  DeploymentStrategy: { 1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment') },
  RollingUpdateDeployment: { 1: m('maxUnavailable', 'IntOrString'), 2: m('maxSurge', 'IntOrString') },
  ReplicaSet: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ReplicaSetSpec'), 3: m('status', 'Empty') },
  ReplicaSetSpec: { 1: k('replicas', 'int32'), 4: s('minReadySeconds', 'int32'), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec') },

  // k8s.io/api/core/v1
  Namespace: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'NamespaceSpec'), 3: m('status', 'NamespaceStatus') },
  NamespaceSpec: { 1: rs('finalizers') },
  NamespaceStatus: { 1: s('phase') },
  ConfigMap: { 1: m('metadata', 'ObjectMeta'), 4: k('immutable', 'bool'), 2: map('data'), 3: map('binaryData', 'bytes') },
  Service: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ServiceSpec'), 3: m('status', 'ServiceStatus') },
  ServiceSpec: {
    1: rm('ports', 'ServicePort'), 2: map('selector'), 3: s('clusterIP'), 18: rs('clusterIPs'), 4: s('type'), 5: rs('externalIPs'),
    7: s('sessionAffinity'), 8: s('loadBalancerIP'), 9: rs('loadBalancerSourceRanges'), 10: s('externalName'),
    11: s('externalTrafficPolicy'), 12: s('healthCheckNodePort', 'int32'), 13: s('publishNotReadyAddresses', 'bool'),
    14: m('sessionAffinityConfig', 'SessionAffinityConfig'), 19: rs('ipFamilies'), 17: k('ipFamilyPolicy'),
    20: k('allocateLoadBalancerNodePorts', 'bool'), 21: k('loadBalancerClass'), 22: k('internalTrafficPolicy'), 23: k('trafficDistribution'),
  },
  // targetPort is a non-pointer IntOrString: JSON carries it even when 0 (the server defaults it to port).
  ServicePort: { 1: s('name'), 2: s('protocol'), 6: k('appProtocol'), 3: k('port', 'int32'), 4: m('targetPort', 'IntOrString'), 5: s('nodePort', 'int32') },
  SessionAffinityConfig: { 1: m('clientIP', 'ClientIPConfig') },
  ClientIPConfig: { 1: k('timeoutSeconds', 'int32') },
  ServiceStatus: { 1: m('loadBalancer', 'Empty') },
  Pod: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec'), 3: m('status', 'Empty') },
  ReplicationController: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ReplicationControllerSpec'), 3: m('status', 'Empty') },
  ReplicationControllerSpec: { 1: k('replicas', 'int32'), 4: s('minReadySeconds', 'int32'), 2: map('selector'), 3: m('template', 'PodTemplateSpec') },
  PodTemplateSpec: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec') },
  PodSpec: {
    1: rm('volumes', 'Volume'), 20: rm('initContainers', 'Container'), 2: rm('containers', 'Container'), 3: s('restartPolicy'),
    4: k('terminationGracePeriodSeconds', 'int64'), 5: k('activeDeadlineSeconds', 'int64'), 6: s('dnsPolicy'), 7: map('nodeSelector'),
    8: s('serviceAccountName'), 9: s('serviceAccount'), 21: k('automountServiceAccountToken', 'bool'), 10: s('nodeName'),
    11: s('hostNetwork', 'bool'), 12: s('hostPID', 'bool'), 13: s('hostIPC', 'bool'), 27: k('shareProcessNamespace', 'bool'),
    14: m('securityContext', 'PodSecurityContext'), 15: rm('imagePullSecrets', 'LocalObjectReference'), 16: s('hostname'), 17: s('subdomain'),
    19: s('schedulerName'), 22: rm('tolerations', 'Toleration'), 23: rm('hostAliases', 'HostAlias'), 24: s('priorityClassName'),
    25: k('priority', 'int32'), 29: k('runtimeClassName'), 30: k('enableServiceLinks', 'bool'), 31: k('preemptionPolicy'),
    35: k('setHostnameAsFQDN', 'bool'), 37: k('hostUsers', 'bool'),
  },
  PodSecurityContext: {
    2: k('runAsUser', 'int64'), 6: k('runAsGroup', 'int64'), 3: k('runAsNonRoot', 'bool'), 4: rs('supplementalGroups', 'int64'),
    5: k('fsGroup', 'int64'), 7: rm('sysctls', 'Sysctl'), 9: k('fsGroupChangePolicy'), 10: m('seccompProfile', 'SeccompProfile'),
  },
  Sysctl: { 1: k('name'), 2: k('value') },
  SeccompProfile: { 1: k('type'), 2: k('localhostProfile') },
  HostAlias: { 1: k('ip'), 2: rs('hostnames') },
  Toleration: { 1: s('key'), 2: s('operator'), 3: s('value'), 4: s('effect'), 5: k('tolerationSeconds', 'int64') },
  LocalObjectReference: { 1: s('name') },
  Container: {
    1: k('name'), 2: s('image'), 3: rs('command'), 4: rs('args'), 5: s('workingDir'), 6: rm('ports', 'ContainerPort'),
    19: rm('envFrom', 'EnvFromSource'), 7: rm('env', 'EnvVar'), 8: m('resources', 'ResourceRequirements'), 24: k('restartPolicy'),
    9: rm('volumeMounts', 'VolumeMount'), 10: m('livenessProbe', 'Probe'), 11: m('readinessProbe', 'Probe'), 22: m('startupProbe', 'Probe'),
    12: m('lifecycle', 'Lifecycle'), 13: s('terminationMessagePath'), 20: s('terminationMessagePolicy'), 14: s('imagePullPolicy'),
    15: m('securityContext', 'SecurityContext'), 16: s('stdin', 'bool'), 17: s('stdinOnce', 'bool'), 18: s('tty', 'bool'),
  },
  ContainerPort: { 1: s('name'), 2: s('hostPort', 'int32'), 3: k('containerPort', 'int32'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: k('name'), 2: s('value'), 3: m('valueFrom', 'EnvVarSource') },
  EnvVarSource: {
    1: m('fieldRef', 'ObjectFieldSelector'), 2: m('resourceFieldRef', 'ResourceFieldSelector'),
    3: m('configMapKeyRef', 'ConfigMapKeySelector'), 4: m('secretKeyRef', 'SecretKeySelector'),
  },
  ObjectFieldSelector: { 1: s('apiVersion'), 2: k('fieldPath') },
  ResourceFieldSelector: { 1: s('containerName'), 2: k('resource'), 3: m('divisor', 'Quantity') },
  ConfigMapKeySelector: { 1: inline('LocalObjectReference'), 2: k('key'), 3: k('optional', 'bool') },
  SecretKeySelector: { 1: inline('LocalObjectReference'), 2: k('key'), 3: k('optional', 'bool') },
  EnvFromSource: { 1: s('prefix'), 2: m('configMapRef', 'ConfigMapEnvSource'), 3: m('secretRef', 'SecretEnvSource') },
  ConfigMapEnvSource: { 1: inline('LocalObjectReference'), 2: k('optional', 'bool') },
  SecretEnvSource: { 1: inline('LocalObjectReference'), 2: k('optional', 'bool') },
  ResourceRequirements: { 1: map('limits', 'Quantity'), 2: map('requests', 'Quantity') },
  VolumeMount: { 1: k('name'), 2: s('readOnly', 'bool'), 7: k('recursiveReadOnly'), 3: k('mountPath'), 4: s('subPath'), 5: k('mountPropagation'), 6: s('subPathExpr') },
  Volume: { 1: k('name'), 2: inline('VolumeSource') },
  VolumeSource: {
    1: m('hostPath', 'HostPathVolumeSource'), 2: m('emptyDir', 'EmptyDirVolumeSource'), 6: m('secret', 'SecretVolumeSource'),
    10: m('persistentVolumeClaim', 'PersistentVolumeClaimVolumeSource'), 19: m('configMap', 'ConfigMapVolumeSource'),
  },
  HostPathVolumeSource: { 1: k('path'), 2: k('type') },
  EmptyDirVolumeSource: { 1: s('medium'), 2: m('sizeLimit', 'Quantity') },
  SecretVolumeSource: { 1: s('secretName'), 2: rm('items', 'KeyToPath'), 3: k('defaultMode', 'int32'), 4: k('optional', 'bool') },
  ConfigMapVolumeSource: { 1: inline('LocalObjectReference'), 2: rm('items', 'KeyToPath'), 3: k('defaultMode', 'int32'), 4: k('optional', 'bool') },
  KeyToPath: { 1: k('key'), 2: k('path'), 3: k('mode', 'int32') },
  PersistentVolumeClaimVolumeSource: { 1: k('claimName'), 2: s('readOnly', 'bool') },
  Probe: {
    1: inline('ProbeHandler'), 2: s('initialDelaySeconds', 'int32'), 3: s('timeoutSeconds', 'int32'), 4: s('periodSeconds', 'int32'),
    5: s('successThreshold', 'int32'), 6: s('failureThreshold', 'int32'), 7: k('terminationGracePeriodSeconds', 'int64'),
  },
  ProbeHandler: { 1: m('exec', 'ExecAction'), 2: m('httpGet', 'HTTPGetAction'), 3: m('tcpSocket', 'TCPSocketAction'), 4: m('grpc', 'GRPCAction') },
  ExecAction: { 1: rs('command') },
  HTTPGetAction: { 1: s('path'), 2: m('port', 'IntOrString'), 3: s('host'), 4: s('scheme'), 5: rm('httpHeaders', 'HTTPHeader') },
  HTTPHeader: { 1: k('name'), 2: k('value') },
  TCPSocketAction: { 1: m('port', 'IntOrString'), 2: s('host') },
  GRPCAction: { 1: k('port', 'int32'), 2: k('service') },
  Lifecycle: { 1: m('postStart', 'LifecycleHandler'), 2: m('preStop', 'LifecycleHandler'), 3: k('stopSignal') },
  LifecycleHandler: { 1: m('exec', 'ExecAction'), 2: m('httpGet', 'HTTPGetAction'), 3: m('tcpSocket', 'TCPSocketAction'), 4: m('sleep', 'SleepAction') },
  SleepAction: { 1: k('seconds', 'int64') },
  SecurityContext: {
    1: m('capabilities', 'Capabilities'), 2: k('privileged', 'bool'), 4: k('runAsUser', 'int64'), 8: k('runAsGroup', 'int64'),
    5: k('runAsNonRoot', 'bool'), 6: k('readOnlyRootFilesystem', 'bool'), 7: k('allowPrivilegeEscalation', 'bool'), 9: k('procMount'),
    11: m('seccompProfile', 'SeccompProfile'),
  },
  Capabilities: { 1: rs('add'), 2: rs('drop') },
  /** Status messages and the like whose contents a request never sets: `{}` as Go's JSON writes a zero struct. */
  Empty: {},
};

/** Kinds a protobuf request body may carry: `apiVersion/kind` -> root message. */
const kinds: Record<string, string> = {
  'v1/Namespace': 'Namespace',
  'v1/ConfigMap': 'ConfigMap',
  'v1/Service': 'Service',
  'v1/Pod': 'Pod',
  'v1/ReplicationController': 'ReplicationController',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
};

// ---------------------------------------------------------------------------
// Decoding

function wireOf(scalar: Scalar): number {
  return scalar === 'string' || scalar === 'bytes' ? WireType.LengthDelimited : WireType.Varint;
}

function readScalar(r: WireReader, scalar: Scalar): string | number | boolean {
  switch (scalar) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'bool':
      return r.bool();
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function expectWire(path: string, got: number, want: number): void {
  if (got !== want) throw new ProtobufError(`${path}: wire type ${got}, expected ${want}`);
}

function decodeSpecial(r: WireReader, msg: Special, path: string): string | number {
  if (msg === 'Quantity') {
    let q = '0';
    while (!r.done) {
      const t = r.tag();
      if (t.field === 1) {
        expectWire(`${path}.string`, t.wire, WireType.LengthDelimited);
        q = r.string();
      } else r.skip(t.wire, t.field);
    }
    return q;
  }
  // intstr.IntOrString{type=1, intVal=2, strVal=3}: JSON is the number or the string.
  let type = 0;
  let intVal = 0;
  let strVal = '';
  while (!r.done) {
    const t = r.tag();
    if (t.field === 1) {
      expectWire(`${path}.type`, t.wire, WireType.Varint);
      type = r.int64();
    } else if (t.field === 2) {
      expectWire(`${path}.intVal`, t.wire, WireType.Varint);
      intVal = r.int32();
    } else if (t.field === 3) {
      expectWire(`${path}.strVal`, t.wire, WireType.LengthDelimited);
      strVal = r.string();
    } else r.skip(t.wire, t.field);
  }
  return type === 1 ? strVal : intVal;
}

function decodeValue(r: WireReader, msg: string, path: string): unknown {
  if (msg === 'IntOrString' || msg === 'Quantity') return decodeSpecial(r, msg, path);
  const out: Record<string, unknown> = {};
  decodeInto(r, msg, out, path);
  return out;
}

function decodeMapEntry(r: WireReader, value: Scalar | 'Quantity', path: string): [string, unknown] {
  let key = '';
  let val: unknown = value === 'Quantity' ? '0' : value === 'string' || value === 'bytes' ? '' : value === 'bool' ? false : 0;
  while (!r.done) {
    const t = r.tag();
    if (t.field === 1) {
      expectWire(`${path} key`, t.wire, WireType.LengthDelimited);
      key = r.string();
    } else if (t.field === 2) {
      if (value === 'Quantity') {
        expectWire(`${path}[${key}]`, t.wire, WireType.LengthDelimited);
        val = decodeSpecial(r.sub(), 'Quantity', `${path}[${key}]`);
      } else {
        expectWire(`${path}[${key}]`, t.wire, wireOf(value));
        val = readScalar(r, value);
      }
    } else r.skip(t.wire, t.field);
  }
  return [key, val];
}

/** Decode the fields of message `msg` from r into out (inline messages share out with their parent). */
function decodeInto(r: WireReader, msg: string, out: Record<string, unknown>, path: string): void {
  const schema = schemas[msg];
  while (!r.done) {
    const { field, wire } = r.tag();
    const f = schema[field];
    if (!f) {
      r.skip(wire, field);
      continue;
    }
    const at = f.name ? `${path}.${f.name}` : path;
    switch (f.t) {
      case 'scalar': {
        expectWire(at, wire, wireOf(f.scalar));
        const v = readScalar(r, f.scalar);
        if (f.keep || !isZero(v)) out[f.name] = v;
        else delete out[f.name];
        break;
      }
      case 'repeated': {
        const list = (out[f.name] as unknown[] | undefined) ?? [];
        if (wire === WireType.LengthDelimited && f.scalar !== 'string' && f.scalar !== 'bytes') {
          // Packed encoding of numeric repeated fields.
          const sub = r.sub();
          while (!sub.done) list.push(readScalar(sub, f.scalar));
        } else {
          expectWire(at, wire, wireOf(f.scalar));
          list.push(readScalar(r, f.scalar));
        }
        if (list.length) out[f.name] = list;
        break;
      }
      case 'message': {
        expectWire(at, wire, WireType.LengthDelimited);
        const sub = r.sub();
        const prev = out[f.name];
        if (prev && typeof prev === 'object' && !Array.isArray(prev)) decodeInto(sub, f.msg, prev as Record<string, unknown>, at);
        else out[f.name] = decodeValue(sub, f.msg, at);
        break;
      }
      case 'repeatedMessage': {
        expectWire(at, wire, WireType.LengthDelimited);
        const list = (out[f.name] as unknown[] | undefined) ?? [];
        list.push(decodeValue(r.sub(), f.msg, `${at}[${list.length}]`));
        out[f.name] = list;
        break;
      }
      case 'map': {
        expectWire(at, wire, WireType.LengthDelimited);
        const [key, val] = decodeMapEntry(r.sub(), f.value, at);
        const obj = (out[f.name] as Record<string, unknown> | undefined) ?? {};
        obj[key] = val;
        out[f.name] = obj;
        break;
      }
      case 'inline':
        expectWire(path, wire, WireType.LengthDelimited);
        decodeInto(r.sub(), f.msg, out, path);
        break;
    }
  }
}

/** The runtime.Unknown envelope after the magic: typeMeta{apiVersion=1, kind=2}=1, raw=2, contentEncoding=3, contentType=4. */
interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export function decodeUnknown(buf: Uint8Array): Unknown {
  if (buf.length < MAGIC.length || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new ProtobufError('not a Kubernetes protobuf object: the body does not start with the "k8s\\x00" prefix');
  }
  const r = new WireReader(buf, MAGIC.length);
  const u: Unknown = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  while (!r.done) {
    const t = r.tag();
    if (t.field === 1) {
      expectWire('typeMeta', t.wire, WireType.LengthDelimited);
      const tm = r.sub();
      while (!tm.done) {
        const f = tm.tag();
        if (f.field === 1 && f.wire === WireType.LengthDelimited) u.apiVersion = tm.string();
        else if (f.field === 2 && f.wire === WireType.LengthDelimited) u.kind = tm.string();
        else tm.skip(f.wire, f.field);
      }
    } else if (t.field === 2) {
      expectWire('raw', t.wire, WireType.LengthDelimited);
      u.raw = r.bytes();
    } else if (t.field === 3) {
      expectWire('contentEncoding', t.wire, WireType.LengthDelimited);
      u.contentEncoding = r.string();
    } else if (t.field === 4) {
      expectWire('contentType', t.wire, WireType.LengthDelimited);
      u.contentType = r.string();
    } else r.skip(t.wire, t.field);
  }
  return u;
}

/**
 * Decode a Kubernetes protobuf request body to the object as its JSON form
 * would be. Throws ProtobufError for malformed input (a 400), and the
 * UnsupportedMediaType ApiError (a 415) for a kind without a schema here.
 */
export function decodeKubernetesProtobuf(buf: Buffer | Uint8Array): unknown {
  const u = decodeUnknown(buf);
  if (!u.kind || !u.apiVersion) throw new ProtobufError('the protobuf envelope has no apiVersion and kind (runtime.Unknown typeMeta)');
  if (u.contentEncoding) throw errors.unsupportedMediaType(`${PROTOBUF_CONTENT_TYPE} with content encoding ${u.contentEncoding}`);
  const root = kinds[`${u.apiVersion}/${u.kind}`];
  if (!root) throw errors.unsupportedMediaType(`${PROTOBUF_CONTENT_TYPE} for ${u.kind} in ${u.apiVersion}`);
  const obj: Record<string, unknown> = { kind: u.kind, apiVersion: u.apiVersion };
  decodeInto(new WireReader(u.raw), root, obj, u.kind);
  return obj;
}

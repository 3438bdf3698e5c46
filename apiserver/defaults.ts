// Defaulting, as Kubernetes' SetDefaults_* functions do it, so objects read
// back exactly as a real cluster shows them (kubectl get -o yaml).
import type { KubeObject } from '../api/types.js';

type Defaulter = (obj: KubeObject) => void;

function defaultProbe(p: any): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) p.httpGet.scheme ??= 'HTTP';
}

function defaultContainer(c: any): void {
  const tag = typeof c.image === 'string' ? c.image.split('/').pop()!.split('@')[0] : '';
  const hasTag = tag.includes(':');
  // As Kubernetes: `:latest` or no tag pulls Always, anything else IfNotPresent.
  c.imagePullPolicy ??= !hasTag || tag.endsWith(':latest') ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: any): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
}

function defaultTemplate(obj: KubeObject): void {
  obj.spec.template ??= {};
  obj.spec.template.metadata ??= {};
  defaultPodSpec(obj.spec.template.spec);
}

const defaulters: Record<string, Defaulter> = {
  Pod: (o) => {
    o.spec ??= {};
    defaultPodSpec(o.spec);
  },
  Service: (o) => {
    const s = (o.spec ??= {});
    s.type ??= 'ClusterIP';
    s.sessionAffinity ??= 'None';
    if (s.sessionAffinity === 'ClientIP') {
      s.sessionAffinityConfig ??= {};
      s.sessionAffinityConfig.clientIP ??= {};
      s.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
    }
    for (const p of s.ports ?? []) {
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (s.type !== 'ExternalName') s.internalTrafficPolicy ??= 'Cluster';
    if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ??= 'Cluster';
    if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
  },
  Deployment: (o) => {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.strategy ??= {};
    s.strategy.type ??= 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxSurge ??= '25%';
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
    }
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    defaultTemplate(o);
  },
  ReplicaSet: (o) => {
    o.spec ??= {};
    o.spec.replicas ??= 1;
    defaultTemplate(o);
  },
  ReplicationController: (o) => {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    defaultTemplate(o);
    // As core/v1: selector and labels default to the template's labels.
    const labels = s.template.metadata.labels;
    if (labels && (!s.selector || Object.keys(s.selector).length === 0)) s.selector = { ...labels };
    if (labels && (!o.metadata.labels || Object.keys(o.metadata.labels).length === 0)) o.metadata.labels = { ...labels };
  },
  Namespace: (o) => {
    o.spec ??= {};
    o.spec.finalizers ??= ['kubernetes'];
  },
  Endpoints: (o) => {
    for (const ss of o.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ??= 'TCP';
  },
  EndpointSlice: (o) => {
    for (const p of o.ports ?? []) p.protocol ??= 'TCP';
  },
};

export function applyDefaults(obj: KubeObject): void {
  // ObjectMeta's lists are `omitempty` in Go: an orphaned object has no ownerReferences field, not `[]`.
  const m = obj.metadata as Record<string, unknown> | undefined;
  for (const k of ['ownerReferences', 'finalizers']) if (m && Array.isArray(m[k]) && (m[k] as unknown[]).length === 0) delete m[k];
  defaulters[obj.kind ?? '']?.(obj);
}

/** The status a new object starts with, as the registries' PrepareForCreate reset it. */
export function initialStatus(obj: KubeObject): unknown {
  switch (obj.kind) {
    case 'Pod':
      return { phase: 'Pending', qosClass: podQOSClass(obj.spec) };
    case 'Service':
      return { loadBalancer: {} };
    case 'Namespace':
      return { phase: 'Active' };
    case 'Deployment':
    case 'ReplicaSet':
    case 'ReplicationController':
      return { replicas: 0 };
    default:
      return obj.status;
  }
}

function podQOSClass(spec: any): string {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const any = containers.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const l = c.resources?.limits ?? {};
    const r = c.resources?.requests ?? l;
    return l.cpu && l.memory && r.cpu === l.cpu && r.memory === l.memory;
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

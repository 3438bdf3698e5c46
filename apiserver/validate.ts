// Validation, a subset of Kubernetes' pkg/apis/*/validation that covers what
// learners get wrong: names, labels, ports, selectors that do not match their
// template, and immutable fields. Messages are Kubernetes' own.
import type { KubeObject } from '../api/types.js';
import { fieldErrors as fe, type FieldError } from '../api/status.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, isValidPortName, isValidIPv4 } from '../api/validation.js';
import { deepEqual } from '../api/deep-equal.js';
import { validateLabels as labelErrors, fieldErrorBody, selectorFromLabelSelector, matchesSelector, SelectorError } from '../api/labels.js';

function validateLabels(labels: unknown, path: string): FieldError[] {
  return labelErrors(labels, path).map((e) => ({ type: e.type, field: e.field, message: fieldErrorBody(e) }));
}

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
function dns1035LabelErrors(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1035.test(s)) {
    out.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return out;
}

/** Which name rule each kind follows (Kubernetes' ValidateObjectMeta name funcs). */
const nameRule: Record<string, (s: string) => string[]> = {
  Namespace: dns1123LabelErrors,
  Service: dns1035LabelErrors,
};

export function validateMeta(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const m = obj.metadata;
  if (!m.name) errs.push(fe.required('metadata.name', 'name or generateName is required'));
  else for (const msg of (nameRule[obj.kind ?? ''] ?? dns1123SubdomainErrors)(m.name)) errs.push(fe.invalid('metadata.name', m.name, msg));
  errs.push(...(validateLabels(m.labels ?? {}, 'metadata.labels')));
  if (m.annotations !== undefined && (typeof m.annotations !== 'object' || m.annotations === null)) {
    errs.push(fe.invalid('metadata.annotations', m.annotations, 'must be a map of string to string'));
  } else {
    for (const [k, v] of Object.entries(m.annotations ?? {})) {
      if (typeof v !== 'string') errs.push(fe.invalid(`metadata.annotations[${k}]`, v, 'must be a string'));
    }
  }
  return errs;
}

function validPort(n: unknown): boolean {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;
}

const protocols = ['TCP', 'UDP', 'SCTP'];

function validateContainers(list: any, path: string, required: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    if (required) errs.push(fe.required(path, ''));
    return errs;
  }
  const names = new Set<string>();
  list.forEach((c: any, i: number) => {
    const p = `${path}[${i}]`;
    if (!c || typeof c !== 'object') return errs.push(fe.invalid(p, c, 'must be an object'));
    if (!c.name) errs.push(fe.required(`${p}.name`));
    else {
      for (const msg of dns1123LabelErrors(String(c.name))) errs.push(fe.invalid(`${p}.name`, c.name, msg));
      if (names.has(c.name)) errs.push(fe.duplicate(`${p}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image || typeof c.image !== 'string') errs.push(fe.required(`${p}.image`));
    (c.ports ?? []).forEach((port: any, j: number) => {
      const pp = `${p}.ports[${j}]`;
      if (!validPort(port.containerPort)) errs.push(fe.invalid(`${pp}.containerPort`, port.containerPort, 'must be between 1 and 65535, inclusive'));
      if (port.name !== undefined && !isValidPortName(port.name)) errs.push(fe.invalid(`${pp}.name`, port.name, 'must be no more than 15 characters, contain only lowercase alphanumeric characters or \'-\', contain at least one letter and not begin or end with \'-\''));
      if (!protocols.includes(port.protocol)) errs.push(fe.notSupported(`${pp}.protocol`, port.protocol, protocols));
    });
    for (const [k, v] of [['command', c.command], ['args', c.args]] as const) {
      if (v !== undefined && (!Array.isArray(v) || v.some((x: unknown) => typeof x !== 'string'))) errs.push(fe.invalid(`${p}.${k}`, v, 'must be a list of strings'));
    }
    (c.env ?? []).forEach((e: any, j: number) => {
      if (!e?.name) errs.push(fe.required(`${p}.env[${j}].name`));
    });
  });
  return errs;
}

export function validatePodSpec(spec: any, path: string): FieldError[] {
  if (!spec || typeof spec !== 'object') return [fe.required(path)];
  const errs = [...validateContainers(spec.containers, `${path}.containers`, true), ...validateContainers(spec.initContainers, `${path}.initContainers`, false)];
  const policies = ['Always', 'OnFailure', 'Never'];
  if (!policies.includes(spec.restartPolicy)) errs.push(fe.notSupported(`${path}.restartPolicy`, spec.restartPolicy, policies));
  return errs;
}

/** Workload selector must be present and select the template's labels. */
function validateSelectorTemplate(obj: KubeObject, mapSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const labels = obj.spec?.template?.metadata?.labels ?? {};
  let matches: boolean;
  if (mapSelector) {
    const sel = obj.spec?.selector ?? {};
    if (Object.keys(sel).length === 0) return [fe.required('spec.selector')];
    matches = Object.entries(sel).every(([k, v]) => labels[k] === v);
  } else {
    if (!obj.spec?.selector) return [fe.required('spec.selector')];
    try {
      const sel = selectorFromLabelSelector(obj.spec.selector);
      if (!sel || sel.length === 0) errs.push(fe.invalid('spec.selector', obj.spec.selector, 'empty selector is invalid for deployment'));
      matches = matchesSelector(sel, labels);
    } catch (e) {
      if (e instanceof SelectorError) return [fe.invalid('spec.selector', obj.spec.selector, e.message)];
      throw e;
    }
  }
  if (!matches) errs.push(fe.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  return errs;
}

function validateWorkload(obj: KubeObject, mapSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const r = obj.spec?.replicas;
  if (!Number.isInteger(r) || r < 0) errs.push(fe.invalid('spec.replicas', r, 'must be greater than or equal to 0'));
  errs.push(...validateSelectorTemplate(obj, mapSelector));
  errs.push(...validateLabels(obj.spec?.template?.metadata?.labels ?? {}, 'spec.template.metadata.labels'));
  errs.push(...validatePodSpec(obj.spec?.template?.spec, 'spec.template.spec'));
  return errs;
}

const serviceTypes = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

function validateService(obj: KubeObject): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (!serviceTypes.includes(s.type)) errs.push(fe.notSupported('spec.type', s.type, serviceTypes));
  if (!['None', 'ClientIP'].includes(s.sessionAffinity)) errs.push(fe.notSupported('spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']));
  const ports: any[] = Array.isArray(s.ports) ? s.ports : [];
  if (s.ports !== undefined && !Array.isArray(s.ports)) errs.push(fe.invalid('spec.ports', s.ports, 'must be a list'));
  if (s.type === 'ExternalName') {
    if (!s.externalName) errs.push(fe.required('spec.externalName'));
    else for (const msg of dns1123SubdomainErrors(String(s.externalName).replace(/\.$/, ''))) errs.push(fe.invalid('spec.externalName', s.externalName, msg));
  } else if (ports.length === 0 && s.clusterIP !== 'None') {
    errs.push(fe.required('spec.ports'));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(fe.required(`${pp}.name`));
    if (p.name) {
      for (const msg of dns1123LabelErrors(String(p.name))) errs.push(fe.invalid(`${pp}.name`, p.name, msg));
      if (names.has(p.name)) errs.push(fe.duplicate(`${pp}.name`, p.name));
      names.add(p.name);
    }
    if (!validPort(p.port)) errs.push(fe.invalid(`${pp}.port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
    if (!protocols.includes(p.protocol)) errs.push(fe.notSupported(`${pp}.protocol`, p.protocol, protocols));
    const key = `${p.port}/${p.protocol}`;
    if (seen.has(key)) errs.push(fe.duplicate(`${pp}`, { port: p.port, protocol: p.protocol }));
    seen.add(key);
    const tp = p.targetPort ?? 0;
    if (typeof tp === 'number') {
      if (!validPort(tp)) errs.push(fe.invalid(`${pp}.targetPort`, tp, 'must be between 1 and 65535, inclusive'));
    } else if (typeof tp !== 'string' || !isValidPortName(tp)) {
      errs.push(fe.invalid(`${pp}.targetPort`, tp, 'must contain at least one letter or number (a-z, 0-9)'));
    }
    if (p.nodePort !== undefined && p.nodePort !== 0 && !Number.isInteger(p.nodePort)) errs.push(fe.invalid(`${pp}.nodePort`, p.nodePort, 'must be an integer'));
  });
  if (s.selector !== undefined && (typeof s.selector !== 'object' || s.selector === null || Array.isArray(s.selector))) {
    errs.push(fe.invalid('spec.selector', s.selector, 'must be a map of string to string'));
  } else errs.push(...(validateLabels(s.selector ?? {}, 'spec.selector')));
  if (s.externalTrafficPolicy !== undefined && s.type !== 'NodePort' && s.type !== 'LoadBalancer') {
    errs.push(fe.invalid('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (s.externalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(s.externalTrafficPolicy)) {
    errs.push(fe.notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.internalTrafficPolicy !== undefined && !['Cluster', 'Local'].includes(s.internalTrafficPolicy)) {
    errs.push(fe.notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  for (const [i, ip] of (s.externalIPs ?? []).entries()) if (!isValidIPv4(ip)) errs.push(fe.invalid(`spec.externalIPs[${i}]`, ip, 'must be a valid IP address'));
  if (s.loadBalancerIP && !isValidIPv4(s.loadBalancerIP)) errs.push(fe.invalid('spec.loadBalancerIP', s.loadBalancerIP, 'must be a valid IP address'));
  return errs;
}

function validateEndpoints(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  (obj.subsets ?? []).forEach((ss: any, i: number) => {
    for (const key of ['addresses', 'notReadyAddresses']) {
      (ss[key] ?? []).forEach((a: any, j: number) => {
        if (!isValidIPv4(a?.ip)) errs.push(fe.invalid(`subsets[${i}].${key}[${j}].ip`, a?.ip, 'must be a valid IP address'));
      });
    }
    (ss.ports ?? []).forEach((p: any, j: number) => {
      if (!validPort(p.port)) errs.push(fe.invalid(`subsets[${i}].ports[${j}].port`, p.port, 'must be between 1 and 65535, inclusive'));
    });
  });
  return errs;
}

function validateEndpointSlice(obj: KubeObject): FieldError[] {
  const types = ['IPv4', 'IPv6', 'FQDN'];
  const errs: FieldError[] = [];
  if (!types.includes(obj.addressType)) errs.push(fe.notSupported('addressType', obj.addressType, types));
  (obj.endpoints ?? []).forEach((e: any, i: number) => {
    if (!Array.isArray(e?.addresses) || e.addresses.length === 0) errs.push(fe.required(`endpoints[${i}].addresses`));
    else if (obj.addressType === 'IPv4') e.addresses.forEach((a: string, j: number) => {
      if (!isValidIPv4(a)) errs.push(fe.invalid(`endpoints[${i}].addresses[${j}]`, a, 'must be a valid IPv4 address'));
    });
  });
  return errs;
}

function validateConfigMap(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj.data ?? {})) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k)) errs.push(fe.invalid(`data[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
    if (typeof v !== 'string') errs.push(fe.invalid(`data[${k}]`, v, 'must be a string'));
  }
  return errs;
}

/** metav1.MicroTime as it is written: RFC 3339 with a fraction of up to nine digits. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** coordination/validation ValidateLeaseSpec (the released messages), and times that parse. */
function validateLease(obj: KubeObject): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (s.leaseDurationSeconds !== undefined && s.leaseDurationSeconds !== null && s.leaseDurationSeconds <= 0) {
    errs.push(fe.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (s.leaseTransitions !== undefined && s.leaseTransitions !== null && s.leaseTransitions < 0) {
    errs.push(fe.invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  }
  for (const k of ['acquireTime', 'renewTime']) {
    const v = s[k];
    if (v !== undefined && v !== null && (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v)))) {
      errs.push(fe.invalid(`spec.${k}`, v, 'must be a time in RFC 3339 format with microseconds, e.g. 2006-01-02T15:04:05.000000Z'));
    }
  }
  const strategies = ['OldestEmulationVersion'];
  if (s.strategy !== undefined && s.strategy !== null && s.strategy !== '' && !strategies.includes(s.strategy)) {
    errs.push(fe.notSupported('spec.strategy', s.strategy, strategies));
  }
  if (s.preferredHolder && !s.strategy) errs.push(fe.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}

const kindValidators: Record<string, (o: KubeObject) => FieldError[]> = {
  Lease: validateLease,
  Pod: (o) => validatePodSpec(o.spec, 'spec'),
  Service: validateService,
  Deployment: (o) => validateWorkload(o, false),
  ReplicaSet: (o) => validateWorkload(o, false),
  ReplicationController: (o) => validateWorkload(o, true),
  Endpoints: validateEndpoints,
  EndpointSlice: validateEndpointSlice,
  ConfigMap: validateConfigMap,
};

export function validateObject(obj: KubeObject): FieldError[] {
  return [...validateMeta(obj), ...(kindValidators[obj.kind ?? '']?.(obj) ?? [])];
}

const stripImages = (spec: any) => ({
  ...spec,
  containers: (spec?.containers ?? []).map((c: any) => ({ ...c, image: undefined })),
  initContainers: (spec?.initContainers ?? []).map((c: any) => ({ ...c, image: undefined })),
  activeDeadlineSeconds: undefined,
  tolerations: undefined,
});

/** Rules that compare the new object with the stored one. */
export function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  switch (obj.kind) {
    case 'Pod':
      if (!deepEqual(stripImages(obj.spec), stripImages(old.spec))) {
        errs.push(fe.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
      }
      break;
    case 'Deployment':
    case 'ReplicaSet':
      if (!deepEqual(obj.spec?.selector, old.spec?.selector)) {
        errs.push(fe.invalid('spec.selector', obj.spec?.selector, 'field is immutable'));
      }
      break;
  }
  return errs;
}

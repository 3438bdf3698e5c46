// A container's environment, as Kubernetes' kubelet makes it (pure):
// service links (pkg/kubelet/envvars/envvars.go), the container's own env
// with `valueFrom.fieldRef`, and `$(VAR)` expansion (third_party/forked/golang/expansion).
import type { KubeObject } from '../api/types.js';

export interface EnvVar {
  name: string;
  value: string;
}

const envName = (s: string) => s.toUpperCase().replace(/-/g, '_');

function isServiceIPSet(svc: KubeObject): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

/** Docker-link-style variables of one service, as makeLinkVariables. */
function linkVariables(svc: KubeObject): EnvVar[] {
  const prefix = envName(svc.metadata.name!);
  const ip: string = svc.spec.clusterIP;
  const out: EnvVar[] = [];
  (svc.spec.ports ?? []).forEach((p: any, i: number) => {
    const proto = String(p.protocol || 'TCP');
    const hostPort = ip.includes(':') ? `[${ip}]:${p.port}` : `${ip}:${p.port}`;
    const url = `${proto.toLowerCase()}://${hostPort}`;
    // Docker special-cases the first port.
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push(
      { name: pp, value: url },
      { name: `${pp}_PROTO`, value: proto.toLowerCase() },
      { name: `${pp}_PORT`, value: String(p.port) },
      { name: `${pp}_ADDR`, value: ip },
    );
  });
  return out;
}

/** envvars.FromServices. */
export function fromServices(services: KubeObject[]): EnvVar[] {
  const out: EnvVar[] = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc) || !(svc.spec.ports ?? []).length) continue;
    const host = `${envName(svc.metadata.name!)}_SERVICE_HOST`;
    out.push({ name: host, value: svc.spec.clusterIP });
    const port = `${envName(svc.metadata.name!)}_SERVICE_PORT`;
    out.push({ name: port, value: String(svc.spec.ports[0].port) });
    for (const p of svc.spec.ports) if (p.name) out.push({ name: `${port}_${envName(p.name)}`, value: String(p.port) });
    out.push(...linkVariables(svc));
  }
  return out;
}

/**
 * The services whose variables a pod gets, as kubelet's getServiceEnvVarMap:
 * those of the pod's namespace when enableServiceLinks, and always the
 * `kubernetes` service of `default`.
 */
export function serviceEnvVars(pod: KubeObject, services: KubeObject[]): Map<string, string> {
  const ns = pod.metadata.namespace;
  const links = pod.spec?.enableServiceLinks !== false;
  const byName = new Map<string, KubeObject>();
  // Sorted so the result doesn't depend on cache order (Go iterates a map: any order).
  const sorted = [...services].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  for (const svc of sorted) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata.name!;
    if (svc.metadata.namespace === 'default' && name === 'kubernetes') {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (svc.metadata.namespace === ns && links) byName.set(name, svc);
  }
  const m = new Map<string, string>();
  for (const e of fromServices([...byName.values()])) m.set(e.name, e.value);
  return m;
}

/** The value of a `fieldRef`, as the downward API's podFieldSelectorRuntimeValue + ExtractFieldPathAsString. */
export function fieldRefValue(pod: KubeObject, fieldPath: string, podIP: string | undefined, hostIP: string): string | undefined {
  const m = pod.metadata;
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (sub) return (sub[1] === 'labels' ? m.labels : m.annotations)?.[sub[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return m.name;
    case 'metadata.namespace':
      return m.namespace;
    case 'metadata.uid':
      return m.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return podIP ?? '';
    default:
      return undefined;
  }
}

/**
 * `$(VAR)` references replaced from `vars`; `$$` is a literal `$`; an
 * unknown reference stays as written (as Kubernetes' expansion.Expand).
 */
export function expand(input: string, vars: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = close;
    } else out += c;
  }
  return out;
}

export interface EnvContext {
  services: KubeObject[];
  podIP?: string;
  hostIP: string;
  configMaps?: Map<string, KubeObject>;
}

/**
 * The final `NAME=value` list for a container: service variables first,
 * then the container's env in order (each may refer to earlier ones with
 * `$(NAME)`). Throws an Error with kubelet's message when a reference can't
 * be resolved (the container then waits with CreateContainerConfigError).
 */
export function containerEnv(pod: KubeObject, container: any, ctx: EnvContext): string[] {
  const vars = serviceEnvVars(pod, ctx.services);
  const result = new Map(vars);
  for (const from of container.envFrom ?? []) {
    const cmName = from.configMapRef?.name;
    if (!cmName) continue;
    const cm = ctx.configMaps?.get(`${pod.metadata.namespace}/${cmName}`);
    if (!cm) {
      if (from.configMapRef.optional) continue;
      throw new Error(`configmap "${cmName}" not found`);
    }
    for (const [k, v] of Object.entries(cm.data ?? {})) result.set(`${from.prefix ?? ''}${k}`, String(v));
  }
  for (const e of container.env ?? []) {
    let value: string | undefined;
    if (e.valueFrom?.fieldRef) {
      value = fieldRefValue(pod, e.valueFrom.fieldRef.fieldPath, ctx.podIP, ctx.hostIP);
      if (value === undefined) throw new Error(`unsupported fieldPath: ${e.valueFrom.fieldRef.fieldPath}`);
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const cm = ctx.configMaps?.get(`${pod.metadata.namespace}/${ref.name}`);
      value = cm?.data?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new Error(cm ? `couldn't find key ${ref.key} in ConfigMap ${pod.metadata.namespace}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
    } else if (e.valueFrom?.resourceFieldRef) {
      value = '0';
    } else if (e.valueFrom) {
      throw new Error(`unsupported valueFrom for ${e.name} (mk8s has no secrets)`);
    } else value = expand(String(e.value ?? ''), result);
    result.set(e.name, value);
  }
  return [...result].map(([k, v]) => `${k}=${v}`);
}

/** command/args with `$(VAR)` expanded from the container's final environment. */
export function expandCommand(argv: string[] | undefined, env: string[]): string[] | undefined {
  if (!argv) return undefined;
  const vars = new Map(env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return argv.map((a) => expand(String(a), vars));
}

// The pieces every kubectl describer shares (k8s.io/kubectl/pkg/describe):
// a PrefixWriter into Go's default tabwriter (minwidth 0, padding 2),
// multi-line labels and annotations, RFC 1123 times, the Events table, and
// the pod template/containers blocks used by pods and workloads.
import type { KubeObject } from '../../../api/types.js';
import { formatAge } from '../../../api/columns.js';
import { TabWriter } from '../tabwriter.js';

export const LEVEL_0 = 0;
export const LEVEL_1 = 1;
export const LEVEL_2 = 2;
export const LEVEL_3 = 3;

export class PrefixWriter {
  private readonly tw: TabWriter;
  private out = '';
  constructor() {
    this.tw = new TabWriter((s) => (this.out += s), { minWidth: 0, padding: 2, rememberWidths: false });
  }
  write(level: number, text: string): void {
    this.tw.write('  '.repeat(level) + text);
  }
  writeLine(text: string): void {
    this.tw.write(text + '\n');
  }
  flush(): void {
    this.tw.flush();
  }
  toString(): string {
    this.tw.flush();
    return this.out;
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Go's time.RFC1123Z in local time: `Mon, 02 Jan 2006 15:04:05 -0700`. */
export function rfc1123z(ts: string | undefined | null): string {
  const d = ts ? new Date(ts) : new Date(Date.parse('0001-01-01T00:00:00Z'));
  if (Number.isNaN(d.getTime())) return String(ts);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${DAYS[d.getDay()]}, ${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${sign}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

export function age(ts: string | undefined | null): string {
  return formatAge(ts ?? undefined, new Date());
}

export function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  w.write(LEVEL_0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(LEVEL_0, initialIndent + innerIndent);
    w.write(LEVEL_0, `${k}=${labels![k]}\n`);
  });
}

const MAX_ANNOTATION_LEN = 140;
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

function shorten(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + '...' : s;
}

export function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(LEVEL_0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {}).filter((k) => !SKIP_ANNOTATIONS.has(k)).sort();
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const indent = '\t';
  keys.forEach((k, i) => {
    if (i !== 0) w.write(LEVEL_0, indent);
    const value = annotations![k].replace(/\n$/, '');
    if (value.length + k.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(LEVEL_0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(LEVEL_0, `${indent}  ${shorten(s, MAX_ANNOTATION_LEN - 2)}\n`);
    } else w.write(LEVEL_0, `${k}: ${value}\n`);
  });
}

export function stringOrNone(s: string | undefined): string {
  return s ? s : '<none>';
}

/** kubectl's printController: `Kind/name` of the controlling owner. */
export function controlledBy(obj: KubeObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : '';
}

/** DescribeEvents: `<none>`, or the table sorted by last timestamp. */
export function describeEvents(events: KubeObject[] | undefined, w: PrefixWriter): void {
  if (!events) return;
  if (events.length === 0) {
    w.write(LEVEL_0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  const ts = (e: any) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
  const sorted = [...events].sort((a, b) => ts(a) - ts(b));
  w.write(LEVEL_0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(LEVEL_1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted as any[]) {
    const first = e.eventTime ? age(e.eventTime) : age(e.firstTimestamp);
    let interval = first;
    if (e.series) interval = `${age(e.series.lastObservedTime)} (x${e.series.count} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${age(e.lastTimestamp)} (x${e.count} over ${first})`;
    const source = e.source?.component || e.reportingController || e.reportingComponent || '';
    w.write(LEVEL_1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${String(e.message ?? '').trim()}\n`);
  }
}

// ---------------------------------------------------------------------------
// Containers and pod templates

function describeContainerPorts(ports: any[] | undefined, host: boolean): string {
  return (ports ?? []).map((p) => `${host ? (p.hostPort ?? 0) : p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
}

function describeStatus(stateName: string, state: any, w: PrefixWriter): void {
  if (state?.running) {
    w.write(LEVEL_2, `${stateName}:\tRunning\n`);
    w.write(LEVEL_3, `Started:\t${rfc1123z(state.running.startedAt)}\n`);
  } else if (state?.waiting) {
    w.write(LEVEL_2, `${stateName}:\tWaiting\n`);
    if (state.waiting.reason) w.write(LEVEL_3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(LEVEL_2, `${stateName}:\tTerminated\n`);
    if (t.reason) w.write(LEVEL_3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(LEVEL_3, `Message:\t${t.message}\n`);
    w.write(LEVEL_3, `Exit Code:\t${t.exitCode ?? 0}\n`);
    if ((t.signal ?? 0) > 0) w.write(LEVEL_3, `Signal:\t${t.signal}\n`);
    w.write(LEVEL_3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(LEVEL_3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else {
    w.write(LEVEL_2, `${stateName}:\tWaiting\n`);
  }
}

function describeProbe(p: any): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const scheme = String(g.scheme ?? 'HTTP').toLowerCase();
    return `http-get ${scheme}://${g.host ?? ''}:${g.port}${g.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function envValueFrom(e: any): string {
  const v = e.valueFrom;
  if (v.fieldRef) return `${e.name}:\t (${v.fieldRef.apiVersion ?? 'v1'}:${v.fieldRef.fieldPath})`;
  if (v.resourceFieldRef) return `${e.name}:\t (${v.resourceFieldRef.resource})`;
  if (v.secretKeyRef) return `${e.name}:\t<set to the key '${v.secretKeyRef.key}' in secret '${v.secretKeyRef.name}'>\tOptional: ${!!v.secretKeyRef.optional}`;
  if (v.configMapKeyRef) return `${e.name}:\t<set to the key '${v.configMapKeyRef.key}' of config map '${v.configMapKeyRef.name}'>\tOptional: ${!!v.configMapKeyRef.optional}`;
  return `${e.name}:\t`;
}

export function describeContainers(label: string, containers: any[] | undefined, statuses: any[] | undefined, w: PrefixWriter, space: string): void {
  const list = containers ?? [];
  const byName = new Map<string, any>((statuses ?? []).map((s: any) => [s.name, s]));
  if (list.length === 0) {
    w.write(LEVEL_0, `${space}${label}: <none>\n`);
    return;
  }
  w.write(LEVEL_0, `${space}${label}:\n`);
  const nameIndent = space.length > 0 ? ' ' : '';
  for (const c of list) {
    const status = byName.get(c.name);
    w.write(LEVEL_1, `${nameIndent}${c.name}:\n`);
    if (status) w.write(LEVEL_2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(LEVEL_2, `Image:\t${c.image ?? ''}\n`);
    if (status) w.write(LEVEL_2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports = describeContainerPorts(c.ports, false);
    if (ports.includes(',')) w.write(LEVEL_2, `Ports:\t${ports}\n`);
    else w.write(LEVEL_2, `Port:\t${stringOrNone(ports)}\n`);
    const hostPorts = describeContainerPorts(c.ports, true);
    if (hostPorts.includes(',')) w.write(LEVEL_2, `Host Ports:\t${hostPorts}\n`);
    else w.write(LEVEL_2, `Host Port:\t${stringOrNone(hostPorts)}\n`);
    if (c.command?.length) {
      w.write(LEVEL_2, 'Command:\n');
      for (const s of c.command) for (const line of String(s).split('\n')) w.write(LEVEL_3, `${line}\n`);
    }
    if (c.args?.length) {
      w.write(LEVEL_2, 'Args:\n');
      for (const s of c.args) for (const line of String(s).split('\n')) w.write(LEVEL_3, `${line}\n`);
    }
    if (status) {
      describeStatus('State', status.state, w);
      if (status.lastState?.terminated) describeStatus('Last State', status.lastState, w);
      w.write(LEVEL_2, `Ready:\t${status.ready ? 'True' : 'False'}\n`);
      w.write(LEVEL_2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    for (const [title, list2] of [['Limits', c.resources?.limits], ['Requests', c.resources?.requests]] as const) {
      const keys = Object.keys(list2 ?? {}).sort();
      if (keys.length) w.write(LEVEL_2, `${title}:\n`);
      for (const k of keys) w.write(LEVEL_3, `${k}:\t${(list2 as any)[k]}\n`);
    }
    if (c.livenessProbe) w.write(LEVEL_2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(LEVEL_2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(LEVEL_2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if (c.envFrom?.length) {
      w.write(LEVEL_2, 'Environment Variables from:\n');
      for (const f of c.envFrom) {
        const from = f.configMapRef ? ['ConfigMap', f.configMapRef] : ['Secret', f.secretRef ?? {}];
        w.write(LEVEL_3, `${from[1].name}\t${from[0]}\tOptional: ${!!from[1].optional}\n`);
      }
    }
    const env: any[] = c.env ?? [];
    w.write(LEVEL_2, `Environment:${env.length ? '' : '\t<none>'}\n`);
    for (const e of env) {
      if (!e.valueFrom) {
        String(e.value ?? '').split('\n').forEach((s, i) => w.write(LEVEL_3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      } else w.write(LEVEL_3, `${envValueFrom(e)}\n`);
    }
    const mounts: any[] = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1));
    w.write(LEVEL_2, `Mounts:${mounts.length ? '' : '\t<none>'}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(LEVEL_3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

export function describeVolumes(volumes: any[] | undefined, w: PrefixWriter, space: string): void {
  const list = volumes ?? [];
  if (list.length === 0) {
    w.write(LEVEL_0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(LEVEL_0, `${space}Volumes:\n`);
  const nameIndent = space.length > 0 ? ' ' : '';
  for (const v of list) {
    w.write(LEVEL_1, `${nameIndent}${v.name}:\n`);
    if (v.emptyDir) {
      w.write(LEVEL_2, 'Type:\tEmptyDir (a temporary directory that shares a pod\'s lifetime)\n');
      w.write(LEVEL_2, `Medium:\t${v.emptyDir.medium ?? ''}\n`);
      w.write(LEVEL_2, `SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}\n`);
    } else if (v.configMap) {
      w.write(LEVEL_2, 'Type:\tConfigMap (a volume populated by a ConfigMap)\n');
      w.write(LEVEL_2, `Name:\t${v.configMap.name}\n`);
      w.write(LEVEL_2, `Optional:\t${!!v.configMap.optional}\n`);
    } else if (v.hostPath) {
      w.write(LEVEL_2, 'Type:\tHostPath (bare host directory volume)\n');
      w.write(LEVEL_2, `Path:\t${v.hostPath.path}\n`);
      w.write(LEVEL_2, `HostPathType:\t${v.hostPath.type ?? ''}\n`);
    } else if (v.secret) {
      w.write(LEVEL_2, 'Type:\tSecret (a volume populated by a Secret)\n');
      w.write(LEVEL_2, `SecretName:\t${v.secret.secretName}\n`);
      w.write(LEVEL_2, `Optional:\t${!!v.secret.optional}\n`);
    } else w.write(LEVEL_1, '<unknown>\n');
  }
}

export function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: any[] | undefined): void {
  w.write(LEVEL_0, `${title}:\t`);
  const list = tolerations ?? [];
  if (list.length === 0) {
    w.writeLine('<none>');
    return;
  }
  list.forEach((t, i) => {
    if (i !== 0) w.write(LEVEL_0, '\t');
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s = `${t.key ?? ''}${t.effect ? `:${t.effect}` : ''}` || 'op=Exists';
    if (t.tolerationSeconds != null) s += ` for ${t.tolerationSeconds}s`;
    w.write(LEVEL_0, `${s}\n`);
  });
}

export function describePodTemplate(template: any, w: PrefixWriter): void {
  w.write(LEVEL_0, 'Pod Template:\n');
  if (!template) {
    w.write(LEVEL_1, '<unset>');
    return;
  }
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length) printAnnotationsMultiline(w, '  Annotations', template.metadata.annotations);
  const spec = template.spec ?? {};
  if (spec.serviceAccountName) w.write(LEVEL_1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers('Init Containers', spec.initContainers, undefined, w, '  ');
  describeContainers('Containers', spec.containers, undefined, w, '  ');
  describeVolumes(spec.volumes, w, '  ');
  if (spec.priorityClassName) w.write(LEVEL_1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}

/** metav1.FormatLabelSelector. */
export function formatLabelSelector(sel: any): string {
  if (!sel) return '<none>';
  const parts: string[] = Object.keys(sel.matchLabels ?? {}).sort().map((k) => `${k}=${sel.matchLabels[k]}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In': parts.push(`${e.key} in (${vals})`); break;
      case 'NotIn': parts.push(`${e.key} notin (${vals})`); break;
      case 'Exists': parts.push(e.key); break;
      case 'DoesNotExist': parts.push(`!${e.key}`); break;
    }
  }
  const s = parts.join(',');
  return s === '' ? '<none>' : s;
}

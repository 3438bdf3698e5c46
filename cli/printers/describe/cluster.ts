// kubectl describe for nodes, namespaces and config maps, and the generic
// describer for kinds without their own.
import type { KubeObject } from '../../../api/types.js';
import { findByKind } from '../../../api/resources.js';
import type { DescribeDeps } from './index.js';
import { LEVEL_0, LEVEL_1, PrefixWriter, age, describeEvents, printAnnotationsMultiline, printLabelsMultiline, rfc1123z } from './common.js';

/** findNodeRoles. */
function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const r = k.slice('node-role.kubernetes.io/'.length);
      if (r) roles.add(r);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

// Resource quantities, enough for requests/limits sums: cpu in millicores, the rest in units.
const SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12, m: 1e-3, '': 1 };

function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  if (!m) return 0;
  return Number(m[1]) * (SUFFIX[m[2]] ?? 1);
}

function formatQuantity(v: number, resource: string): string {
  if (v === 0) return '0';
  if (resource === 'cpu') {
    const milli = Math.round(v * 1000);
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
  }
  for (const s of ['Ti', 'Gi', 'Mi', 'Ki']) if (v % SUFFIX[s] === 0) return `${v / SUFFIX[s]}${s}`;
  return String(v);
}

function podTotals(pods: KubeObject[]): { req: Record<string, number>; lim: Record<string, number> } {
  const req: Record<string, number> = {};
  const lim: Record<string, number> = {};
  for (const p of pods) {
    for (const c of p.spec?.containers ?? []) {
      for (const [k, v] of Object.entries(c.resources?.requests ?? {})) req[k] = (req[k] ?? 0) + parseQuantity(v as string);
      for (const [k, v] of Object.entries(c.resources?.limits ?? {})) lim[k] = (lim[k] ?? 0) + parseQuantity(v as string);
    }
  }
  return { req, lim };
}

function pct(v: number, total: number): number {
  return total ? Math.trunc((v / total) * 100) : 0;
}

export async function describeNode(node: KubeObject, deps: DescribeDeps): Promise<string> {
  const leaseType = findByKind('coordination.k8s.io/v1', 'Lease')!;
  const podType = findByKind('v1', 'Pod')!;
  const [events, lease, pods] = await Promise.all([
    deps.events(node),
    deps.client.get(leaseType, 'kube-node-lease', node.metadata.name!).then(
      (l) => ({ l, err: undefined as string | undefined }),
      (e) => ({ l: undefined, err: (e as Error).message }),
    ),
    deps.client
      .list(podType, undefined, { fieldSelector: `spec.nodeName=${node.metadata.name},status.phase!=Succeeded,status.phase!=Failed` })
      .then((l) => l.items)
      .catch(() => undefined),
  ]);
  const w = new PrefixWriter();
  const st = node.status ?? {};
  w.write(LEVEL_0, `Name:\t${node.metadata.name}\n`);
  const roles = nodeRoles(node);
  w.write(LEVEL_0, `Roles:\t${roles.length ? roles.join(',') : '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', node.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', node.metadata.annotations);
  w.write(LEVEL_0, `CreationTimestamp:\t${rfc1123z(node.metadata.creationTimestamp)}\n`);
  const taints: any[] = node.spec?.taints ?? [];
  w.write(LEVEL_0, 'Taints:\t');
  if (taints.length === 0) w.writeLine('<none>');
  taints.forEach((t, i) => {
    if (i) w.write(LEVEL_0, '\t');
    w.write(LEVEL_0, `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}\n`);
  });
  w.write(LEVEL_0, `Unschedulable:\t${!!node.spec?.unschedulable}\n`);
  if (lease.err || !lease.l) w.write(LEVEL_0, `Lease:\tFailed to get lease: ${lease.err}\n`);
  else {
    const s = lease.l.spec ?? {};
    w.write(LEVEL_0, 'Lease:\n');
    w.write(LEVEL_1, `HolderIdentity:\t${s.holderIdentity ?? '<unset>'}\n`);
    w.write(LEVEL_1, `AcquireTime:\t${s.acquireTime ? rfc1123z(s.acquireTime) : '<unset>'}\n`);
    w.write(LEVEL_1, `RenewTime:\t${s.renewTime ? rfc1123z(s.renewTime) : '<unset>'}\n`);
  }
  if (st.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(LEVEL_1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions) {
      w.write(LEVEL_1, `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }
  w.write(LEVEL_0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(LEVEL_1, `${a.type}:\t${a.address}\n`);
  const printResources = (r: Record<string, string>) => {
    for (const k of Object.keys(r).sort()) w.write(LEVEL_0, `  ${k}:\t${r[k]}\n`);
  };
  if (Object.keys(st.capacity ?? {}).length) {
    w.write(LEVEL_0, 'Capacity:\n');
    printResources(st.capacity);
  }
  if (Object.keys(st.allocatable ?? {}).length) {
    w.write(LEVEL_0, 'Allocatable:\n');
    printResources(st.allocatable);
  }
  const info = st.nodeInfo ?? {};
  w.write(LEVEL_0, 'System Info:\n');
  w.write(LEVEL_0, `  Machine ID:\t${info.machineID ?? ''}\n`);
  w.write(LEVEL_0, `  System UUID:\t${info.systemUUID ?? ''}\n`);
  w.write(LEVEL_0, `  Boot ID:\t${info.bootID ?? ''}\n`);
  w.write(LEVEL_0, `  Kernel Version:\t${info.kernelVersion ?? ''}\n`);
  w.write(LEVEL_0, `  OS Image:\t${info.osImage ?? ''}\n`);
  w.write(LEVEL_0, `  Operating System:\t${info.operatingSystem ?? ''}\n`);
  w.write(LEVEL_0, `  Architecture:\t${info.architecture ?? ''}\n`);
  w.write(LEVEL_0, `  Container Runtime Version:\t${info.containerRuntimeVersion ?? ''}\n`);
  w.write(LEVEL_0, `  Kubelet Version:\t${info.kubeletVersion ?? ''}\n`);
  w.write(LEVEL_0, `  Kube-Proxy Version:\t${info.kubeProxyVersion ?? ''}\n`);
  if (node.spec?.podCIDR) w.write(LEVEL_0, `PodCIDR:\t${node.spec.podCIDR}\n`);
  if (node.spec?.podCIDRs?.length) w.write(LEVEL_0, `PodCIDRs:\t${node.spec.podCIDRs.join(',')}\n`);
  if (node.spec?.providerID) w.write(LEVEL_0, `ProviderID:\t${node.spec.providerID}\n`);
  if (!pods) w.write(LEVEL_0, 'Pods:\tnot authorized\n');
  else {
    const alloc: Record<string, string> = Object.keys(st.allocatable ?? {}).length ? st.allocatable : (st.capacity ?? {});
    const total = (r: string) => parseQuantity(alloc[r]);
    w.write(LEVEL_0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
    w.write(LEVEL_1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
    w.write(LEVEL_1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
    for (const p of pods) {
      const { req, lim } = podTotals([p]);
      const cell = (v: number, r: string) => `${formatQuantity(v, r)} (${pct(v, total(r))}%)`;
      w.write(
        LEVEL_1,
        `${p.metadata.namespace}\t${p.metadata.name}\t\t${cell(req.cpu ?? 0, 'cpu')}\t${cell(lim.cpu ?? 0, 'cpu')}\t${cell(req.memory ?? 0, 'memory')}\t${cell(lim.memory ?? 0, 'memory')}\t${age(p.metadata.creationTimestamp)}\n`,
      );
    }
    const { req, lim } = podTotals(pods);
    w.write(LEVEL_0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
    w.write(LEVEL_1, 'Resource\tRequests\tLimits\n');
    w.write(LEVEL_1, '--------\t--------\t------\n');
    for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
      w.write(LEVEL_1, `${r}\t${formatQuantity(req[r] ?? 0, r)} (${pct(req[r] ?? 0, total(r))}%)\t${formatQuantity(lim[r] ?? 0, r)} (${pct(lim[r] ?? 0, total(r))}%)\n`);
    }
  }
  describeEvents(events, w);
  return w.toString();
}

export async function describeNamespace(ns: KubeObject): Promise<string> {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${ns.metadata.name}\n`);
  printLabelsMultiline(w, 'Labels', ns.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ns.metadata.annotations);
  w.write(LEVEL_0, `Status:\t${ns.status?.phase ?? ''}\n`);
  return w.toString();
}

export async function describeConfigMap(cm: KubeObject, deps: DescribeDeps): Promise<string> {
  const events = await deps.events(cm);
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${cm.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${cm.metadata.namespace}\n`);
  printLabelsMultiline(w, 'Labels', cm.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', cm.metadata.annotations);
  w.write(LEVEL_0, '\nData\n====\n');
  const data: Record<string, string> = (cm as any).data ?? {};
  for (const k of Object.keys(data).sort()) {
    w.write(LEVEL_0, `${k}:\n----\n`);
    w.write(LEVEL_0, `${data[k]}\n`);
    w.write(LEVEL_0, '\n');
  }
  w.write(LEVEL_0, '\nBinaryData\n====\n');
  const bin: Record<string, string> = (cm as any).binaryData ?? {};
  for (const k of Object.keys(bin).sort()) w.write(LEVEL_0, `${k}: ${Buffer.from(bin[k], 'base64').length} bytes\n`);
  w.write(LEVEL_0, '\n');
  describeEvents(events, w);
  return w.toString();
}

/** The generic describer: name, namespace, labels, annotations, then the object's fields. */
export async function describeGeneric(obj: KubeObject, deps: DescribeDeps): Promise<string> {
  const events = await deps.events(obj);
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${obj.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${obj.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', obj.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', obj.metadata.annotations);
  const write = (level: number, v: unknown, key: string): void => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      w.write(level, `${key}:\n`);
      for (const k of Object.keys(v).sort()) write(level + 1, (v as any)[k], k);
    } else if (Array.isArray(v)) {
      w.write(level, `${key}:\n`);
      for (const item of v) {
        if (item && typeof item === 'object') for (const k of Object.keys(item).sort()) write(level + 1, item[k], k);
        else w.write(level + 1, `${String(item)}\n`);
      }
    } else w.write(level, `${key}:\t${String(v)}\n`);
  };
  for (const k of Object.keys(obj).sort()) {
    if (k === 'metadata') continue;
    const v = (obj as any)[k];
    if (k === 'apiVersion' || k === 'kind') w.write(LEVEL_0, `${k === 'apiVersion' ? 'API Version' : 'Kind'}:\t${v}\n`);
    else write(LEVEL_0, v, k.charAt(0).toUpperCase() + k.slice(1));
  }
  describeEvents(events, w);
  return w.toString();
}

// kubectl describe for services (endpoints read from the Service's
// EndpointSlices, as kubectl 1.32 does) and Endpoints.
import type { KubeObject } from '../../../api/types.js';
import { findByKind } from '../../../api/resources.js';
import type { DescribeDeps } from './index.js';
import { LEVEL_0, LEVEL_1, LEVEL_2, PrefixWriter, describeEvents, printAnnotationsMultiline, printLabelsMultiline } from './common.js';
import { formatLabels } from '../table.js';

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpointSlices: up to 3 `ip:port` of the slices' ports named like the service port, then ` + N more...`. */
export function formatEndpointSlices(slices: KubeObject[], portName: string): string {
  if (slices.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const s of slices as any[]) {
    const ports: any[] = s.ports ?? [];
    if (ports.length === 0) {
      for (const e of s.endpoints ?? []) {
        if (list.length < max) list.push(e.addresses?.[0]);
        else if (list.length === max) more = true;
        count++;
      }
      continue;
    }
    for (const p of ports) {
      if ((p.name ?? '') !== portName) continue;
      for (const e of s.endpoints ?? []) {
        if (list.length < max) list.push(joinHostPort(e.addresses?.[0], p.port));
        else if (list.length === max) more = true;
        count++;
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

export async function describeService(svc: KubeObject, deps: DescribeDeps): Promise<string> {
  const sliceType = findByKind('discovery.k8s.io/v1', 'EndpointSlice')!;
  const [events, slices] = await Promise.all([
    deps.events(svc),
    deps.client
      .list(sliceType, svc.metadata.namespace, { labelSelector: `kubernetes.io/service-name=${svc.metadata.name}` })
      .then((l) => l.items)
      .catch(() => [] as KubeObject[]),
  ]);
  const w = new PrefixWriter();
  const spec = svc.spec ?? {};
  w.write(LEVEL_0, `Name:\t${svc.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${svc.metadata.namespace}\n`);
  printLabelsMultiline(w, 'Labels', svc.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', svc.metadata.annotations);
  w.write(LEVEL_0, `Selector:\t${formatLabels(spec.selector)}\n`);
  w.write(LEVEL_0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy) w.write(LEVEL_0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(LEVEL_0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
  w.write(LEVEL_0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(LEVEL_0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
  if (spec.externalIPs?.length) w.write(LEVEL_0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(LEVEL_0, `IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(LEVEL_0, `External Name:\t${spec.externalName}\n`);
  const ingress: any[] = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length) w.write(LEVEL_0, `LoadBalancer Ingress:\t${ingress.map((i) => `${i.ip ? i.ip : i.hostname}${i.ipMode ? ` (${i.ipMode})` : ''}`).join(', ')}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const proto = p.protocol ?? 'TCP';
    w.write(LEVEL_0, `Port:\t${name}\t${p.port}/${proto}\n`);
    w.write(LEVEL_0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
    if (p.nodePort) w.write(LEVEL_0, `NodePort:\t${name}\t${p.nodePort}/${proto}\n`);
    w.write(LEVEL_0, `Endpoints:\t${formatEndpointSlices(slices, p.name ?? '')}\n`);
  }
  w.write(LEVEL_0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(LEVEL_0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(LEVEL_0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(LEVEL_0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if (spec.loadBalancerSourceRanges?.length) w.write(LEVEL_0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
  describeEvents(events, w);
  return w.toString();
}

export async function describeEndpoints(ep: KubeObject, deps: DescribeDeps): Promise<string> {
  const events = await deps.events(ep);
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${ep.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${ep.metadata.namespace}\n`);
  printLabelsMultiline(w, 'Labels', ep.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ep.metadata.annotations);
  w.write(LEVEL_0, 'Subsets:\n');
  for (const ss of (ep as any).subsets ?? []) {
    const ready = (ss.addresses ?? []).map((a: any) => a.ip).join(',');
    w.write(LEVEL_1, `Addresses:\t${ready || '<none>'}\n`);
    const notReady = (ss.notReadyAddresses ?? []).map((a: any) => a.ip).join(',');
    w.write(LEVEL_1, `NotReadyAddresses:\t${notReady || '<none>'}\n`);
    if (ss.ports?.length) {
      w.write(LEVEL_1, 'Ports:\n');
      w.write(LEVEL_2, 'Name\tPort\tProtocol\n');
      w.write(LEVEL_2, '----\t----\t--------\n');
      for (const p of ss.ports) w.write(LEVEL_2, `${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? 'TCP'}\n`);
    }
    w.write(LEVEL_0, '\n');
  }
  describeEvents(events, w);
  return w.toString();
}

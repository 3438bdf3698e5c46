// kubectl describe for pods, deployments, replica sets and replication
// controllers (describe.go describePod, describeDeployment,
// describeReplicaSet, describeReplicationController).
import type { KubeObject } from '../../../api/types.js';
import type { DescribeDeps } from './index.js';
import {
  LEVEL_0, LEVEL_1, PrefixWriter, controlledBy, describeContainers, describeEvents, describePodTemplate, describeVolumes,
  formatLabelSelector, printAnnotationsMultiline, printLabelsMultiline, printTolerationsMultiline, rfc1123z,
} from './common.js';
import { findByKind } from '../../../api/resources.js';

export async function describePod(pod: KubeObject, deps: DescribeDeps): Promise<string> {
  const events = await deps.events(pod);
  const w = new PrefixWriter();
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  w.write(LEVEL_0, `Name:\t${pod.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${pod.metadata.namespace}\n`);
  if (spec.priority !== undefined && spec.priority !== null) w.write(LEVEL_0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(LEVEL_0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(LEVEL_0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(LEVEL_0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(LEVEL_0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(LEVEL_0, `Start Time:\t${rfc1123z(status.startTime)}\n`);
  printLabelsMultiline(w, 'Labels', pod.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    const left = Math.max(0, Date.parse(pod.metadata.deletionTimestamp) - Date.now());
    const { humanDuration } = await import('../../../api/columns.js');
    w.write(LEVEL_0, `Status:\tTerminating (lasts ${humanDuration(left)})\n`);
    w.write(LEVEL_0, `Termination Grace Period:\t${pod.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else w.write(LEVEL_0, `Status:\t${status.phase ?? ''}\n`);
  if (status.reason) w.write(LEVEL_0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(LEVEL_0, `Message:\t${status.message}\n`);
  w.write(LEVEL_0, `IP:\t${status.podIP ?? ''}\n`);
  const ips: any[] = status.podIPs ?? [];
  if (ips.length === 0) w.write(LEVEL_0, 'IPs:\t<none>\n');
  else {
    w.write(LEVEL_0, 'IPs:\n');
    for (const ip of ips) w.write(LEVEL_1, `IP:\t${ip.ip}\n`);
  }
  const ctl = controlledBy(pod);
  if (ctl) w.write(LEVEL_0, `Controlled By:\t${ctl}\n`);
  if (status.nominatedNodeName) w.write(LEVEL_0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);
  if (spec.initContainers?.length) describeContainers('Init Containers', spec.initContainers, status.initContainerStatuses, w, '');
  describeContainers('Containers', spec.containers, status.containerStatuses, w, '');
  if (spec.readinessGates?.length) {
    w.write(LEVEL_0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) {
      const c = (status.conditions ?? []).find((x: any) => x.type === g.conditionType);
      w.write(LEVEL_1, `${g.conditionType} \t${c?.status ?? '<none>'} \n`);
    }
  }
  if (status.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions) w.write(LEVEL_1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(spec.volumes, w, '');
  w.write(LEVEL_0, `QoS Class:\t${status.qosClass ?? 'BestEffort'}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations);
  describeEvents(events, w);
  return w.toString();
}

function replicaSetSummary(rss: KubeObject[]): string {
  if (rss.length === 0) return '<none>';
  return rss.map((rs) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`).join(', ');
}

/** deploymentutil.GetAllReplicaSets: the deployment's own replica sets; the new one has the deployment's template. */
async function replicaSetsOf(d: KubeObject, deps: DescribeDeps): Promise<{ old: KubeObject[]; current: KubeObject | undefined }> {
  const rsType = findByKind('apps/v1', 'ReplicaSet')!;
  const sel = formatLabelSelector(d.spec?.selector);
  const list = await deps.client.list(rsType, d.metadata.namespace, sel === '<none>' ? {} : { labelSelector: sel });
  const owned = list.items.filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === d.metadata.uid));
  const strip = (t: any) => {
    const c = JSON.parse(JSON.stringify(t ?? {}));
    if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
    return JSON.stringify(c);
  };
  const want = strip(d.spec?.template);
  const owns = owned.sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
  const current = owns.find((rs) => strip(rs.spec?.template) === want);
  return { old: owns.filter((rs) => rs !== current && (rs.spec?.replicas ?? 0) > 0), current };
}

export async function describeDeployment(d: KubeObject, deps: DescribeDeps): Promise<string> {
  const [events, rss] = await Promise.all([deps.events(d), replicaSetsOf(d, deps).catch(() => undefined)]);
  const w = new PrefixWriter();
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  w.write(LEVEL_0, `Name:\t${d.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${d.metadata.namespace}\n`);
  w.write(LEVEL_0, `CreationTimestamp:\t${rfc1123z(d.metadata.creationTimestamp)}\n`);
  printLabelsMultiline(w, 'Labels', d.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', d.metadata.annotations);
  w.write(LEVEL_0, `Selector:\t${formatLabelSelector(spec.selector)}\n`);
  w.write(LEVEL_0, `Replicas:\t${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable\n`);
  w.write(LEVEL_0, `StrategyType:\t${spec.strategy?.type ?? ''}\n`);
  w.write(LEVEL_0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  const ru = spec.strategy?.rollingUpdate;
  if (ru) w.write(LEVEL_0, `RollingUpdateStrategy:\t${ru.maxUnavailable ?? '25%'} max unavailable, ${ru.maxSurge ?? '25%'} max surge\n`);
  describePodTemplate(spec.template, w);
  if (st.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(LEVEL_1, '----\t------\t------\n');
    for (const c of st.conditions) w.write(LEVEL_1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (rss && (rss.current || rss.old.length)) {
    w.write(LEVEL_0, `OldReplicaSets:\t${replicaSetSummary(rss.old)}\n`);
    w.write(LEVEL_0, `NewReplicaSet:\t${replicaSetSummary(rss.current ? [rss.current] : [])}\n`);
  }
  describeEvents(events, w);
  return w.toString();
}

async function podStatusCounts(owner: KubeObject, selector: string, deps: DescribeDeps): Promise<string> {
  const podType = findByKind('v1', 'Pod')!;
  try {
    const pods = await deps.client.list(podType, owner.metadata.namespace, selector && selector !== '<none>' ? { labelSelector: selector } : {});
    const counts = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 };
    for (const p of pods.items) {
      if (!(p.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === owner.metadata.uid)) continue;
      const phase = p.status?.phase as keyof typeof counts;
      if (phase in counts) counts[phase]++;
    }
    return `${counts.Running} Running / ${counts.Pending} Waiting / ${counts.Succeeded} Succeeded / ${counts.Failed} Failed\n`;
  } catch (e) {
    return `error in fetching pods: ${(e as Error).message}\n`;
  }
}

export async function describeReplicaSet(rs: KubeObject, deps: DescribeDeps): Promise<string> {
  const selector = formatLabelSelector(rs.spec?.selector);
  const [events, pods] = await Promise.all([deps.events(rs), podStatusCounts(rs, selector, deps)]);
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${rs.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${rs.metadata.namespace}\n`);
  w.write(LEVEL_0, `Selector:\t${selector}\n`);
  printLabelsMultiline(w, 'Labels', rs.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', rs.metadata.annotations);
  const ctl = controlledBy(rs);
  if (ctl) w.write(LEVEL_0, `Controlled By:\t${ctl}\n`);
  w.write(LEVEL_0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired\n`);
  w.write(LEVEL_0, 'Pods Status:\t');
  w.write(LEVEL_0, pods);
  describePodTemplate(rs.spec?.template, w);
  if (rs.status?.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(LEVEL_1, '----\t------\t------\n');
    for (const c of rs.status.conditions) w.write(LEVEL_1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  describeEvents(events, w);
  return w.toString();
}

export async function describeReplicationController(rc: KubeObject, deps: DescribeDeps): Promise<string> {
  const sel = rc.spec?.selector ?? {};
  const selector = Object.keys(sel).sort().map((k) => `${k}=${sel[k]}`).join(',');
  const [events, pods] = await Promise.all([deps.events(rc), podStatusCounts(rc, selector, deps)]);
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${rc.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${rc.metadata.namespace}\n`);
  w.write(LEVEL_0, `Selector:\t${selector || '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', rc.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', rc.metadata.annotations);
  w.write(LEVEL_0, `Replicas:\t${rc.status?.replicas ?? 0} current / ${rc.spec?.replicas ?? 1} desired\n`);
  w.write(LEVEL_0, 'Pods Status:\t');
  w.write(LEVEL_0, pods);
  describePodTemplate(rc.spec?.template, w);
  if (rc.status?.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(LEVEL_1, '----\t------\t------\n');
    for (const c of rc.status.conditions) w.write(LEVEL_1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  describeEvents(events, w);
  return w.toString();
}


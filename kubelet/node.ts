// The Node object a kubelet registers and the status it reports (pure), as
// Kubernetes' kubelet_node_status.go: labels, addresses, capacity, nodeInfo,
// the four conditions with their reasons and messages; and the Lease it
// renews in kube-node-lease (the node heartbeat the node lifecycle watches).
import type { KubeObject } from '../api/types.js';
import { rfc3339 } from './desired.js';

export const KUBELET_VERSION = 'v1.32.0-mk8s';

export interface NodeFacts {
  name: string;
  ip: string;
  podCidr: string;
  controlPlane: boolean;
  kubeletPort: number;
  cpus: number;
  memoryBytes: number;
  maxPods: number;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  runtimeVersion: string;
  machineID: string;
  bootID: string;
}

const goArch = (a: string) => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' })[a] ?? a;

/** The Node as first registered: metadata and spec (status follows). */
export function nodeObject(f: NodeFacts): KubeObject {
  const arch = goArch(f.architecture);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': f.name,
    'kubernetes.io/os': 'linux',
  };
  if (f.controlPlane) labels['node-role.kubernetes.io/control-plane'] = '';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.name,
      labels,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: f.podCidr, podCIDRs: [f.podCidr] },
  };
}

export interface Health {
  runtimeUp: boolean;
  networkReady: boolean;
}

function cond(old: any[], type: string, status: 'True' | 'False', reason: string, message: string, now: number): any {
  const prev = old.find((c) => c.type === type);
  return {
    type,
    status,
    lastHeartbeatTime: rfc3339(now),
    lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : rfc3339(now),
    reason,
    message,
  };
}

export function nodeStatus(f: NodeFacts, health: Health, old: any, now: number): any {
  const oldConds: any[] = old?.conditions ?? [];
  const ready = health.runtimeUp && health.networkReady;
  const notReadyWhy = !health.runtimeUp ? 'container runtime is down' : 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:CNI plugins not found';
  const capacity = {
    cpu: String(f.cpus),
    memory: `${Math.floor(f.memoryBytes / 1024)}Ki`,
    pods: String(f.maxPods),
  };
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: [
      cond(oldConds, 'MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', now),
      cond(oldConds, 'DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', now),
      cond(oldConds, 'PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', now),
      ready
        ? cond(oldConds, 'Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', now)
        : cond(oldConds, 'Ready', 'False', 'KubeletNotReady', notReadyWhy, now),
    ],
    addresses: [
      { type: 'InternalIP', address: f.ip },
      { type: 'Hostname', address: f.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } },
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.machineID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: `docker://${f.runtimeVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: goArch(f.architecture),
    },
  };
}

/** Lease times are metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(at: number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export const LEASE_DURATION_SECONDS = 40;

export function nodeLease(node: string, nodeUid: string | undefined, now: number, acquired?: string): KubeObject {
  const metadata: any = { name: node, namespace: 'kube-node-lease' };
  if (nodeUid) metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: node, uid: nodeUid }];
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata,
    spec: { holderIdentity: node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(now), ...(acquired ? { acquireTime: acquired } : {}) },
  };
}

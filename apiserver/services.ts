// Service IP and port allocation at create/update, as Kubernetes' service
// registry does it (pkg/registry/core/service): type-dependent fields are
// dropped on a type change, allocated values the client left out are kept,
// requested values are checked, and the allocation table changes in the same
// atomic write as the Service.
import type { KubeObject } from '../api/types.js';
import { fieldErrors, type FieldError } from '../api/status.js';
import type { AllocationChange } from './storage.js';
import {
  allocateClusterIP,
  allocateNodePort,
  clusterIPRefusal,
  nodePortRefusal,
  type PortRange,
} from './allocators.js';
import type { Cidr } from '../api/cidr.js';

export interface ServiceAllocConfig {
  serviceCidr: Cidr;
  nodePortRange: PortRange;
  /** ClusterIPs never handed out at random (10.96.0.10 is kept for kube-dns). */
  reservedIPs: Set<string>;
}

export interface AllocationLookup {
  owner(key: string): string | undefined;
}

const needsClusterIP = (s: KubeObject) => s.spec.type !== 'ExternalName';
const needsNodePorts = (s: KubeObject) =>
  s.spec.type === 'NodePort' || (s.spec.type === 'LoadBalancer' && s.spec.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckPort = (s: KubeObject) =>
  s.spec.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';

export const clusterIPKey = (ip: string) => `clusterip/${ip}`;
export const nodePortKey = (port: number) => `nodeport/${port}`;

/** Every allocation a stored Service holds. */
export function serviceAllocations(svc: KubeObject | undefined): string[] {
  if (!svc) return [];
  const keys: string[] = [];
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') keys.push(clusterIPKey(ip));
  for (const p of svc.spec?.ports ?? []) if (p.nodePort) keys.push(nodePortKey(p.nodePort));
  if (svc.spec?.healthCheckNodePort) keys.push(nodePortKey(svc.spec.healthCheckNodePort));
  return [...new Set(keys)];
}

/** As the registry's dropTypeDependentFields: a type change clears values the client did not change. */
function dropTypeDependentFields(svc: KubeObject, old: KubeObject): void {
  const s = svc.spec;
  if (needsClusterIP(old) && !needsClusterIP(svc) && (s.clusterIP ?? '') === (old.spec.clusterIP ?? '')) {
    delete s.clusterIP;
    delete s.clusterIPs;
    delete s.ipFamilies;
    delete s.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(svc)) {
    for (const p of s.ports ?? []) {
      const was = (old.spec.ports ?? []).find((o: any) => o.port === p.port && o.protocol === p.protocol);
      if (was && was.nodePort === p.nodePort) delete p.nodePort;
    }
  }
  if (needsHealthCheckPort(old) && !needsHealthCheckPort(svc) && s.healthCheckNodePort === old.spec.healthCheckNodePort) {
    delete s.healthCheckNodePort;
  }
  if (svc.spec.type !== 'LoadBalancer') delete s.allocateLoadBalancerNodePorts;
  const external = (x: KubeObject) => x.spec.type === 'NodePort' || x.spec.type === 'LoadBalancer';
  if (external(old) && !external(svc) && s.externalTrafficPolicy === old.spec.externalTrafficPolicy) delete s.externalTrafficPolicy;
  if (old.spec.type !== 'ExternalName' && svc.spec.type === 'ExternalName' && s.internalTrafficPolicy === old.spec.internalTrafficPolicy) {
    delete s.internalTrafficPolicy;
  }
}

/** As patchAllocatedValues: an update that omits allocated values keeps them. */
function keepAllocatedValues(svc: KubeObject, old: KubeObject): void {
  const s = svc.spec;
  if (needsClusterIP(svc) && needsClusterIP(old) && !s.clusterIP && old.spec.clusterIP) {
    s.clusterIP = old.spec.clusterIP;
    s.clusterIPs = old.spec.clusterIPs;
  }
  if (needsNodePorts(svc) && needsNodePorts(old)) {
    for (const p of s.ports ?? []) {
      if (p.nodePort) continue;
      const was = (old.spec.ports ?? []).find((o: any) => o.port === p.port && o.protocol === p.protocol);
      if (was?.nodePort) p.nodePort = was.nodePort;
    }
  }
  if (needsHealthCheckPort(svc) && needsHealthCheckPort(old) && !s.healthCheckNodePort) {
    s.healthCheckNodePort = old.spec.healthCheckNodePort;
  }
}

/** Before validating an update: what the registry's PrepareForUpdate and patchAllocatedValues do. */
export function prepareServiceUpdate(svc: KubeObject, old: KubeObject): void {
  if (!svc.spec || !old.spec) return;
  dropTypeDependentFields(svc, old);
  keepAllocatedValues(svc, old);
}

/**
 * Fill in and check the Service's ClusterIP and nodePorts; returns the
 * allocation changes to commit with it. `svc` is modified in place (it is the
 * caller's working copy); field errors are returned, nothing is committed here.
 */
export function allocateServiceAddresses(
  svc: KubeObject,
  old: KubeObject | undefined,
  cfg: ServiceAllocConfig,
  table: AllocationLookup,
): { allocations: AllocationChange[]; errors: FieldError[] } {
  const owner = `${svc.metadata.namespace}/${svc.metadata.name}`;
  const errors: FieldError[] = [];
  const s = svc.spec;
  const oldKeys = new Set(serviceAllocations(old));
  // Taken = held by another object, or already claimed by this request.
  const claimed = new Set<string>();
  const taken = (key: string) => claimed.has(key) || (table.owner(key) !== undefined && !oldKeys.has(key));

  if (needsClusterIP(svc)) {
    if (old && needsClusterIP(old) && old.spec.clusterIP && s.clusterIP !== old.spec.clusterIP) {
      errors.push(fieldErrors.invalid('spec.clusterIPs[0]', [s.clusterIP], 'may not change once set'));
    } else if (s.clusterIP === 'None') {
      s.clusterIPs = ['None'];
    } else if (!s.clusterIP) {
      const ip = allocateClusterIP(cfg.serviceCidr, (ip) => cfg.reservedIPs.has(ip) || taken(clusterIPKey(ip)));
      if (!ip) errors.push(fieldErrors.invalid('spec.clusterIPs', [], 'failed to allocate IP: range is full'));
      else {
        s.clusterIP = ip;
        s.clusterIPs = [ip];
        claimed.add(clusterIPKey(ip));
      }
    } else if (!(old && old.spec.clusterIP === s.clusterIP)) {
      const why = clusterIPRefusal(cfg.serviceCidr, s.clusterIP, (ip) => taken(clusterIPKey(ip)));
      if (why) errors.push(fieldErrors.invalid('spec.clusterIPs', [s.clusterIP], why));
      else {
        s.clusterIPs = [s.clusterIP];
        claimed.add(clusterIPKey(s.clusterIP));
      }
    } else {
      s.clusterIPs = [s.clusterIP];
    }
    if (s.clusterIP) {
      s.ipFamilies ??= ['IPv4'];
      s.ipFamilyPolicy ??= 'SingleStack';
    }
  } else if (s.clusterIP) {
    errors.push(fieldErrors.forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  }

  if (needsNodePorts(svc) && s.clusterIP === 'None') {
    errors.push(fieldErrors.invalid('spec.clusterIPs[0]', ['None'], `may not be set to 'None' for ${s.type} services`));
  }

  (s.ports ?? []).forEach((p: any, i: number) => {
    const field = `spec.ports[${i}].nodePort`;
    if (!needsNodePorts(svc)) {
      if (!p.nodePort) return;
      if (s.type !== 'LoadBalancer') {
        errors.push(fieldErrors.forbidden(field, `may not be used when \`type\` is '${s.type}'`));
        return;
      }
      // allocateLoadBalancerNodePorts=false: no new ports, but a requested one is allocated like any other (initNodePorts).
    } else if (!p.nodePort) {
      const port = allocateNodePort(cfg.nodePortRange, (n) => taken(nodePortKey(n)));
      if (port === undefined) errors.push(fieldErrors.invalid(field, 0, 'failed to allocate a nodePort: range is full'));
      else {
        p.nodePort = port;
        claimed.add(nodePortKey(port));
      }
      return;
    }
    const key = nodePortKey(p.nodePort);
    if (claimed.has(key)) {
      // The same nodePort for two ports of one service is allowed only across protocols, as Kubernetes.
      const same = (s.ports as any[]).slice(0, i).some((q) => q.nodePort === p.nodePort && q.protocol === p.protocol);
      if (same) errors.push(fieldErrors.duplicate(field, p.nodePort));
      return;
    }
    const why = nodePortRefusal(cfg.nodePortRange, p.nodePort, (n) => taken(nodePortKey(n)));
    if (why) errors.push(fieldErrors.invalid(field, p.nodePort, why));
    else claimed.add(key);
  });

  if (needsHealthCheckPort(svc)) {
    const field = 'spec.healthCheckNodePort';
    if (!s.healthCheckNodePort) {
      const port = allocateNodePort(cfg.nodePortRange, (n) => taken(nodePortKey(n)));
      if (port === undefined) errors.push(fieldErrors.invalid(field, 0, 'failed to allocate a nodePort: range is full'));
      else {
        s.healthCheckNodePort = port;
        claimed.add(nodePortKey(port));
      }
    } else {
      // Taken by one of this service's own ports too: the allocator refuses a port allocated in the same operation.
      const why = nodePortRefusal(cfg.nodePortRange, s.healthCheckNodePort, (n) => taken(nodePortKey(n)));
      if (why) errors.push(fieldErrors.invalid(field, s.healthCheckNodePort, why));
      else claimed.add(nodePortKey(s.healthCheckNodePort));
    }
  } else if (s.healthCheckNodePort) {
    errors.push(fieldErrors.invalid('spec.healthCheckNodePort', s.healthCheckNodePort, 'may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\''));
  }

  if (errors.length) return { allocations: [], errors };
  const newKeys = new Set(serviceAllocations(svc));
  const allocations: AllocationChange[] = [];
  for (const k of newKeys) if (!oldKeys.has(k)) allocations.push({ key: k, owner });
  for (const k of oldKeys) if (!newKeys.has(k)) allocations.push({ key: k, owner: undefined });
  return { allocations, errors };
}

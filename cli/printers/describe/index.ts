// Which describer a kind gets, and what describers may fetch: the client
// (for related objects) and the object's events, found as kubectl finds
// them (field selector on involvedObject name, namespace, kind and uid).
import type { Client } from '../../../client/http.js';
import type { KubeObject } from '../../../api/types.js';
import { describePod, describeDeployment, describeReplicaSet, describeReplicationController } from './workloads.js';
import { describeService, describeEndpoints } from './network.js';
import { describeNode, describeNamespace, describeConfigMap, describeGeneric } from './cluster.js';

export interface DescribeDeps {
  client: Client;
  events(obj: KubeObject): Promise<KubeObject[] | undefined>;
}

export type Describer = (obj: KubeObject, deps: DescribeDeps) => Promise<string>;

const describers: Record<string, Describer> = {
  Pod: describePod,
  Deployment: describeDeployment,
  ReplicaSet: describeReplicaSet,
  ReplicationController: describeReplicationController,
  Service: describeService,
  Endpoints: describeEndpoints,
  Node: describeNode,
  Namespace: (o) => describeNamespace(o),
  ConfigMap: describeConfigMap,
};

export function describerFor(kind: string): Describer {
  return describers[kind] ?? describeGeneric;
}

/** Events about an object (kubectl's searchEvents with limit 500). */
export function eventsFinder(client: Client, show: boolean): DescribeDeps['events'] {
  return async (obj) => {
    if (!show) return undefined;
    const { findByKind } = await import('../../../api/resources.js');
    const evType = findByKind('v1', 'Event')!;
    const m = obj.metadata;
    const sel = [`involvedObject.name=${m.name}`, `involvedObject.namespace=${m.namespace ?? ''}`, `involvedObject.kind=${obj.kind}`, `involvedObject.uid=${m.uid}`].join(',');
    try {
      const list = await client.list(evType, m.namespace ?? undefined, { fieldSelector: sel, limit: 500 });
      return list.items;
    } catch {
      return [];
    }
  };
}

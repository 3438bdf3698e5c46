// What a lab leaves behind, and removing it: when a lab starts, the keys of
// every object of the kinds a learner creates are recorded (the baseline);
// `mk8s lab reset` deletes each object that is not in the baseline (owned
// ones go with their owners, as the garbage collector does) and waits until
// they are all gone, pods included. Only the Kubernetes API is used, so this
// works on any cluster.
import { findByPlural, type ResourceType } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { isApiError } from '../../api/status.js';
import type { Client } from '../../client/http.js';

/** The kinds a lab may create, in the order they are removed (owners before what they own). */
export const labKinds: ResourceType[] = [
  findByPlural('', 'namespaces')!,
  findByPlural('apps', 'deployments')!,
  findByPlural('', 'replicationcontrollers')!,
  findByPlural('apps', 'replicasets')!,
  findByPlural('', 'services')!,
  findByPlural('', 'endpoints')!,
  findByPlural('discovery.k8s.io', 'endpointslices')!,
  findByPlural('', 'configmaps')!,
  findByPlural('', 'pods')!,
];

export interface ObjectRef {
  key: string;
  uid: string;
  type: ResourceType;
  namespace?: string;
  name: string;
  /** The uids of the object's owners. */
  owners: string[];
  /** Being deleted already (a Terminating namespace, a pod in its grace period). */
  terminating?: boolean;
}

/** Namespaces a lab never touches (on a real cluster they hold its system pods). */
const systemNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
/** Objects a reset never deletes, whatever the baseline says: the cluster's own. */
const protectedObjects = new Set(['namespaces//default', 'namespaces//kube-system', 'namespaces//kube-public', 'namespaces//kube-node-lease', 'namespaces//mk8s-system', 'services/default/kubernetes', 'endpoints/default/kubernetes', 'endpointslices/default/kubernetes']);
const nameKey = (r: ObjectRef) => `${r.type.plural}/${r.namespace ?? ''}/${r.name}`;

/** Whether a baseline was taken on this cluster (a cluster made again has a new `default` namespace). */
export function baselineMatches(baseline: Set<string>, current: ObjectRef[]): boolean {
  const def = current.find((r) => r.type.plural === 'namespaces' && r.name === 'default');
  return !def || baseline.has(def.key);
}

export const objectKeyOf = (type: ResourceType, o: KubeObject): string => `${type.plural}/${o.metadata.namespace ?? ''}/${o.metadata.name}/${o.metadata.uid}`;
const uidOfKey = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/**
 * The lab's objects (pure): those not in the baseline, apart from ones owned
 * by an object of the baseline (a pre-existing ReplicaSet's new pod) and
 * those in the system namespaces.
 */
export function labObjects(baseline: Set<string>, current: ObjectRef[]): ObjectRef[] {
  const baseUids = new Set([...baseline].map(uidOfKey));
  return current.filter(
    (r) => !baseline.has(r.key) && !protectedObjects.has(nameKey(r)) && !(r.namespace && systemNamespaces.has(r.namespace)) && !r.owners.some((u) => baseUids.has(u)),
  );
}

/** What to delete (pure): the lab's objects but those an owner or a namespace being deleted takes with it. */
export function objectsToDelete(baseline: Set<string>, current: ObjectRef[]): ObjectRef[] {
  const ours = labObjects(baseline, current);
  const goingUids = new Set(ours.map((r) => r.uid));
  const goingNamespaces = new Set(ours.filter((r) => r.type.plural === 'namespaces').map((r) => r.name));
  return ours.filter((r) => !r.owners.some((u) => goingUids.has(u)) && !(r.namespace && goingNamespaces.has(r.namespace)));
}

export async function listLabObjects(client: Client): Promise<ObjectRef[]> {
  const all: ObjectRef[] = [];
  for (const type of labKinds) {
    const list = await client.list(type, undefined);
    for (const o of list.items) {
      all.push({
        key: objectKeyOf(type, o),
        uid: o.metadata.uid!,
        type,
        namespace: o.metadata.namespace,
        name: o.metadata.name!,
        owners: (o.metadata.ownerReferences ?? []).map((r: any) => r.uid),
        terminating: !!o.metadata.deletionTimestamp,
      });
    }
  }
  return all;
}

export async function snapshot(client: Client): Promise<string[]> {
  return (await listLabObjects(client)).map((r) => r.key);
}

/** The lab's objects still present. */
export async function leftovers(client: Client, baseline: Set<string>): Promise<ObjectRef[]> {
  return labObjects(baseline, await listLabObjects(client));
}

async function deleteQuietly(client: Client, r: ObjectRef): Promise<void> {
  try {
    await client.delete(r.type, r.namespace, r.name, { propagationPolicy: 'Background' });
  } catch (e) {
    // Gone already, or (kube-apiserver) a namespace that is already Terminating: 409.
    if (!(isApiError(e) && (e.code === 404 || e.code === 409))) throw e;
  }
}

/** Delete the lab's objects and wait until they are gone. Returns how many were deleted. */
export async function resetTo(client: Client, baseline: Set<string>, timeoutMs = 120_000): Promise<number> {
  const doomed = objectsToDelete(baseline, await listLabObjects(client));
  for (const r of doomed) await deleteQuietly(client, r);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = await leftovers(client, baseline);
    if (left.length === 0) return doomed.length;
    if (Date.now() > until) throw new Error(`still there after ${Math.round(timeoutMs / 1000)} s: ${left.map((r) => `${r.type.plural}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ')}`);
    // What the garbage collector has not reached yet, or what a controller made meanwhile: delete that too.
    for (const r of objectsToDelete(baseline, left)) if (!r.terminating) await deleteQuietly(client, r);
    await new Promise((res) => setTimeout(res, 250));
  }
}

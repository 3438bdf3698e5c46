// Where objects and allocations live in etcd, laid out as kube-apiserver lays
// them out (pure): /registry/<resource>/<namespace>/<name> with the
// historical exceptions (Services under services/specs, Endpoints under
// services/endpoints, Nodes under minions) and the API group left out, so
// `etcdctl get --prefix /registry/services/specs/` shows what the tutorials
// show. Values are the objects as JSON (kube-apiserver writes protobuf with a
// `k8s\0` prefix; mk8s writes plain JSON a learner can read), without
// metadata.resourceVersion, which is the key's mod_revision as in Kubernetes.
//
// Allocations: one key per allocated value, under /registry/ranges/
// (serviceips/<ip>, servicenodeports/<port>), the value its owner
// (`<namespace>/<name>`). kube-apiserver keeps one bitmap per range at
// /registry/ranges/serviceips and …/servicenodeports; a key per value lets a
// Service's transaction claim exactly its values (compare create_revision = 0).

export const REGISTRY_PREFIX = '/registry/';

/** Resource key (`services`, `apps/deployments`) → its etcd directory, without slashes at the ends. */
export function resourceDir(resource: string): string {
  const plural = resource.includes('/') ? resource.slice(resource.indexOf('/') + 1) : resource;
  if (resource === 'services') return 'services/specs';
  if (resource === 'endpoints') return 'services/endpoints';
  if (resource === 'nodes') return 'minions';
  return plural;
}

/** `/registry/<dir>/<ns>/<name>` or `/registry/<dir>/<name>` for an object key (`ns/name` or `name`). */
export function objectEtcdKey(resource: string, key: string): string {
  return `${REGISTRY_PREFIX}${resourceDir(resource)}/${key}`;
}

export const ALLOC_PREFIX = `${REGISTRY_PREFIX}ranges/`;

/** `clusterip/10.96.0.5` → `/registry/ranges/serviceips/10.96.0.5`; `nodeport/31117` → `…/servicenodeports/31117`. */
export function allocationEtcdKey(key: string): string {
  if (key.startsWith('clusterip/')) return `${ALLOC_PREFIX}serviceips/${key.slice('clusterip/'.length)}`;
  if (key.startsWith('nodeport/')) return `${ALLOC_PREFIX}servicenodeports/${key.slice('nodeport/'.length)}`;
  return `${ALLOC_PREFIX}other/${key}`;
}

/** The inverse of allocationEtcdKey; undefined for a key outside /registry/ranges/. */
export function allocationKeyOf(etcdKey: string): string | undefined {
  if (!etcdKey.startsWith(ALLOC_PREFIX)) return undefined;
  const rest = etcdKey.slice(ALLOC_PREFIX.length);
  if (rest.startsWith('serviceips/')) return `clusterip/${rest.slice('serviceips/'.length)}`;
  if (rest.startsWith('servicenodeports/')) return `nodeport/${rest.slice('servicenodeports/'.length)}`;
  if (rest.startsWith('other/')) return rest.slice('other/'.length);
  return undefined;
}

/**
 * The inverse of objectEtcdKey for the given resources: which resource and
 * object key an etcd key names, or undefined (a key mk8s does not own).
 */
export class EtcdKeyMap {
  private dirs: { prefix: string; resource: string; namespaced: boolean }[];

  constructor(resources: { resource: string; namespaced: boolean }[]) {
    // Longest directory first: services/specs/ before a hypothetical services/.
    this.dirs = resources
      .map((r) => ({ prefix: `${REGISTRY_PREFIX}${resourceDir(r.resource)}/`, resource: r.resource, namespaced: r.namespaced }))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  parse(etcdKey: string): { resource: string; key: string } | undefined {
    for (const d of this.dirs) {
      if (!etcdKey.startsWith(d.prefix)) continue;
      const key = etcdKey.slice(d.prefix.length);
      const parts = key.split('/');
      if (parts.length !== (d.namespaced ? 2 : 1) || parts.some((p) => p === '')) return undefined;
      return { resource: d.resource, key };
    }
    return undefined;
  }
}

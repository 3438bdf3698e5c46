// The resource types mk8s serves: what discovery advertises, what the
// apiserver routes, and what the CLI resolves `po`, `svc`, `deploy` to.

export interface ResourceType {
  /** API group; '' is the core group served under /api/v1. */
  group: string;
  version: string;
  kind: string;
  /** URL plural, e.g. `pods`. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Subresources served besides the main one, e.g. `status`, `scale`. */
  subresources: string[];
  /** Categories for `kubectl get all`. */
  categories: string[];
  /** Whether spec changes bump metadata.generation (as Kubernetes' registry strategies). */
  hasGeneration: boolean;
}

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function rt(r: Partial<ResourceType> & Pick<ResourceType, 'kind' | 'plural' | 'namespaced'>): ResourceType {
  return {
    group: '',
    version: 'v1',
    singular: r.kind.toLowerCase(),
    shortNames: [],
    subresources: [],
    categories: [],
    hasGeneration: false,
    ...r,
  };
}

export const resourceTypes: readonly ResourceType[] = [
  rt({ kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'] }),
  rt({ kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: ['status', 'binding', 'log', 'exec', 'portforward', 'attach', 'eviction'] }),
  rt({ kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'] }),
  rt({ kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  rt({ kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] }),
  rt({ kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] }),
  rt({ kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }),
  rt({ kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true, shortNames: ['rc'],
    categories: ['all'], subresources: ['status', 'scale'], hasGeneration: true }),
  rt({ group: 'apps', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'],
    categories: ['all'], subresources: ['status', 'scale'], hasGeneration: true }),
  rt({ group: 'apps', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'],
    categories: ['all'], subresources: ['status', 'scale'], hasGeneration: true }),
  rt({ group: 'discovery.k8s.io', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }),
  rt({ group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', namespaced: true }),
];

export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Path prefix of the group/version: `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(r: ResourceType): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

export function resourceVerbs(_r: ResourceType): string[] {
  return verbs;
}

export function findByPlural(group: string, plural: string): ResourceType | undefined {
  return resourceTypes.find((r) => r.group === group && r.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return resourceTypes.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/**
 * Resolve what a user typed (`po`, `pods`, `pod`, `Pod`, `deployments.apps`,
 * `deploy`) to a resource type, as kubectl's RESTMapper does.
 */
export function resolveResourceName(name: string): ResourceType | undefined {
  const lower = name.toLowerCase();
  const [base, ...groupParts] = lower.split('.');
  const group = groupParts.join('.');
  return resourceTypes.find(
    (r) =>
      (group === '' || r.group === group) &&
      (r.plural === base || r.singular === base || r.kind.toLowerCase() === base || r.shortNames.includes(base)),
  );
}

/** `services`, `deployments.apps`: how kubectl names a resource in messages like `deployment.apps "x" deleted`. */
export function qualifiedSingular(r: ResourceType): string {
  return r.group ? `${r.singular}.${r.group}` : r.singular;
}

export function qualifiedPlural(r: ResourceType): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

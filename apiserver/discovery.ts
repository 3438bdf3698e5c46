// Discovery documents, so kubectl and client libraries resolve `po`, `svc`,
// `deploy` and know which resources are namespaced. Pure: built from
// api/resources.ts.
import { resourceTypes, resourceVerbs, type ResourceType } from '../api/resources.js';
import { mk8sVersion } from '../api/version.js';

export const serverVersion = mk8sVersion;

const subresourceVerbs: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  eviction: ['create'],
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  finalize: ['update'],
};

const groups = () => [...new Set(resourceTypes.filter((r) => r.group).map((r) => r.group))];

export function coreVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(name: string) {
  const gv = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [gv], preferredVersion: gv };
}

export function groupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().map(groupDoc) };
}

export function group(name: string) {
  return groups().includes(name) ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(name) } : undefined;
}

function resourceEntries(r: ResourceType) {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: resourceVerbs(r),
  };
  if (r.shortNames.length) main.shortNames = r.shortNames;
  if (r.categories.length) main.categories = r.categories;
  const subs = r.subresources.map((s) => {
    const e: Record<string, unknown> = { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: subresourceVerbs[s] ?? ['get'] };
    if (s === 'scale') Object.assign(e, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    if (s === 'binding') e.kind = 'Binding';
    if (s === 'eviction') Object.assign(e, { group: 'policy', version: 'v1', kind: 'Eviction' });
    if (s === 'log' || s === 'exec' || s === 'attach' || s === 'portforward' || s === 'proxy') e.kind = s === 'log' ? 'Pod' : `${r.kind}${s === 'portforward' ? 'PortForwardOptions' : s === 'proxy' ? 'ProxyOptions' : s === 'exec' ? 'ExecOptions' : 'AttachOptions'}`;
    return e;
  });
  return [main, ...subs];
}

/** APIResourceList for a group/version, or undefined if we serve no such group. */
export function resourceList(groupName: string, version: string) {
  if (version !== 'v1') return undefined;
  const rs = resourceTypes.filter((r) => r.group === groupName);
  if (!rs.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupName ? `${groupName}/v1` : 'v1',
    resources: rs.flatMap(resourceEntries),
  };
}

// A minimal OpenAPI v3 surface. kubectl (create/apply/replace) asks
// /openapi/v3 whether each resource's PATCH accepts `fieldValidation`; when
// it does, kubectl leaves validation to the server instead of downloading a
// full schema for client-side validation. We describe our operations, not
// the full object schemas (kubectl falls back to its built-in types for
// strategic-merge metadata).
import { createHash } from 'node:crypto';
import { groupVersionPath, resourceTypes, type ResourceType } from '../api/resources.js';

const gvKey = (r: ResourceType) => groupVersionPath(r).slice(1); // `api/v1`, `apis/apps/v1`

function params(names: string[]) {
  return names.map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));
}

function operations(r: ResourceType) {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const op = (action: string, extra: string[] = []) => ({
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters: params(['dryRun', ...extra]),
    responses: { '200': { description: 'OK' } },
  });
  const base = groupVersionPath(r) + (r.namespaced ? '/namespaces/{namespace}' : '');
  return {
    [`${base}/${r.plural}`]: { post: op('post', ['fieldManager', 'fieldValidation']), get: op('list') },
    [`${base}/${r.plural}/{name}`]: {
      get: op('get'),
      put: op('put', ['fieldManager', 'fieldValidation']),
      patch: op('patch', ['fieldManager', 'fieldValidation', 'force']),
      delete: op('delete'),
    },
  };
}

export function openapiGroupVersionDoc(path: string) {
  const rs = resourceTypes.filter((r) => gvKey(r) === path);
  if (!rs.length) return undefined;
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0-mk8s' },
    paths: Object.assign({}, ...rs.map(operations)),
    components: { schemas: {} },
  };
}

let index: unknown;
export function openapiIndex() {
  index ??= {
    paths: Object.fromEntries(
      [...new Set(resourceTypes.map(gvKey))].map((p) => {
        const hash = createHash('sha512').update(JSON.stringify(openapiGroupVersionDoc(p))).digest('hex').slice(0, 128).toUpperCase();
        return [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` }];
      }),
    ),
  };
  return index;
}

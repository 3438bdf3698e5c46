// Fetching what resource references name: objects by name, collections by
// selector (in chunks of 500, as kubectl), and the same as server-side
// Tables. Errors per name are collected, not thrown, so a command can print
// what it found and then the errors, as kubectl does.
import type { Client } from '../client/http.js';
import { resourcePath } from '../client/http.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceType } from '../api/resources.js';
import type { ResourceRef } from './resolve.js';
import type { Table } from './printers/table.js';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export interface Selection {
  /** Namespace for namespaced types; undefined with -A. */
  namespace: string | undefined;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface Fetched<T> {
  ref: ResourceRef;
  value: T;
  errors: unknown[];
}

function nsFor(type: ResourceType, sel: Selection): string | undefined {
  return type.namespaced ? sel.namespace : undefined;
}

/** List a collection, following `continue` tokens. */
export async function listAll(client: Client, type: ResourceType, sel: Selection, accept?: string, includeObject?: string): Promise<any> {
  let merged: any;
  let cont: string | undefined;
  do {
    const page: any = await client.request('GET', resourcePath(type, nsFor(type, sel)), {
      accept,
      query: { labelSelector: sel.labelSelector, fieldSelector: sel.fieldSelector, limit: 500, continue: cont, includeObject },
    });
    if (!merged) merged = page;
    else if (page.rows) merged.rows.push(...page.rows);
    else merged.items.push(...(page.items ?? []));
    cont = page.metadata?.continue || undefined;
  } while (cont);
  if (merged?.metadata) delete merged.metadata.continue;
  return merged;
}

/** The objects a reference names: by name (each GET) or the whole (selected) collection. */
export async function fetchObjects(client: Client, ref: ResourceRef, sel: Selection): Promise<Fetched<KubeObject[]>> {
  const errors: unknown[] = [];
  if (ref.names.length === 0) {
    try {
      const list = await listAll(client, ref.type, sel);
      return { ref, value: list.items ?? [], errors };
    } catch (e) {
      return { ref, value: [], errors: [e] };
    }
  }
  const value: KubeObject[] = [];
  for (const name of ref.names) {
    try {
      value.push(await client.get(ref.type, nsFor(ref.type, sel), name));
    } catch (e) {
      errors.push(e);
    }
  }
  return { ref, value, errors };
}

/** The same as one Table (rows of every name merged under one set of columns). */
export async function fetchTable(client: Client, ref: ResourceRef, sel: Selection, includeObject?: string): Promise<Fetched<Table | undefined>> {
  const errors: unknown[] = [];
  if (ref.names.length === 0) {
    try {
      return { ref, value: await listAll(client, ref.type, sel, TABLE_ACCEPT, includeObject), errors };
    } catch (e) {
      return { ref, value: undefined, errors: [e] };
    }
  }
  let table: Table | undefined;
  for (const name of ref.names) {
    try {
      const t: Table = await client.request('GET', resourcePath(ref.type, nsFor(ref.type, sel), name), { accept: TABLE_ACCEPT, query: { includeObject } });
      if (!table) table = t;
      else table.rows.push(...t.rows);
    } catch (e) {
      errors.push(e);
    }
  }
  return { ref, value: table, errors };
}

/** Every object with its apiVersion and kind (list items may omit them). */
export function withType(type: ResourceType, o: KubeObject): KubeObject {
  return { apiVersion: type.group ? `${type.group}/${type.version}` : type.version, kind: type.kind, ...o };
}

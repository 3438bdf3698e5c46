// The resource types the controllers read and write, looked up once.
import { findByPlural, type ResourceType } from '../api/resources.js';

function must(group: string, plural: string): ResourceType {
  const r = findByPlural(group, plural);
  if (!r) throw new Error(`resource ${plural}.${group} is not served`);
  return r;
}

export const kinds = {
  pods: must('', 'pods'),
  nodes: must('', 'nodes'),
  services: must('', 'services'),
  endpoints: must('', 'endpoints'),
  events: must('', 'events'),
  configmaps: must('', 'configmaps'),
  namespaces: must('', 'namespaces'),
  replicationcontrollers: must('', 'replicationcontrollers'),
  deployments: must('apps', 'deployments'),
  replicasets: must('apps', 'replicasets'),
  endpointslices: must('discovery.k8s.io', 'endpointslices'),
  leases: must('coordination.k8s.io', 'leases'),
};

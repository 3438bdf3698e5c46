// mk8s expose (deployment|rs|rc|pod|svc) NAME: kubectl expose. The service
// selects what the resource selects, takes its ports from --port or from
// the containers, its labels from the resource, and (an mk8s addition,
// kubectl lacks it) --node-port sets the first port's nodePort.
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { findByKind } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { parseSingleRef } from '../resolve.js';
import { parseLabels } from './run.js';
import { parseDryRun } from './apply.js';
import { generatedMeta } from './create.js';
import { dryRunSuffix } from '../write-report.js';

const flags: FlagSpec[] = [
  { name: 'port', type: 'string', usage: 'The port that the service should serve on.' },
  { name: 'target-port', type: 'string', usage: 'Name or number for the port on the container that the service should direct traffic to.' },
  { name: 'protocol', type: 'string', usage: 'The network protocol for the service to be created. Default is \'TCP\'.' },
  { name: 'type', type: 'string', usage: 'Type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName. Default is \'ClusterIP\'.' },
  { name: 'name', type: 'string', usage: 'The name for the newly created object.' },
  { name: 'selector', type: 'string', usage: 'A label selector to use for this service.' },
  { name: 'labels', short: 'l', type: 'string', usage: 'Labels to apply to the service created by this call.' },
  { name: 'node-port', type: 'int', default: 0, usage: 'mk8s: the nodePort of the (first) port, for NodePort and LoadBalancer services.' },
  { name: 'cluster-ip', type: 'string', usage: 'ClusterIP to be assigned to the service. Leave empty to auto-allocate, or set to \'None\' to create a headless service.' },
  { name: 'external-ip', type: 'string', usage: 'Additional external IP address (not managed by Kubernetes) to accept for the service.' },
  { name: 'load-balancer-ip', type: 'string' },
  { name: 'session-affinity', type: 'string' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'filename', short: 'f', type: 'stringSlice' },
];

interface Source {
  selector: Record<string, string>;
  ports: { port: number; protocol: string; name?: string }[];
  labels: Record<string, string> | undefined;
}

function containerPorts(spec: any): Source['ports'] {
  const out: Source['ports'] = [];
  for (const c of spec?.containers ?? []) for (const p of c.ports ?? []) out.push({ port: p.containerPort, protocol: p.protocol ?? 'TCP', name: p.name });
  return out;
}

/** What the exposed resource selects and serves (polymorphichelpers MapBasedSelectorForObject, PortsForObject). */
function sourceOf(obj: KubeObject): Source {
  const labels = obj.metadata.labels;
  switch (obj.kind) {
    case 'Pod':
      if (!Object.keys(labels ?? {}).length) throw new CliError(`error: the pod has no labels and cannot be exposed`);
      return { selector: { ...labels }, ports: containerPorts(obj.spec), labels };
    case 'Service':
      if (!obj.spec?.selector) throw new CliError(`error: the service has no pod selector set`);
      return { selector: { ...obj.spec.selector }, ports: (obj.spec.ports ?? []).map((p: any) => ({ port: p.port, protocol: p.protocol ?? 'TCP', name: p.name })), labels };
    case 'ReplicationController':
      return { selector: { ...(obj.spec?.selector ?? {}) }, ports: containerPorts(obj.spec?.template?.spec), labels };
    case 'Deployment':
    case 'ReplicaSet': {
      const sel = obj.spec?.selector ?? {};
      if (sel.matchExpressions?.length) throw new CliError(`error: couldn't convert expressions - "${JSON.stringify(sel.matchExpressions)}" to map-based selector format`);
      return { selector: { ...(sel.matchLabels ?? {}) }, ports: containerPorts(obj.spec?.template?.spec), labels };
    }
  }
  throw new CliError(`error: cannot expose a ${obj.kind}`);
}

async function run(ctx: Ctx): Promise<number> {
  const { type, name } = parseSingleRef(ctx.args, 'resource');
  if (!['Pod', 'Service', 'ReplicationController', 'Deployment', 'ReplicaSet'].includes(type.kind)) {
    throw new CliError(`error: cannot expose a ${type.kind}`);
  }
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const obj = { ...(await client.get(type, ns, name)), kind: type.kind };
  const src = sourceOf(obj);
  const selector = ctx.flags.selector ? parseLabels(ctx.flags.selector) : src.selector;
  const protocol = ctx.flags.protocol || undefined;
  let ports: any[];
  if (ctx.flags.port) {
    ports = String(ctx.flags.port).split(',').map((p) => ({ port: Number(p), protocol: protocol ?? src.ports[0]?.protocol ?? 'TCP' }));
  } else {
    if (src.ports.length === 0) throw new CliError(`error: couldn't find port via --port flag or introspection\nSee 'mk8s expose -h' for help and examples`);
    ports = src.ports.map((p) => ({ port: p.port, protocol: protocol ?? p.protocol }));
  }
  ports.forEach((p, i) => {
    if (!Number.isInteger(p.port)) throw new CliError(`error: invalid port: ${ctx.flags.port}`);
    if (ports.length > 1) p.name = `port-${i + 1}`;
    const tp = ctx.flags['target-port'];
    p.targetPort = tp ? (/^\d+$/.test(tp) ? Number(tp) : tp) : type.kind === 'Service' ? (obj.spec.ports?.[i]?.targetPort ?? p.port) : p.port;
  });
  if (ctx.flags['node-port']) ports[0].nodePort = ctx.flags['node-port'];
  const spec: any = { ports, selector };
  if (ctx.flags.type) spec.type = ctx.flags.type;
  if (ctx.flags['cluster-ip']) spec.clusterIP = ctx.flags['cluster-ip'];
  if (ctx.flags['external-ip']) spec.externalIPs = [ctx.flags['external-ip']];
  if (ctx.flags['load-balancer-ip']) spec.loadBalancerIP = ctx.flags['load-balancer-ip'];
  if (ctx.flags['session-affinity']) spec.sessionAffinity = ctx.flags['session-affinity'];
  const labels = ctx.flags.labels ? parseLabels(ctx.flags.labels) : src.labels;
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: generatedMeta({ name: ctx.flags.name || name }), spec, status: { loadBalancer: {} } };
  if (labels && Object.keys(labels).length) svc.metadata.labels = { ...labels };
  const dryRun = parseDryRun(ctx.flags['dry-run']);
  const created = dryRun === 'client' ? svc : await client.create(findByKind('v1', 'Service')!, ns, svc, dryRun === 'server' ? { dryRun: 'All' } : {});
  if (ctx.flags.output) {
    const [{ parseOutput }, { printGeneric }] = await Promise.all([import('../printers/format.js'), import('../printers/output.js')]);
    printGeneric(parseOutput(ctx.flags.output), [created], true, (s) => ctx.out.write(s));
  } else ctx.out.write(`service/${created.metadata.name} exposed${dryRunSuffix(dryRun)}\n`);
  return 0;
}

const cmd: Command = {
  use: 'expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type]',
  short: 'Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service',
  flags,
  run,
};

export default cmd;

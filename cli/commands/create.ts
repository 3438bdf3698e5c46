// mk8s create: `-f` (POST each object) and kubectl's generators:
// `create deployment NAME --image=… [--port] [--replicas]`,
// `create service clusterip|nodeport|loadbalancer|externalname NAME --tcp=P:T`,
// `create namespace NAME`, `create configmap NAME --from-literal=k=v`.
// The generated objects are the ones kubectl builds, field for field.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command, Ctx } from '../context.js';
import type { FlagSpec } from '../flags.js';
import type { KubeObject } from '../../api/types.js';
import { findByKind, type ResourceType } from '../../api/resources.js';
import { CliError, errorText } from '../errors.js';
import { kindString } from '../resolve.js';
import { readManifests, manifestNamespace, type Manifest } from '../manifests.js';
import { reportPartial, dryRunSuffix, wrapFileError } from '../write-report.js';
import { parseDryRun, modifiedConfiguration } from './apply.js';

const flags: FlagSpec[] = [
  { name: 'filename', short: 'f', type: 'stringSlice', usage: 'Filename, directory, or URL to files to use to create the resource' },
  { name: 'recursive', short: 'R', type: 'bool' },
  { name: 'output', short: 'o', type: 'string' },
  { name: 'dry-run', type: 'string', default: 'none', noOptDefVal: 'unchanged' },
  { name: 'save-config', type: 'bool', usage: 'If true, the configuration of current object will be saved in its annotation.' },
  { name: 'validate', type: 'string', default: 'strict', noOptDefVal: 'strict' },
  { name: 'image', type: 'stringSlice', usage: 'Image names to run.' },
  { name: 'port', type: 'int', default: -1, usage: 'The containerPort that this deployment exposes.' },
  { name: 'replicas', short: 'r', type: 'int', default: 1, usage: 'Number of replicas to create. Default is 1.' },
  { name: 'tcp', type: 'stringSlice', usage: 'Port pairs can be specified as \'<port>:<targetPort>\'.' },
  { name: 'node-port', type: 'int', default: 0, usage: 'Port used to expose the service on each node in a cluster.' },
  { name: 'external-name', type: 'string', usage: 'External name of service' },
  { name: 'clusterip', type: 'string', usage: 'Assign your own ClusterIP or set to \'None\' for a \'headless\' service (no loadbalancing).' },
  { name: 'from-literal', type: 'stringArray', usage: 'Specify a key and literal value to insert in configmap (i.e. mykey=somevalue)' },
  { name: 'from-file', type: 'stringSlice', usage: 'Key file can be specified using its file path.' },
];

/** Metadata as kubectl's generators marshal it: the zero creationTimestamp prints as null. */
export function generatedMeta(m: Record<string, unknown>): KubeObject['metadata'] {
  return { creationTimestamp: null, ...m } as unknown as KubeObject['metadata'];
}

const type = (apiVersion: string, kind: string): ResourceType => findByKind(apiVersion, kind)!;

/** kubectl create deployment's container name: the image's last path part, tag and digest dropped. */
export function containerNameFromImage(image: string): string {
  let name = image.split('/').pop()!;
  name = name.split('@')[0].split(':')[0];
  return name.replace(/_/g, '-');
}

function deployment(name: string, images: string[], port: number, replicas: number, command: string[]): KubeObject {
  if (images.length === 0) throw new CliError('error: required flag(s) "image" not set');
  const labels = { app: name };
  const containers: any[] = images.map((image) => ({ image, name: containerNameFromImage(image), resources: {} }));
  if (command.length) containers[0].command = command;
  if (port >= 0) containers[0].ports = [{ containerPort: port }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: generatedMeta({ labels, name }),
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: {},
      template: { metadata: generatedMeta({ labels }), spec: { containers } },
    },
    status: {},
  };
}

function parsePortPair(s: string): { port: number; targetPort: number | string } {
  const [p, t] = s.split(':');
  const port = Number(p);
  if (!Number.isInteger(port)) throw new CliError(`error: invalid port: ${s}`);
  const target = t === undefined ? port : /^\d+$/.test(t) ? Number(t) : t;
  return { port, targetPort: target };
}

function service(kind: string, name: string, tcp: string[], nodePort: number, externalName: string, clusterIP: string): KubeObject {
  const types: Record<string, string> = { clusterip: 'ClusterIP', nodeport: 'NodePort', loadbalancer: 'LoadBalancer', externalname: 'ExternalName' };
  const t = types[kind];
  if (!t) throw new CliError(`error: unknown service type "${kind}": use clusterip, nodeport, loadbalancer or externalname`);
  if (t !== 'ExternalName' && tcp.length === 0 && clusterIP !== 'None') throw new CliError('error: at least one tcp port specifier must be provided');
  if (t === 'ExternalName' && !externalName) throw new CliError('error: external name must be specified');
  const ports = tcp.map((pair) => {
    const { port, targetPort } = parsePortPair(pair);
    const p: any = { name: `${port}-${targetPort}`, port, protocol: 'TCP', targetPort };
    if (nodePort > 0) p.nodePort = nodePort;
    return p;
  });
  const spec: any = { type: t };
  if (ports.length) spec.ports = ports;
  spec.selector = { app: name }; // kubectl sets it for every type, ExternalName included
  if (t === 'ExternalName') spec.externalName = externalName;
  if (clusterIP) spec.clusterIP = clusterIP;
  return { apiVersion: 'v1', kind: 'Service', metadata: generatedMeta({ labels: { app: name }, name }), spec, status: { loadBalancer: {} } };
}

function configMap(name: string, literals: string[], files: string[]): KubeObject {
  const data: Record<string, string> = {};
  for (const l of literals) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new CliError(`error: invalid literal source ${l}, expected key=value`);
    const key = l.slice(0, eq);
    if (key in data) throw new CliError(`error: cannot add key ${key}, another key by that name already exists in Data for ConfigMap "${name}"`);
    data[key] = l.slice(eq + 1);
  }
  for (const f of files) {
    const eq = f.indexOf('=');
    const [key, path] = eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [basename(f), f];
    data[key] = readFileSync(path, 'utf8');
  }
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: generatedMeta({ name }) };
  if (Object.keys(data).length) cm.data = data;
  return cm;
}

async function createObject(ctx: Ctx, obj: KubeObject): Promise<number> {
  const dryRun = parseDryRun(ctx.flags['dry-run']);
  const t = type(obj.apiVersion!, obj.kind!);
  const ns = t.namespaced ? await ctx.namespace() : undefined;
  if (ns && dryRun !== 'client') obj.metadata.namespace = ns;
  let toSend = obj;
  if (ctx.flags['save-config']) toSend = modifiedConfiguration(obj).modified;
  const created = dryRun === 'client' ? toSend : await (await ctx.client()).create(t, ns, toSend, dryRun === 'server' ? { dryRun: 'All' } : {});
  await printResult(ctx, t, created, 'created', dryRun);
  return 0;
}

async function printResult(ctx: Ctx, t: ResourceType, obj: KubeObject, verb: string, dryRun: string): Promise<void> {
  const o = ctx.flags.output;
  if (o && o !== 'name') {
    const [{ parseOutput }, { printGeneric }] = await Promise.all([import('../printers/format.js'), import('../printers/output.js')]);
    printGeneric(parseOutput(o), [obj], true, (s) => ctx.out.write(s));
    return;
  }
  if (o === 'name') ctx.out.write(`${kindString(t)}/${obj.metadata.name}\n`);
  else ctx.out.write(`${kindString(t)}/${obj.metadata.name} ${verb}${dryRunSuffix(dryRun)}\n`);
}

async function createFromFiles(ctx: Ctx): Promise<number> {
  const dryRun = parseDryRun(ctx.flags['dry-run']);
  const manifests = await readManifests(ctx.flags.filename, ctx.flags.recursive, 'create');
  const client = await ctx.client();
  const ns = await ctx.namespace();
  const done: Manifest[] = [];
  const failed: { m: Manifest; e: unknown }[] = [];
  for (const m of manifests) {
    try {
      const target = manifestNamespace(m, ns, ctx.namespaceExplicit);
      let obj: KubeObject = JSON.parse(JSON.stringify(m.obj));
      if (target) obj.metadata = { ...(obj.metadata ?? {}), namespace: target };
      if (ctx.flags['save-config']) obj = modifiedConfiguration(obj).modified;
      const created =
        dryRun === 'client'
          ? obj
          : await client.create(m.type, target, obj, dryRun === 'server' ? { dryRun: 'All' } : {}).catch((e) => Promise.reject(wrapFileError(e, 'creating', m.source)));
      await printResult(ctx, m.type, created, 'created', dryRun);
      done.push(m);
    } catch (e) {
      failed.push({ m, e });
    }
  }
  for (const f of failed) ctx.err.write(errorText(f.e) + '\n');
  reportPartial(ctx, 'created', done, failed.map((f) => f.m));
  return failed.length ? 1 : 0;
}

async function run(ctx: Ctx): Promise<number> {
  if (ctx.flags.filename.length) return createFromFiles(ctx);
  const [sub, ...rest] = ctx.args;
  const dashArgs = ctx.dash >= 0 ? ctx.args.slice(ctx.dash) : [];
  const positional = ctx.dash >= 0 ? rest.slice(0, ctx.dash - 1) : rest;
  switch (sub) {
    case 'deployment':
    case 'deploy': {
      const name = positional[0];
      if (!name) throw new CliError('error: exactly one NAME is required, got 0');
      return createObject(ctx, deployment(name, ctx.flags.image, ctx.flags.port, ctx.flags.replicas, dashArgs));
    }
    case 'service':
    case 'svc': {
      const [kind, name] = positional;
      if (!kind) throw new CliError('error: you must specify a service type: clusterip, externalname, loadbalancer or nodeport');
      if (!name) throw new CliError('error: exactly one NAME is required, got 0');
      return createObject(ctx, service(kind, name, ctx.flags.tcp, ctx.flags['node-port'], ctx.flags['external-name'], ctx.flags.clusterip));
    }
    case 'namespace':
    case 'ns': {
      const name = positional[0];
      if (!name) throw new CliError('error: exactly one NAME is required, got 0');
      return createObject(ctx, { apiVersion: 'v1', kind: 'Namespace', metadata: generatedMeta({ name }), spec: {}, status: {} });
    }
    case 'configmap':
    case 'cm': {
      const name = positional[0];
      if (!name) throw new CliError('error: exactly one NAME is required, got 0');
      return createObject(ctx, configMap(name, ctx.flags['from-literal'], ctx.flags['from-file']));
    }
    case undefined:
      throw new CliError("error: must specify one of -f and -k\nSee 'mk8s create -h' for help and examples");
    default:
      throw new CliError(`error: unknown command "${sub}" for "mk8s create" (mk8s creates deployment, service, namespace and configmap)`);
  }
}

const create: Command = {
  use: 'create -f FILENAME | create deployment|service|namespace|configmap NAME [options]',
  short: 'Create a resource from a file or from stdin',
  flags,
  run,
};

export default create;

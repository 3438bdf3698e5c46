// The write commands end to end against one cluster (apiserver, controllers,
// two fake kubelets): apply round trips, edit with a scripted $EDITOR,
// patch, label/annotate, scale, rollout, delete, watch, run/expose, errors,
// and what logs/exec/port-forward print for a pod no kubelet runs (the
// streams themselves run against real kubelets: test/kubelet/pods.test.ts,
// test/cli/tutorials-live.test.ts).
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCluster } from '../controllers/harness.js';
import { waitFor } from '../controllers/harness.js';
import { findByKind } from '../../api/resources.js';
import { fixture, kubectl, mainJs, mk8s, startSharedCluster } from './helpers.js';
import { serviceChain, endpointChain, servicePortName } from '../../api/kube-proxy-names.js';

let cluster: TestCluster;
let kc: string;
let dir: string;
const svcType = findByKind('v1', 'Service')!;
const deployType = findByKind('apps/v1', 'Deployment')!;
const podType = findByKind('v1', 'Pod')!;

test.before(async () => {
  cluster = await startSharedCluster(2);
  kc = cluster.api.server.kubeconfigPath;
  dir = mkdtempSync(join(tmpdir(), 'mk8s-cli-commands-'));
});

test.after.always(async () => {
  await cluster?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A copy of a fixture with the object renamed, so tests sharing the cluster don't collide. */
function renamed(file: string, from: string, to: string): string {
  const path = join(dir, `${to}-${file}`);
  writeFileSync(path, readFileSync(fixture(file), 'utf8').replaceAll(from, to));
  return path;
}

const deploymentAvailable = (name: string, n: number) =>
  waitFor(async () => {
    const d = await cluster.client.get(deployType, 'default', name);
    return d.status?.availableReplicas === n && d.status?.updatedReplicas === n && d.status?.observedGeneration === d.metadata.generation && d.status?.replicas === n;
  }, 60_000, 100);

test('apply: created, then unchanged; get -o yaml round-trips through apply as unchanged', async (t) => {
  const f = renamed('cluster_ip.yaml', 'benjamintoll', 'rt-svc');
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'service/rt-svc created\n');
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'service/rt-svc unchanged\n');
  const yaml = await mk8s(kc, ['get', 'svc', 'rt-svc', '-o', 'yaml']);
  const dumped = join(dir, 'rt-svc-dump.yaml');
  writeFileSync(dumped, yaml.stdout);
  const again = await mk8s(kc, ['apply', '-f', dumped]);
  t.is(again.stdout, 'service/rt-svc unchanged\n', again.stderr);
  const after = await cluster.client.get(svcType, 'default', 'rt-svc');
  t.is(after.metadata.resourceVersion, (await cluster.client.get(svcType, 'default', 'rt-svc')).metadata.resourceVersion);
  t.regex(after.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'] ?? '', /^\{"apiVersion":"v1","kind":"Service","metadata":\{"annotations":\{\},"labels":\{"app":"rt-svc"\},"name":"rt-svc","namespace":"default"\},"spec":\{"ports":\[\{"port":8080,"targetPort":80\}\],"selector":\{"app":"rt-svc"\}\}\}\n$/);
});

test('apply: a deployment dumped with -o yaml (status, managed fields, defaults) applies back unchanged', async (t) => {
  const f = renamed('deployment.yaml', 'benjamintoll', 'rt-deploy');
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'deployment.apps/rt-deploy created\n');
  await deploymentAvailable('rt-deploy', 3);
  const dumped = join(dir, 'rt-deploy-dump.yaml');
  writeFileSync(dumped, (await mk8s(kc, ['get', 'deploy', 'rt-deploy', '-o', 'yaml'])).stdout);
  const r = await mk8s(kc, ['apply', '-f', dumped]);
  t.is(r.stdout, 'deployment.apps/rt-deploy unchanged\n', r.stderr);
});

test('apply: removing a port from the file removes it from the service', async (t) => {
  const f = renamed('multi_port.yaml', 'my-service', 'two-ports');
  writeFileSync(f, readFileSync(f, 'utf8').replace('31080', '31081').replace('31443', '31444'));
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'service/two-ports created\n');
  const text = readFileSync(f, 'utf8');
  writeFileSync(f, text.slice(0, text.indexOf('    - name: https')));
  const r = await mk8s(kc, ['apply', '-f', f]);
  t.is(r.stdout, 'service/two-ports configured\n', r.stderr);
  const svc = await cluster.client.get(svcType, 'default', 'two-ports');
  t.deepEqual(svc.spec.ports.map((p: any) => p.name), ['http']);
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'service/two-ports unchanged\n');
  // A field someone else set (not in the last applied configuration) is kept.
  await mk8s(kc, ['label', 'svc', 'two-ports', 'team=blue']);
  t.is((await mk8s(kc, ['apply', '-f', f])).stdout, 'service/two-ports unchanged\n');
  t.is((await cluster.client.get(svcType, 'default', 'two-ports')).metadata.labels?.team, 'blue');
});

test('apply: a bad document says exactly which documents were applied', async (t) => {
  const f = join(dir, 'partial.yaml');
  writeFileSync(f, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: part-a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: part-b\n  namespace: no-such-ns\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: part-c\n');
  const r = await mk8s(kc, ['apply', '-f', f]);
  t.is(r.code, 1);
  t.is(r.stdout, 'configmap/part-a created\nconfigmap/part-c created\n');
  t.true(r.stderr.includes(`Error from server (NotFound): error when creating "${f}": namespaces "no-such-ns" not found`), r.stderr);
  t.true(r.stderr.includes(`error: 2 of 3 objects applied: configmap/part-a ("${f}" document 1), configmap/part-c ("${f}" document 3); not applied: configmap/part-b ("${f}" document 2)`), r.stderr);
});

test('apply: a YAML error names the file and line, and nothing is applied', async (t) => {
  const f = join(dir, 'broken.yaml');
  writeFileSync(f, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never-a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: never-b\n  labels: [a\n');
  const r = await mk8s(kc, ['apply', '-f', f]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.regex(r.stderr, new RegExp(`^error: error parsing ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error converting YAML to JSON: yaml: line \\d+: `));
  t.is((await mk8s(kc, ['get', 'cm', 'never-a'])).code, 1);
});

test('apply -f dir -R, and -f - from stdin', async (t) => {
  const sub = mkdtempSync(join(dir, 'tree-'));
  const nested = join(sub, 'nested');
  (await import('node:fs')).mkdirSync(nested);
  writeFileSync(join(sub, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tree-a\n');
  writeFileSync(join(nested, 'b.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tree-b\n');
  writeFileSync(join(sub, 'ignored.txt'), 'not yaml');
  t.is((await mk8s(kc, ['apply', '-f', sub])).stdout, 'configmap/tree-a created\n');
  t.is((await mk8s(kc, ['apply', '-R', '-f', sub])).stdout, 'configmap/tree-a unchanged\nconfigmap/tree-b created\n');
  const r = await mk8s(kc, ['apply', '-f', '-'], { input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-stdin"},"data":{"a":"b"}}' });
  t.is(r.stdout, 'configmap/from-stdin created\n');
});

test('create deployment/service/namespace/configmap build what kubectl builds', async (t) => {
  const d = await mk8s(kc, ['create', 'deployment', 'gen-echo', '--image=kicbase/echo-server:1.0', '--port=8080', '--replicas=2', '--dry-run=client', '-o', 'yaml']);
  const k = await kubectl(kc, ['create', 'deployment', 'gen-echo', '--image=kicbase/echo-server:1.0', '--port=8080', '--replicas=2', '--dry-run=client', '-o', 'yaml']);
  t.is(d.stdout, k.stdout);
  for (const args of [
    ['create', 'service', 'nodeport', 'gen-np', '--tcp=5678:8080', '--node-port=30080'],
    ['create', 'service', 'clusterip', 'gen-cip', '--tcp=80:8080'],
    ['create', 'service', 'loadbalancer', 'gen-lb', '--tcp=80:8080'],
    ['create', 'service', 'externalname', 'gen-en', '--external-name=api.acmecorp.com'],
    ['create', 'configmap', 'gen-cm', '--from-literal=a=b', '--from-literal=c=d'],
    ['create', 'namespace', 'gen-ns'],
  ]) {
    // -o yaml: kubectl's JSON of a typed object keeps Go's struct field order, its YAML is sorted like ours.
    const ours = await mk8s(kc, [...args, '--dry-run=client', '-o', 'yaml']);
    const theirs = await kubectl(kc, [...args, '--dry-run=client', '-o', 'yaml']);
    t.is(ours.stdout, theirs.stdout, args.join(' '));
  }
  t.is((await mk8s(kc, ['create', 'service', 'nodeport', 'gen-np', '--tcp=5678:8080', '--node-port=30080'])).stdout, 'service/gen-np created\n');
  t.is((await mk8s(kc, ['create', 'configmap', 'gen-cm', '--from-literal=a=b'])).stdout, 'configmap/gen-cm created\n');
  const dup = await mk8s(kc, ['create', 'configmap', 'gen-cm', '--from-literal=a=b']);
  t.is(dup.code, 1);
  t.is(dup.stderr, 'Error from server (AlreadyExists): configmaps "gen-cm" already exists\n');
});

test('run --expose and expose print what kubectl prints and build the same objects', async (t) => {
  const r = await mk8s(kc, ['run', 'run-hello', '--image=pbitty/hello-from:latest', '--port=80', '--expose=true']);
  t.is(r.stdout, 'service/run-hello created\npod/run-hello created\n');
  const svc = await cluster.client.get(svcType, 'default', 'run-hello');
  t.deepEqual(svc.spec.selector, { run: 'run-hello' });
  t.deepEqual(svc.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
  const ours = await mk8s(kc, ['run', 'x', '--image=busybox', '--labels=a=b,c=d', '--env=A=1', '--restart=Never', '--dry-run=client', '-o', 'yaml', '--command', '--', 'sleep', '3600']);
  const theirs = await kubectl(kc, ['run', 'x', '--image=busybox', '--labels=a=b,c=d', '--env=A=1', '--restart=Never', '--dry-run=client', '-o', 'yaml', '--command', '--', 'sleep', '3600']);
  t.is(ours.stdout, theirs.stdout);
  const f = renamed('deployment.yaml', 'benjamintoll', 'exp-deploy');
  await mk8s(kc, ['apply', '-f', f]);
  const e = await mk8s(kc, ['expose', 'deployment', 'exp-deploy', '--type=NodePort', '--name=exp-svc', '--node-port=30123']);
  t.is(e.stdout, 'service/exp-svc exposed\n');
  const exp = await cluster.client.get(svcType, 'default', 'exp-svc');
  t.is(exp.spec.type, 'NodePort');
  t.deepEqual(exp.spec.selector, { app: 'exp-deploy' });
  t.is(exp.spec.ports[0].port, 80);
  t.is(exp.spec.ports[0].nodePort, 30123);
  t.deepEqual(exp.metadata.labels, { app: 'exp-deploy' });
  const cmp = ['expose', 'deployment', 'exp-deploy', '--port=8080', '--target-port=80', '--dry-run=client', '-o', 'yaml'];
  t.is((await mk8s(kc, cmp)).stdout, (await kubectl(kc, cmp)).stdout);
});

test('edit: a scripted $EDITOR changes the service; an unchanged file cancels', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('cluster_ip.yaml', 'benjamintoll', 'edit-svc')]);
  const r = await mk8s(kc, ['edit', 'svc', 'edit-svc'], { env: { EDITOR: "sed -i -e 's/^  type: ClusterIP$/  type: NodePort/'" } });
  t.is(r.stdout, 'service/edit-svc edited\n', r.stderr);
  t.is((await cluster.client.get(svcType, 'default', 'edit-svc')).spec.type, 'NodePort');
  const none = await mk8s(kc, ['edit', 'svc/edit-svc'], { env: { EDITOR: 'true', KUBE_EDITOR: '' } });
  t.is(none.stderr, 'Edit cancelled, no changes made.\n');
  t.is(none.code, 0);
});

test('edit: a rejected edit reopens with the error as a # comment, and giving up keeps a copy', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('cluster_ip.yaml', 'benjamintoll', 'edit-bad')]);
  const logDir = mkdtempSync(join(dir, 'editor-'));
  const editor = join(logDir, 'editor.sh');
  writeFileSync(editor, `#!/bin/sh\ncp "$1" "${logDir}/seen.$(ls ${logDir} | wc -l)"\nsed -i -e 's/port: 8080/port: 999999/' "$1"\n`);
  chmodSync(editor, 0o755);
  const r = await mk8s(kc, ['edit', 'svc', 'edit-bad'], { env: { KUBE_EDITOR: editor } });
  t.is(r.code, 1);
  t.regex(r.stderr, /^error: Edit cancelled, no valid changes were saved\.\nA copy of your changes has been stored to ".*"\n$/);
  const seen = readdirSync(logDir).filter((n) => n.startsWith('seen.')).sort();
  t.is(seen.length, 2);
  const second = readFileSync(join(logDir, seen[1]), 'utf8');
  t.true(second.startsWith("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"));
  t.regex(second, /^# services "edit-bad" was not valid:\n# \* spec\.ports\[0\]\.port: Invalid value: 999999: must be between 1 and 65535, inclusive\n#\n/m);
  t.is((await cluster.client.get(svcType, 'default', 'edit-bad')).spec.ports[0].port, 8080);
});

test('patch: strategic, merge and json, and "(no change)"', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('cluster_ip.yaml', 'benjamintoll', 'patch-svc')]);
  t.is((await mk8s(kc, ['patch', 'svc', 'patch-svc', '-p', '{"spec":{"type":"NodePort"}}'])).stdout, 'service/patch-svc patched\n');
  t.is((await mk8s(kc, ['patch', 'svc', 'patch-svc', '--type', 'merge', '-p', '{"spec":{"type":"NodePort"}}'])).stdout, 'service/patch-svc patched (no change)\n');
  t.is((await mk8s(kc, ['patch', 'svc/patch-svc', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/port","value":9090}]'])).stdout, 'service/patch-svc patched\n');
  const svc = await cluster.client.get(svcType, 'default', 'patch-svc');
  t.is(svc.spec.type, 'NodePort');
  t.is(svc.spec.ports[0].port, 9090);
});

test('label and annotate: set, --overwrite, KEY- removal, kubectl\'s error', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('cluster_ip.yaml', 'benjamintoll', 'label-svc')]);
  t.is((await mk8s(kc, ['label', 'svc', 'label-svc', 'tier=web'])).stdout, 'service/label-svc labeled\n');
  const clash = await mk8s(kc, ['label', 'svc', 'label-svc', 'app=other']);
  t.is(clash.code, 1);
  t.is(clash.stderr, (await kubectl(kc, ['label', 'svc', 'label-svc', 'app=other'])).stderr);
  t.is((await mk8s(kc, ['label', 'svc', 'label-svc', 'app=other', '--overwrite'])).stdout, 'service/label-svc labeled\n');
  t.is((await mk8s(kc, ['label', 'svc', 'label-svc', 'tier-'])).stdout, 'service/label-svc unlabeled\n');
  t.is((await mk8s(kc, ['label', 'svc', 'label-svc', 'app=other'])).stdout, 'service/label-svc not labeled\n');
  t.deepEqual((await cluster.client.get(svcType, 'default', 'label-svc')).metadata.labels, { app: 'other' });
  t.is((await mk8s(kc, ['annotate', 'svc', 'label-svc', 'note=hello'])).stdout, 'service/label-svc annotated\n');
  const aclash = await mk8s(kc, ['annotate', 'svc', 'label-svc', 'note=bye']);
  t.is(aclash.stderr, (await kubectl(kc, ['annotate', 'svc', 'label-svc', 'note=bye'])).stderr);
  t.is((await mk8s(kc, ['annotate', 'svc', 'label-svc', 'note-'])).stdout, 'service/label-svc annotated\n');
});

test('scale, then rollout status/restart/history/undo on a deployment', async (t) => {
  const f = renamed('deployment.yaml', 'benjamintoll', 'roll');
  await mk8s(kc, ['apply', '-f', f]);
  const st = await mk8s(kc, ['rollout', 'status', 'deployment/roll', '--timeout=30s']);
  t.is(st.code, 0, st.stderr);
  t.true(st.stdout.endsWith('deployment "roll" successfully rolled out\n'), st.stdout);
  t.is((await mk8s(kc, ['scale', 'deploy/roll', '--replicas=4'])).stdout, 'deployment.apps/roll scaled\n');
  await deploymentAvailable('roll', 4);
  t.is((await mk8s(kc, ['rollout', 'restart', 'deployment', 'roll'])).stdout, 'deployment.apps/roll restarted\n');
  const d = await cluster.client.get(deployType, 'default', 'roll');
  t.regex(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  const st2 = await mk8s(kc, ['rollout', 'status', 'deploy/roll', '--timeout=30s']);
  t.is(st2.code, 0, st2.stderr);
  t.true(st2.stdout.endsWith('deployment "roll" successfully rolled out\n'));
  await deploymentAvailable('roll', 4);
  const h = await mk8s(kc, ['rollout', 'history', 'deployment/roll']);
  t.is(h.stdout, 'deployment.apps/roll \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n');
  t.is((await mk8s(kc, ['rollout', 'undo', 'deployment/roll'])).stdout, 'deployment.apps/roll rolled back\n');
  const back = await cluster.client.get(deployType, 'default', 'roll');
  t.is(back.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], undefined);
});

test('delete waits until the objects are gone; -l, --all and --force', async (t) => {
  const f = renamed('deployment.yaml', 'benjamintoll', 'del-deploy');
  await mk8s(kc, ['apply', '-f', f]);
  await deploymentAvailable('del-deploy', 3);
  const r = await mk8s(kc, ['delete', '-f', f]);
  t.is(r.stdout, 'deployment.apps "del-deploy" deleted\n');
  await t.throwsAsync(cluster.client.get(deployType, 'default', 'del-deploy'));
  await mk8s(kc, ['create', 'configmap', 'del-a', '--from-literal=x=y']);
  await mk8s(kc, ['label', 'cm', 'del-a', 'del=yes']);
  t.is((await mk8s(kc, ['delete', 'cm', '-l', 'del=yes'])).stdout, 'configmap "del-a" deleted\n');
  const none = await mk8s(kc, ['delete', 'cm', 'del-a']);
  t.is(none.stderr, 'Error from server (NotFound): configmaps "del-a" not found\n');
  t.is((await mk8s(kc, ['delete', 'cm', 'del-a', '--ignore-not-found'])).code, 0);
  const noName = await mk8s(kc, ['delete', 'cm']);
  t.is(noName.stderr, 'error: resource(s) were provided, but no name was specified\n');
  await mk8s(kc, ['run', 'del-pod', '--image=busybox']);
  await waitFor(async () => (await cluster.client.get(podType, 'default', 'del-pod')).status?.phase === 'Running', 60_000, 100);
  const forced = await mk8s(kc, ['delete', 'pod', 'del-pod', '--grace-period=0', '--force']);
  t.is(forced.stdout, 'pod "del-pod" force deleted\n');
  t.true(forced.stderr.startsWith('Warning: Immediate deletion does not wait for confirmation'));
});

test('get -w prints the table, then a row per change', async (t) => {
  const child = spawn(process.execPath, [mainJs, '--kubeconfig', kc, 'get', 'cm', '-w', '-l', 'watch=me']);
  t.teardown(() => child.kill());
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  // The list is done (the watch starts from its resourceVersion): what follows arrives as watch events.
  await waitFor(() => err.includes('No resources found in default namespace.'), 10_000);
  await cluster.client.create(findByKind('v1', 'ConfigMap')!, 'default', { metadata: { name: 'watched', labels: { watch: 'me' } }, data: { a: 'b' } });
  await waitFor(() => out.includes('watched'), 10_000);
  await cluster.client.patch(findByKind('v1', 'ConfigMap')!, 'default', 'watched', { data: { a: 'b', c: 'd' } });
  await waitFor(() => out.split('\n').filter((l) => l.startsWith('watched')).length === 2, 10_000);
  const lines = out.trim().split('\n');
  t.regex(lines[0], /^NAME\s+DATA\s+AGE$/);
  t.regex(lines[1], /^watched\s+1\s+\S+$/);
  t.regex(lines[2], /^watched\s+2\s+\S+$/);
});

test('explain-route: ClusterIP → KUBE-SVC → KUBE-SEP per pod, with kube-proxy\'s names and probabilities', async (t) => {
  const f = renamed('deployment.yaml', 'benjamintoll', 'route');
  const s = renamed('node_port.yaml', 'benjamintoll', 'route');
  writeFileSync(s, readFileSync(s, 'utf8').replace('31117', '31118'));
  await mk8s(kc, ['apply', '-f', f, '-f', s]);
  await deploymentAvailable('route', 3);
  await waitFor(async () => {
    const r = await mk8s(kc, ['explain-route', 'svc/route']);
    return (r.stdout.match(/KUBE-SEP-/g) ?? []).length === 3;
  }, 60_000, 200);
  const r = await mk8s(kc, ['explain-route', 'svc/route']);
  const svc = await cluster.client.get(svcType, 'default', 'route');
  const spn = servicePortName('default', 'route');
  const chain = serviceChain(spn, 'tcp');
  t.true(r.stdout.startsWith(`Service default/route: NodePort, ClusterIP ${svc.spec.clusterIP}\n`), r.stdout);
  t.true(r.stdout.includes(`  ${svc.spec.clusterIP}:8080  KUBE-SERVICES -> ${chain}\n`), r.stdout);
  t.true(r.stdout.includes(`172.18.0.2:31118, 172.18.0.3:31118  KUBE-NODEPORTS -> KUBE-EXT-${chain.slice('KUBE-SVC-'.length)} -> ${chain}`), r.stdout);
  const pods = (await cluster.client.list(podType, 'default', { labelSelector: 'app=benjamintoll' })).items.filter((p) => p.metadata.name!.startsWith('route-'));
  for (const p of pods) t.true(r.stdout.includes(`${endpointChain(spn, 'tcp', `${p.status.podIP}:80`)} -> DNAT ${p.status.podIP}:80  pod ${p.metadata.name} on node ${p.spec.nodeName}`), r.stdout);
  t.regex(r.stdout, /probability 0\.3333333333\s+-> KUBE-SEP-\w+ .*\n\s+probability 0\.5000000000\s+-> KUBE-SEP-\w+ .*\n\s+otherwise\s+-> KUBE-SEP-/);
});

test('explain-route without --proxy-mode speaks the proxy mode `mk8s up` recorded for the cluster it talks to', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('cluster_ip.yaml', 'benjamintoll', 'route-mode')]);
  const home = join(dir, 'mk8s-home');
  const server = cluster.api.server.url;
  const record = (name: string, apiServer: string, proxyMode?: string) => {
    mkdirSync(join(home, name), { recursive: true });
    writeFileSync(join(home, name, 'cluster.json'), JSON.stringify({ name, dir: join(home, name), layout: { apiServer }, processes: [], options: proxyMode ? { proxyMode } : {} }));
  };
  const explain = (...extra: string[]) => mk8s(kc, ['explain-route', 'svc/route-mode', ...extra], { env: { MK8S_HOME: home } });
  const nft = /^Service default\/route-mode: ClusterIP, ClusterIP \S+ \(nftables mode: table ip kube-proxy\)$/m;
  // No cluster recorded for this server (only another one, in nftables mode): iptables, the default.
  record('other', 'https://172.31.99.1:6443', 'nftables');
  let r = await explain();
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /KUBE-SERVICES -> KUBE-SVC-/);
  t.notRegex(r.stdout, nft);
  // This cluster recorded in nftables mode: nftables words, unless --proxy-mode says otherwise.
  record('this', server, 'nftables');
  r = await explain();
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, nft);
  t.regex(r.stdout, /@no-endpoint-services: \S+ \. tcp \. 8080 : goto reject-chain/, 'no pod has its selector');
  t.regex((await explain('--proxy-mode', 'iptables')).stdout, /KUBE-SERVICES -> KUBE-SVC-/);
  // Recorded in iptables mode (or before the mode was recorded): iptables; --proxy-mode nftables still switches.
  record('this', server);
  t.regex((await explain()).stdout, /KUBE-SERVICES -> KUBE-SVC-/);
  t.regex((await explain('--proxy-mode=nftables')).stdout, nft);
});

test('mk8s service lists node-port URLs as minikube service does', async (t) => {
  await mk8s(kc, ['apply', '-f', renamed('multi_port.yaml', 'my-service', 'mini-svc').replace('', '')]);
  const f = join(dir, 'mini-np.yaml');
  writeFileSync(f, readFileSync(fixture('multi_port.yaml'), 'utf8').replaceAll('my-service', 'mini-np').replace('31080', '31090').replace('31443', '31453'));
  await mk8s(kc, ['apply', '-f', f]);
  const url = await mk8s(kc, ['service', 'mini-np', '--url']);
  t.is(url.stdout, 'http://172.18.0.2:31090\nhttp://172.18.0.2:31453\n');
  const one = await mk8s(kc, ['service', 'mini-np']);
  t.is(one.stdout, [
    '|-----------|---------|-------------|-------------------------|',
    '| NAMESPACE |  NAME   | TARGET PORT |           URL           |',
    '|-----------|---------|-------------|-------------------------|',
    '| default   | mini-np | http/8080   | http://172.18.0.2:31090 |',
    '| default   | mini-np | https/8443  | http://172.18.0.2:31453 |',
    '|-----------|---------|-------------|-------------------------|',
    '',
  ].join('\n'));
  const list = await mk8s(kc, ['service', 'list']);
  t.regex(list.stdout, /\| default\s+\| kubernetes\s+\| No node port \|\s+\|/);
});

test('errors read like kubectl\'s and exit non-zero', async (t) => {
  for (const args of [['get', 'foo'], ['get', 'svc', 'nope'], ['get', 'pods', '--bogus'], ['get', 'pods', '-x'], ['get', 'pods', 'x', '-A'], ['delete'], ['get']]) {
    const ours = await mk8s(kc, args);
    const theirs = await kubectl(kc, args);
    t.is(ours.code, 1, args.join(' '));
    t.is(theirs.code, 1, args.join(' '));
    t.is(ours.stderr.split('\n')[0].replace(/mk8s/g, 'kubectl').replace(/^error: unknown/, 'Error: unknown'), theirs.stderr.split('\n')[0], args.join(' '));
  }
});

test('cluster-info and api-resources print what kubectl prints', async (t) => {
  for (const args of [['cluster-info'], ['api-resources'], ['api-resources', '-o', 'wide'], ['api-resources', '--namespaced=false'], ['api-resources', '-o', 'name']]) {
    t.is((await mk8s(kc, args)).stdout, (await kubectl(kc, args)).stdout, args.join(' '));
  }
  const v = await mk8s(kc, ['version']);
  t.regex(v.stdout, /^Client Version: v1\.32\.0-mk8s\nServer Version: v1\.32\.0-mk8s\n$/);
});

test('logs and exec reach the pod subresources and print the apiserver\'s answer', async (t) => {
  // A pod no node can take: the apiserver answers without dialing any kubelet (no traffic leaves this machine).
  await cluster.client.create(podType, 'default', { metadata: { name: 'stream-pod' }, spec: { nodeSelector: { nowhere: 'true' }, containers: [{ name: 'c', image: 'busybox' }] } });
  const logs = await mk8s(kc, ['logs', 'stream-pod']);
  t.is(logs.code, 1);
  t.is(logs.stderr, 'Error from server (BadRequest): pod stream-pod does not have a host assigned\n');
  const exec = await mk8s(kc, ['exec', 'stream-pod', '--', 'ls']);
  t.is(exec.code, 1);
  t.is(exec.stderr, 'Error from server (BadRequest): pod stream-pod does not have a host assigned\n');
  const pf = await mk8s(kc, ['port-forward', 'pod/stream-pod', '8090:80']);
  t.is(pf.code, 1);
  t.is(pf.stderr, 'error: unable to forward port because pod is not running. Current status=Pending\n');
});

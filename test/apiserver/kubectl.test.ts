// The real kubectl (which no one here wrote) against our API server: token
// auth over TLS, discovery, Tables, create/apply/label/delete with the
// tutorials' own Service YAML.
import test from 'ava';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startTestApi, type TestApi } from '../../testkit/api.js';
import { run } from '../../testkit/process.js';
import { tutorialYaml } from '../helpers/tutorials.js';

const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
let api: TestApi;
let dir: string;
const kubectl = (...args: string[]) => run(kubectlPath!, ['--kubeconfig', api.server.kubeconfigPath, ...args]);

test.before(async () => {
  api = await startTestApi();
  dir = api.dataDir;
});
test.after.always(async () => {
  await api?.close();
});

const maybe = kubectlPath ? test.serial : test.serial.skip;

maybe('kubectl get ns and get po,svc -A', async (t) => {
  const ns = await kubectl('get', 'ns');
  t.is(ns.code, 0, ns.stderr);
  t.regex(ns.stdout, /^NAME\s+STATUS\s+AGE\n/);
  for (const n of ['default', 'kube-system', 'kube-public']) t.regex(ns.stdout, new RegExp(`^${n}\\s+Active\\s+\\d+s`, 'm'));
  const all = await kubectl('get', 'po,svc', '-A');
  t.is(all.code, 0, all.stderr);
  t.regex(all.stdout, /NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE/);
  t.regex(all.stdout, /default\s+service\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
});

maybe('kubectl create -f the tutorial Service, then get -o yaml', async (t) => {
  const file = join(dir, 'cluster_ip.yaml');
  await writeFile(file, tutorialYaml('cluster_ip.yaml'));
  const created = await kubectl('create', '-f', file);
  t.is(created.code, 0, created.stderr);
  t.is(created.stdout.trim(), 'service/benjamintoll created');
  const y = await kubectl('get', 'svc', '-o', 'yaml');
  t.is(y.code, 0, y.stderr);
  const list = parse(y.stdout);
  const svc = list.items.find((s: any) => s.metadata.name === 'benjamintoll');
  t.like(svc, { kind: 'Service', spec: { type: 'ClusterIP', ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }], selector: { app: 'benjamintoll' } } });
  t.regex(svc.spec.clusterIP, /^10\./);
  const table = await kubectl('get', 'svc', 'benjamintoll', '-o', 'wide');
  t.regex(table.stdout, /benjamintoll\s+ClusterIP\s+10\.\S+\s+<none>\s+8080\/TCP\s+\d+s\s+app=benjamintoll/);
});

maybe('kubectl apply: create, change and apply again, unchanged', async (t) => {
  const file = join(dir, 'node_port.yaml');
  const yaml = tutorialYaml('node_port.yaml').replace('name: benjamintoll\n  labels', 'name: benjamintoll-np\n  labels');
  await writeFile(file, yaml);
  const first = await kubectl('apply', '-f', file);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout.trim(), 'service/benjamintoll-np created');
  const same = await kubectl('apply', '-f', file);
  t.is(same.stdout.trim(), 'service/benjamintoll-np unchanged');
  await writeFile(file, yaml.replace('port: 8080', 'port: 9090'));
  const changed = await kubectl('apply', '-f', file);
  t.is(changed.code, 0, changed.stderr);
  t.is(changed.stdout.trim(), 'service/benjamintoll-np configured');
  const got = parse((await kubectl('get', 'svc', 'benjamintoll-np', '-o', 'yaml')).stdout);
  t.deepEqual(got.spec.ports, [{ port: 9090, targetPort: 80, nodePort: 31117, protocol: 'TCP' }]);
  t.truthy(got.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  const np = await kubectl('get', 'svc', 'benjamintoll-np');
  t.regex(np.stdout, /benjamintoll-np\s+NodePort\s+\S+\s+<none>\s+9090:31117\/TCP/);
});

maybe('kubectl label, get --show-labels and -l', async (t) => {
  const l = await kubectl('label', 'svc', 'benjamintoll', 'env=lab');
  t.is(l.stdout.trim(), 'service/benjamintoll labeled', l.stderr);
  const shown = await kubectl('get', 'svc', 'benjamintoll', '--show-labels');
  t.regex(shown.stdout, /app=benjamintoll,env=lab/);
  const sel = await kubectl('get', 'svc', '-l', 'env in (lab,prod)', '-o', 'name');
  t.is(sel.stdout.trim(), 'service/benjamintoll');
});

maybe('kubectl run --expose, expose, edit, scale, and errors as kubectl prints them', async (t) => {
  const r = await kubectl('run', 'pod-hello', '--image=pbitty/hello-from', '--port=80', '--expose');
  t.is(r.stdout.trim(), 'service/pod-hello created\npod/pod-hello created', r.stderr);
  const e = await kubectl('expose', 'pod', 'pod-hello', '--name=pod-hello-np', '--type=NodePort', '--port=8080', '--target-port=80');
  t.is(e.stdout.trim(), 'service/pod-hello-np exposed', e.stderr);
  // kubectl edit with a scripted editor: NodePort → ClusterIP releases the nodePort.
  const ed = await run(kubectlPath!, ['--kubeconfig', api.server.kubeconfigPath, 'edit', 'svc', 'pod-hello-np'], { env: { EDITOR: 'sed -i s/type:\\ NodePort/type:\\ ClusterIP/' } });
  t.is(ed.stdout.trim(), 'service/pod-hello-np edited', ed.stderr);
  const after = parse((await kubectl('get', 'svc', 'pod-hello-np', '-o', 'yaml')).stdout);
  t.is(after.spec.type, 'ClusterIP');
  t.falsy(after.spec.ports[0].nodePort);

  const file = join(dir, 'deployment.yaml');
  await writeFile(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hello\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: hello}\n  template:\n    metadata:\n      labels: {app: hello}\n    spec:\n      containers:\n      - name: hello\n        image: pbitty/hello-from\n');
  t.is((await kubectl('apply', '-f', file)).stdout.trim(), 'deployment.apps/hello created');
  const s = await kubectl('scale', 'deployment', 'hello', '--replicas=4');
  t.is(s.stdout.trim(), 'deployment.apps/hello scaled', s.stderr);
  const d = await kubectl('get', 'deploy', 'hello', '-o', 'jsonpath={.spec.replicas}');
  t.is(d.stdout, '4');
  const nf = await kubectl('get', 'svc', 'nope');
  t.not(nf.code, 0);
  t.is(nf.stderr.trim(), 'Error from server (NotFound): services "nope" not found');
  const inv = await kubectl('patch', 'svc', 'pod-hello', '-p', '{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}}');
  t.not(inv.code, 0);
  t.regex(inv.stderr, /provided port is not in the valid range\. The range of valid ports is 30000-32767/);
});

maybe('kubectl delete', async (t) => {
  const d = await kubectl('delete', 'svc', 'benjamintoll');
  t.is(d.stdout.trim(), 'service "benjamintoll" deleted', d.stderr);
  const dd = await kubectl('delete', 'deployment', 'hello');
  t.is(dd.stdout.trim(), 'deployment.apps "hello" deleted', dd.stderr);
  const gone = await kubectl('get', 'svc', 'benjamintoll');
  t.regex(gone.stderr, /NotFound/);
});

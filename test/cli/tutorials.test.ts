// Every kubectl command line of the five Service tutorials (their YAML in
// test/fixtures/tutorials), in order, typed
// with `mk8s` in place of `kubectl` (and `k` as an alias, `mk8s service` for
// `minikube service`), run by bash in a directory holding the tutorials'
// YAML files, against an apiserver with the controllers and two fake
// kubelets. Lines that need the real kubelet or the node network (logs,
// exec, port-forward, curl to pods or node ports) run against a real cluster
// in tutorials-live.test.ts; lines that download from the internet, or use
// what mk8s does not serve, run nowhere: each says why in its `skip`.
import test from 'ava';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCluster } from '../controllers/harness.js';
import { waitFor } from '../controllers/harness.js';
import { findByKind } from '../../api/resources.js';
import { fixturesDir, mainJs, startSharedCluster } from './helpers.js';

interface Step {
  /** The line as the tutorial has it, with kubectl → mk8s. */
  cmd: string;
  /** Output (stdout + stderr) must match. */
  expect?: RegExp;
  /** Output must not match. */
  reject?: RegExp;
  /** Expected exit code (default 0). */
  code?: number;
  /** Why it does not run yet. */
  skip?: string;
  /** Wait for the cluster to settle before running. */
  before?: (c: TestCluster) => Promise<unknown>;
}

const KUBELET = 'needs the kubelet/node network: run by tutorials-live.test.ts';
const OFFLINE = 'downloads manifests from the internet (MetalLB, kube-router); mk8s has its own LoadBalancer pool and no network access';

const deploymentReady = (name: string, replicas: number) => async (c: TestCluster) =>
  waitFor(async () => {
    const d = await c.client.get(findByKind('apps/v1', 'Deployment')!, 'default', name);
    return d.status?.availableReplicas === replicas && d.status?.observedGeneration === d.metadata.generation;
  }, 60_000, 100);

const podRunning = (name: string) => async (c: TestCluster) =>
  waitFor(async () => (await c.client.get(findByKind('v1', 'Pod')!, 'default', name)).status?.phase === 'Running', 60_000, 100);

const gone = (plural: string, name: string, group = '') => async (c: TestCluster) =>
  waitFor(async () => {
    const t = findByKind(group ? `${group}/v1` : 'v1', plural)!;
    try {
      await c.client.get(t, 'default', name);
      return false;
    } catch {
      return true;
    }
  }, 60_000, 100);

const POD = `$(mk8s get po -l app=benjamintoll -o jsonpath='{.items[0].metadata.name}')`;
const RS = `$(mk8s get rs -l app=benjamintoll -o jsonpath='{.items[0].metadata.name}')`;

const tutorials: Record<string, Step[]> = {
  '000-on-kubernetes-services': [
    { cmd: 'mk8s apply -f cluster_ip.yaml', expect: /^service\/benjamintoll created$/m },
    { cmd: 'mk8s apply -f deployment.yaml', expect: /^deployment\.apps\/benjamintoll created$/m },
    { cmd: 'mk8s get po -owide', before: deploymentReady('benjamintoll', 3), expect: /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n(benjamintoll-\w+-\w+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node\d\s+<none>\s+<none>\n){3}/ },
    { cmd: `mk8s port-forward ${POD} 8090:80`, skip: KUBELET },
    { cmd: 'x-www-browser 127.0.0.1:8090', skip: KUBELET },
    { cmd: `mk8s get po ${POD} \\\n    -o jsonpath='{.metadata.ownerReferences}'`, expect: /^\[\{"apiVersion":"apps\/v1","blockOwnerDeletion":true,"controller":true,"kind":"ReplicaSet","name":"benjamintoll-\w+","uid":"[0-9a-f-]+"\}\]$/ },
    { cmd: 'mk8s get rs -owide', expect: /NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nbenjamintoll-(\w+)\s+3\s+3\s+3\s+\S+\s+benjamintoll\s+btoll\/benjamintoll\.com:latest\s+app=benjamintoll,pod-template-hash=\1\n/ },
    { cmd: `mk8s get rs ${RS} \\\n    -o jsonpath='{.metadata.ownerReferences}'`, expect: /^\[\{"apiVersion":"apps\/v1","blockOwnerDeletion":true,"controller":true,"kind":"Deployment","name":"benjamintoll","uid":"[0-9a-f-]+"\}\]$/ },
    { cmd: 'mk8s get deployments benjamintoll -owide', expect: /benjamintoll\s+3\/3\s+3\s+3\s+\S+\s+benjamintoll\s+btoll\/benjamintoll\.com:latest\s+app=benjamintoll\n/ },
    { cmd: 'mk8s delete -f cluster_ip.yaml', expect: /^service "benjamintoll" deleted$/m },
    { cmd: 'mk8s delete -f deployment.yaml', expect: /^deployment\.apps "benjamintoll" deleted$/m },
    { cmd: 'mk8s apply -f deployment.yaml', before: gone('Deployment', 'benjamintoll', 'apps'), expect: /deployment\.apps\/benjamintoll created/ },
    { cmd: 'mk8s delete -f deployment.yaml --cascade=orphan', expect: /^deployment\.apps "benjamintoll" deleted$/m },
    { cmd: 'mk8s apply -f deployment.yaml', before: gone('Deployment', 'benjamintoll', 'apps'), expect: /deployment\.apps\/benjamintoll created/ },
    { cmd: 'mk8s delete deployments benjamintoll --cascade=orphan', expect: /^deployment\.apps "benjamintoll" deleted$/m },
    { cmd: 'mk8s delete rs,po -l app=benjamintoll', expect: /replicaset\.apps "benjamintoll-\w+" deleted/ },
    { cmd: 'mk8s apply -f deployment.yaml', before: gone('Deployment', 'benjamintoll', 'apps'), expect: /deployment\.apps\/benjamintoll created/ },
    { cmd: 'mk8s expose deployment benjamintoll --type=NodePort --name=benjamintoll', expect: /^service\/benjamintoll exposed$/m },
    { cmd: 'mk8s get svc benjamintoll -oyaml > service/node_port.yaml && grep -c "type: NodePort" service/node_port.yaml', expect: /^1$/m },
    { cmd: 'mk8s delete svc benjamintoll && mk8s delete -f deployment.yaml', expect: /deleted/ },
    { cmd: 'mk8s apply -f deployment.yaml -f node_port.yaml', before: gone('Deployment', 'benjamintoll', 'apps'), expect: /^deployment\.apps\/benjamintoll created\nservice\/benjamintoll created$/m },
    { cmd: 'mk8s get no -owide', expect: /NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\nnode1\s+Ready\s+<none>\s+\S+\s+\S*\s+172\.18\.0\.2\s+<none>/ },
    { cmd: 'x-www-browser 10.8.8.10:31117', skip: KUBELET },
    { cmd: "for ip in \\\n    $(mk8s get no -o jsonpath='{.items[1:].status.addresses[0].address}')\ndo\necho x-www-browser $ip:31117\ndone", expect: /^x-www-browser 172\.18\.0\.3:31117$/m },
    { cmd: "for ip in $(mk8s get no -owide --no-headers | awk '{ if (NR!=1) { print $6 }}')\ndo\necho x-www-browser $ip:31117\ndone", expect: /^x-www-browser 172\.18\.0\.3:31117$/m },
    { cmd: 'curl 10.8.8.21:31117', skip: KUBELET },
    { cmd: 'mk8s delete -f deployment.yaml -f node_port.yaml', expect: /^deployment\.apps "benjamintoll" deleted\nservice "benjamintoll" deleted$/m },
    { cmd: 'mk8s apply -f https://raw.githubusercontent.com/metallb/metallb/v0.9.5/manifests/namespace.yaml', skip: OFFLINE },
    { cmd: 'mk8s create secret generic -n metallb-system memberlist --from-literal=secretkey="$(openssl rand -base64 128)"', skip: 'Secrets are not served by mk8s (MetalLB is replaced by mk8s\' own LoadBalancer pool)' },
    { cmd: 'mk8s create namespace metallb-system', expect: /^namespace\/metallb-system created$/m },
    {
      cmd: "IP=10.8.8.93\nIP_ADD_TEN=10.8.8.103\nmk8s apply -f <(cat <<-EOF\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: metallb-system\n  name: config\ndata:\n  config: |\n    address-pools:\n    - name: default\n      protocol: layer2\n      addresses:\n      - ${IP}-${IP_ADD_TEN}\nEOF\n)",
      expect: /^configmap\/config created$/m,
    },
    { cmd: 'mk8s describe cm -n metallb-system config', expect: /^Name: {9}config\nNamespace: {4}metallb-system\nLabels: {7}<none>\nAnnotations: {2}<none>\n\nData\n====\nconfig:\n----\naddress-pools:\n- name: default\n {2}protocol: layer2\n {2}addresses:\n {2}- 10\.8\.8\.93-10\.8\.8\.103\n/ },
    { cmd: "mk8s get cm \\\n    -n metallb-system config \\\n    -o jsonpath='{.data.config}' | tail -1 | awk '{ print $2 }'", expect: /^10\.8\.8\.93-10\.8\.8\.103$/m },
    { cmd: 'mk8s apply -f deployment.yaml -f node_port.yaml', before: gone('Deployment', 'benjamintoll', 'apps'), expect: /^deployment\.apps\/benjamintoll created\nservice\/benjamintoll created$/m },
    { cmd: 'mk8s delete svc benjamintoll', expect: /deleted/ },
    { cmd: 'mk8s expose deployment benjamintoll --type=LoadBalancer --name=benjamintoll', expect: /^service\/benjamintoll exposed$/m },
    {
      cmd: 'mk8s get svc -owide',
      before: (c) => waitFor(async () => (await c.client.get(findByKind('v1', 'Service')!, 'default', 'benjamintoll')).status?.loadBalancer?.ingress?.length, 60_000, 100),
      expect: /benjamintoll\s+LoadBalancer\s+10\.\d+\.\d+\.\d+\s+10\.8\.8\.93\s+80:3\d{4}\/TCP\s+\S+\s+app=benjamintoll\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+\s+<none>/,
    },
    { cmd: 'mk8s get svc benjamintoll -oyaml > service/node_port.yaml && grep -c "type: LoadBalancer" service/node_port.yaml', expect: /^1$/m },
    { cmd: 'x-www-browser 10.8.8.93', skip: KUBELET },
    { cmd: 'curl 10.8.8.93', skip: KUBELET },
    { cmd: 'telnet 10.8.8.93 80', skip: KUBELET },
    { cmd: 'mk8s delete -f deployment.yaml -f node_port.yaml', expect: /^deployment\.apps "benjamintoll" deleted\nservice "benjamintoll" deleted$/m },
  ],
  '001-creating-services': [
    { cmd: 'mk8s apply -f basic-deployment.yml -f basic-pod.yml', expect: /deployment\.apps\/basic-deployment-name created\npod\/basic-pod created/ },
    { cmd: 'mk8s port-forward pod/basic-pod 8080:80', skip: KUBELET },
    { cmd: 'mk8s port-forward deployment/basic-deployment-name 8080', skip: KUBELET },
    { cmd: 'mk8s port-forward service/myapp 8080', skip: KUBELET },
    { cmd: 'mk8s create -f file.service.yml', expect: /^service\/frontend created$/m },
    { cmd: 'mk8s apply -f file.service.yml', expect: /^service\/frontend configured$/m, reject: /^service\/frontend created/m },
    { cmd: 'mk8s delete -f file.service.yml', expect: /^service "frontend" deleted$/m },
    { cmd: 'mk8s create -f external-service.yml', expect: /^service\/external-service created$/m },
    { cmd: 'mk8s exec basic-pod -- curl -s http://10.244.1.2', skip: KUBELET },
    { cmd: 'mk8s exec basic-pod -it sh', skip: KUBELET },
    { cmd: 'mk8s exec -it basic-pod -- sh', skip: KUBELET },
    { cmd: 'mk8s get pod basic-pod -o yaml | grep podIP:', before: podRunning('basic-pod'), expect: /^ {2}podIP: 10\.244\.\d+\.\d+$/m },
    { cmd: 'k apply -f node-port-service.yml', expect: /^service\/myapp created$/m },
    {
      cmd: 'k get all',
      before: deploymentReady('basic-deployment-name', 2),
      expect: /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n(pod\/basic-deployment-name-\w+-\w+\s+1\/1\s+Running\s+0\s+\S+\n){2}pod\/basic-pod\s+1\/1\s+Running[\s\S]*service\/myapp\s+NodePort\s+\S+\s+<none>\s+80:30001\/TCP[\s\S]*deployment\.apps\/basic-deployment-name\s+2\/2\s+2\s+2[\s\S]*replicaset\.apps\/basic-deployment-name-\w+\s+2\s+2\s+2/,
    },
    { cmd: 'k get all --show-labels', expect: /pod\/basic-deployment-name-\w+-\w+\s+1\/1\s+Running\s+0\s+\S+\s+app=myapp,pod-template-hash=\w+/ },
    { cmd: 'k apply -f load-balancer-service.yml', expect: /^service\/myapp configured$/m },
    { cmd: 'k get pods', expect: /basic-pod\s+1\/1\s+Running/ },
    { cmd: 'k get services', before: (c) => waitFor(async () => (await c.client.get(findByKind('v1', 'Service')!, 'default', 'myapp')).status?.loadBalancer?.ingress?.length, 60_000, 100), expect: /myapp\s+LoadBalancer\s+10\.\S+\s+172\.18\.0\.200\s+80:30001\/TCP/ },
  ],
  '002-kubernetes-services-types': [
    { cmd: 'mk8s apply -f deployment.yaml', expect: /created/ },
    { cmd: 'mk8s get pod -o wide', before: deploymentReady('benjamintoll', 3), expect: /IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/ },
    { cmd: 'mk8s get pod -o wide --all-namespaces', expect: /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\ndefault\s+benjamintoll-/ },
  ],
  '003-k8s-5-service': [
    { cmd: 'mk8s apply -f service.yaml -f multiPortService.yaml', expect: /service\/frontend-svc created\nservice\/my-service created/ },
    { cmd: 'mk8s run pod-hello --image=pbitty/hello-from:latest --port=80 --expose=true', expect: /^service\/pod-hello created\npod\/pod-hello created$/m },
    {
      cmd: 'mk8s get pod,svc,ep --show-labels',
      before: async (c) => {
        await podRunning('pod-hello')(c);
        return waitFor(async () => (await c.client.get(findByKind('v1', 'Endpoints')!, 'default', 'pod-hello').catch(() => undefined))?.subsets?.length, 60_000, 100);
      },
      expect: /NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS\npod\/pod-hello\s+1\/1\s+Running\s+0\s+\S+\s+run=pod-hello\n\nNAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+LABELS\n[\s\S]*service\/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+\s+component=apiserver,provider=kubernetes\n[\s\S]*service\/pod-hello\s+ClusterIP\s+10\.\S+\s+<none>\s+80\/TCP\s+\S+\s+<none>\n\nNAME\s+ENDPOINTS\s+AGE\s+LABELS\n[\s\S]*endpoints\/kubernetes\s+127\.0\.0\.1:\d+\s+\S+\s+endpointslice\.kubernetes\.io\/skip-mirror=true\n[\s\S]*endpoints\/pod-hello\s+10\.244\.\d+\.\d+:80\s+\S+\s+(<none>|endpoints\.kubernetes\.io\/managed-by=endpoint-controller)\n/,
    },
    { cmd: 'mk8s describe svc pod-hello | grep -i selector', expect: /^Selector:\s+run=pod-hello$/m },
    { cmd: 'mk8s describe pod pod-hello | grep -i ip:', expect: /^IP:\s+10\.244\.\d+\.\d+$/m },
    { cmd: 'mk8s describe pod pod-hello | grep -i podip:', code: 1, skip: 'the podIP annotation is Calico\'s (cni.projectcalico.org/podIP); mk8s\'s CNI is bridge + host-local, and `grep -i ip:` above shows the same address' },
    { cmd: 'mk8s service --all', expect: /\| NAMESPACE \|\s+NAME\s+\| TARGET PORT \|\s+URL\s+\|[\s\S]*\| default\s+\| kubernetes\s+\|\s+\| No node port\s+\|/ },
    { cmd: 'curl 10.244.151.5', skip: KUBELET },
    { cmd: "EDITOR=\"sed -i -e 's/^  type: ClusterIP$/  type: NodePort/'\" mk8s edit svc pod-hello", expect: /^service\/pod-hello edited$/m },
    {
      cmd: 'mk8s get pod,svc,ep --show-labels',
      expect: /service\/pod-hello\s+NodePort\s+10\.\S+\s+<none>\s+80:3\d{4}\/TCP\s+\S+\s+<none>/,
    },
    { cmd: 'mk8s service --all', expect: /\| default\s+\| pod-hello\s+\|\s+80 \| http:\/\/172\.18\.0\.2:3\d{4} \|/ },
    { cmd: 'mk8s run pod-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --expose=true', expect: /^service\/pod-hello-echo created\npod\/pod-hello-echo created$/m },
    { cmd: 'mk8s get pod,svc,ep --show-labels', before: podRunning('pod-hello-echo'), expect: /pod\/pod-hello-echo\s+1\/1\s+Running\s+0\s+\S+\s+run=pod-hello-echo/ },
    { cmd: 'mk8s describe svc pod-hello-echo | grep -i selector', expect: /^Selector:\s+run=pod-hello-echo$/m },
    { cmd: 'curl 10.244.120.69:8080', skip: KUBELET },
    { cmd: 'mk8s service list', expect: /\| default\s+\| pod-hello-echo\s+\| No node port \|\s+\|/ },
    { cmd: 'mk8s service pod-hello-echo', expect: /\| default\s+\| pod-hello-echo \|\s+\| No node port \|[\s\S]*service default\/pod-hello-echo has no node port/ },
    { cmd: "EDITOR=\"sed -i -e 's/^  type: ClusterIP$/  type: NodePort/'\" mk8s edit svc pod-hello-echo", expect: /^service\/pod-hello-echo edited$/m },
    { cmd: 'mk8s service list', expect: /\| default\s+\| pod-hello-echo\s+\|\s+8080 \| http:\/\/172\.18\.0\.2:3\d{4} \|/ },
    { cmd: 'mk8s service pod-hello-echo', expect: /\| default\s+\| pod-hello-echo \|\s+8080 \| http:\/\/172\.18\.0\.2:3\d{4} \|/ },
    { cmd: 'mk8s create deployment deploy-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --replicas=3', expect: /^deployment\.apps\/deploy-hello-echo created$/m },
    { cmd: 'mk8s expose deployment deploy-hello-echo --type=NodePort', expect: /^service\/deploy-hello-echo exposed$/m },
    {
      cmd: 'mk8s get pod,svc,ep,deploy -l app=deploy-hello-echo --show-labels',
      before: async (c) => {
        await deploymentReady('deploy-hello-echo', 3)(c);
        return waitFor(async () => (await c.client.get(findByKind('v1', 'Endpoints')!, 'default', 'deploy-hello-echo').catch(() => undefined))?.subsets?.[0]?.addresses?.length === 3, 60_000, 100);
      },
      expect: /(pod\/deploy-hello-echo-\w+-\w+\s+1\/1\s+Running\s+0\s+\S+\s+app=deploy-hello-echo,pod-template-hash=\w+\n){3}\nNAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+LABELS\nservice\/deploy-hello-echo\s+NodePort\s+\S+\s+<none>\s+8080:3\d{4}\/TCP\s+\S+\s+app=deploy-hello-echo\n\nNAME\s+ENDPOINTS\s+AGE\s+LABELS\nendpoints\/deploy-hello-echo\s+(10\.244\.\d+\.\d+:8080,?){3}\s+\S+\s+app=deploy-hello-echo(,endpoints\.kubernetes\.io\/managed-by=endpoint-controller)?\n\nNAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+LABELS\ndeployment\.apps\/deploy-hello-echo\s+3\/3\s+3\s+3\s+\S+\s+app=deploy-hello-echo/,
    },
    { cmd: 'mk8s service list', expect: /\| default\s+\| deploy-hello-echo \|\s+8080 \| http:\/\/172\.18\.0\.2:3\d{4} \|/ },
  ],
  '004-what-is-a-service': [
    { cmd: 'mk8s create namespace abcdocker', expect: /^namespace\/abcdocker created$/m },
    { cmd: 'mk8s create -f abcdocker-server.yaml', expect: /^service\/mallh5-service created$/m },
    { cmd: 'mk8s get service --namespace=abcdocker', expect: /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nmallh5-service\s+NodePort\s+10\.\S+\s+<none>\s+3017:31122\/TCP\s+\S+\n$/ },
    { cmd: 'mk8s apply -f rc-demo-only.yaml -f myserver-svc.yaml', expect: /^replicationcontroller\/rc-demo created\nservice\/myserver created$/m },
    { cmd: 'mk8s get service', expect: /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nkubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s+\S+\nmyserver\s+ClusterIP\s+10\.\S+\s+<none>\s+80\/TCP\s+\S+\n$/ },
    { cmd: 'mk8s get endpoints', before: (c) => waitFor(async () => (await c.client.get(findByKind('v1', 'Endpoints')!, 'default', 'myserver').catch(() => undefined))?.subsets?.length, 60_000, 100), expect: /myserver\s+10\.244\.\d+\.\d+:80\s/ },
    { cmd: 'mk8s describe svc myserver', expect: /^Name:\s+myserver\nNamespace:\s+default\nLabels:\s+<none>\nAnnotations:\s+<none>\nSelector:\s+app=nginx\nType:\s+ClusterIP\n[\s\S]*Port:\s+mynginx-http {2}80\/TCP\nTargetPort:\s+nginxweb\/TCP\nEndpoints:\s+10\.244\.\d+\.\d+:80\nSession Affinity:\s+None\n/ },
    { cmd: 'mk8s apply -f myserver-nodeport.yaml', expect: /^service\/myserver configured$/m },
    { cmd: 'mk8s get svc', expect: /myserver\s+NodePort\s+10\.\S+\s+<none>\s+80:30001\/TCP/ },
    { cmd: 'mk8s describe svc myserver', expect: /Type:\s+NodePort\n[\s\S]*Port:\s+mynginx-http {2}80\/TCP\nTargetPort:\s+80\/TCP\nNodePort:\s+mynginx-http {2}30001\/TCP\nEndpoints:\s+10\.244\.\d+\.\d+:80\nSession Affinity:\s+None\nExternal Traffic Policy:\s+Cluster\n/ },
    { cmd: 'netstat -lntup|grep 30001', skip: KUBELET },
  ],
};

const clusters = new Map<string, Promise<{ cluster: TestCluster; dir: string }>>();

function setup(name: string) {
  let p = clusters.get(name);
  if (!p) {
    p = (async () => {
      const cluster = await startSharedCluster(2);
      const dir = mkdtempSync(join(tmpdir(), `mk8s-tutorial-${name}-`));
      cpSync(fixturesDir, dir, { recursive: true });
      mkdirSync(join(dir, 'service'));
      return { cluster, dir };
    })();
    clusters.set(name, p);
  }
  return p;
}

test.after.always(async () => {
  for (const p of clusters.values()) {
    const { cluster, dir } = await p;
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function bash(script: string, dir: string, kubeconfig: string): Promise<{ code: number; out: string }> {
  const prelude = `mk8s() { "${process.execPath}" "${mainJs}" "$@"; }\nk() { mk8s "$@"; }\nexport -f mk8s k\n`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: String(stdout) + String(stderr) });
    });
  });
}

for (const [name, steps] of Object.entries(tutorials)) {
  steps.forEach((step, i) => {
    const title = `${name} #${i + 1}: ${step.cmd.split('\n')[0]}`;
    // Not run here; the reason says where it runs, or why it runs nowhere.
    if (step.skip) return;
    test.serial(title, async (t) => {
      const { cluster, dir } = await setup(name);
      if (step.before) await step.before(cluster);
      const r = await bash(step.cmd, dir, cluster.api.server.kubeconfigPath);
      t.is(r.code, step.code ?? 0, r.out);
      if (step.expect) t.regex(r.out, step.expect);
      if (step.reject) t.notRegex(r.out, step.reject);
    });
  });
}

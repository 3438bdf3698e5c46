// The tutorial lines that tutorials.test.ts skips because they need real pods
// ("needs the kubelet/node network: run by tutorials-live.test.ts"), run against a REAL
// cluster from `mk8s up` (2 nodes, pods on Docker, kube-proxy-style iptables).
// For each tutorial, in order, the objects its earlier lines create are made
// with mk8s from the same fixtures tutorials.test.ts uses; then each skipped
// line runs as its own test, adapted minimally, the adaptation in the title:
// the tutorial's addresses become this cluster's (a node InternalIP, a pod IP,
// the LoadBalancer IP from `mk8s get svc`), `x-www-browser URL` becomes
// `curl -s -m 3 URL`, `telnet IP PORT` a raw TCP HTTP GET, port-forward runs in
// the background, `exec -it … sh` is driven through a pty (`script`), and the
// node shell ("minikube ssh", the node's netstat) is the node's netns.
// Traffic goes only to this cluster's addresses and to loopback. The lines that
// stay skipped (MetalLB from the internet, Secrets, Calico's annotation) keep
// their reasons in tutorials.test.ts.
import test, { type ExecutionContext } from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, runningPods, type TestCluster } from '../../testkit/cluster.js';
import { eventually } from '../../testkit/api.js';
import { mk8sBin, run } from '../../testkit/process.js';
import { fixturesDir } from './helpers.js';
import { rawGet } from '../helpers/raw-http.js';

const canRun = process.getuid?.() === 0 && (await run('docker', ['info'])).code === 0;
const serial = canRun ? test.serial : test.serial.skip;

const P = { name: 'tut2', nodes: 2, bridge: 'mk8stut2', nodeCidr: '172.31.226.0/24', podCidr: '10.226.0.0/16', serviceCidr: '10.115.0.0/16' };
const nodeNames = ['tut2-control-plane', 'tut2-worker'];
let c: TestCluster;
let dir: string;
const started = Date.now();
const forwards = new Set<ChildProcess>();

test.before(async () => {
  if (!canRun) return;
  c = await startCluster(P);
  dir = mkdtempSync(join(tmpdir(), 'mk8s-tutorials-live-'));
  cpSync(fixturesDir, dir, { recursive: true });
});

test.after.always(async (t) => {
  for (const f of forwards) f.kill('SIGKILL');
  await c?.down();
  if (dir) rmSync(dir, { recursive: true, force: true });
  t.log(`tutorials-live: ${((Date.now() - started) / 1000).toFixed(1)} s (mk8s up ${c?.upSeconds?.toFixed(1)} s)`);
});

/** A tutorial line as bash runs it, with `mk8s` (and `k`) for kubectl, in the fixtures' directory. */
function bash(script: string, timeoutMs = 30_000): Promise<{ code: number; out: string; stdout: string }> {
  const prelude = `mk8s() { "${process.execPath}" "${mk8sBin}" "$@"; }\nk() { mk8s "$@"; }\nexport -f mk8s k\n`;
  return new Promise((resolve) => {
    execFile('bash', ['-c', prelude + script], { cwd: dir, env: { ...process.env, KUBECONFIG: c.kubeconfig }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, out: String(stdout) + String(stderr), stdout: String(stdout) });
    });
  });
}

/** Run setup lines of a tutorial (what its earlier, non-skipped lines create); each must succeed. */
async function setupLines(lines: string[]) {
  for (const l of lines) {
    const r = await bash(l);
    if (r.code !== 0) throw new Error(`${l}: ${r.out}`);
  }
}

/** Each tutorial's setup once, in order; the previous tutorial's objects are removed first (nodePort 30001 is reused). */
const setups = new Map<string, Promise<void>>();
function once(name: string, fn: () => Promise<void>) {
  if (!setups.has(name)) setups.set(name, fn());
  return setups.get(name)!;
}

const curl = (url: string, seconds = 3) => run('curl', ['-s', '-m', String(seconds), url], { timeoutMs: (seconds + 2) * 1000 });
const curlUntil = async (url: string, re: RegExp, ms = 20_000) => (await eventually(async () => { const r = await curl(url); return re.test(r.stdout) ? r.stdout : undefined; }, ms, 300)) ?? '';
const inNode = (node: string, args: string[], timeoutMs = 10_000) => run('ip', ['netns', 'exec', node, ...args], { timeoutMs });
const jsonpath = async (args: string[]) => (await c.mk8s([...args])).stdout.trim();
const nodeIP = async (i: number) => jsonpath(['get', 'no', nodeNames[i], '-o', `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`]);
const podIP = async (name: string) => jsonpath(['get', 'po', name, '-o', 'jsonpath={.status.podIP}']);


/** `mk8s port-forward …` in the background; resolves once it prints "Forwarding from" for 127.0.0.1. */
function portForward(args: string[]): Promise<{ child: ChildProcess; out: () => string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mk8sBin, 'port-forward', ...args], { cwd: dir, env: { ...process.env, KUBECONFIG: c.kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
    forwards.add(child);
    let out = '';
    const stop = () =>
      new Promise<void>((r) => {
        forwards.delete(child);
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      });
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`port-forward did not start: ${out}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Forwarding from 127\.0\.0\.1:\d+ -> \d+/.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward exited with ${code}: ${out}`));
    });
  });
}

async function forwardAndGet(t: ExecutionContext, args: string[], local: number, expect: RegExp) {
  const pf = await portForward(args);
  try {
    t.regex(pf.out(), new RegExp(`Forwarding from 127\\.0\\.0\\.1:${local} -> \\d+`));
    const r = await curl(`http://127.0.0.1:${local}/`);
    t.regex(r.stdout, expect, r.stderr);
  } finally {
    await pf.stop();
  }
}

// ---------------------------------------------------------------- 000-on-kubernetes-services

const setup000 = () =>
  once('000', async () => {
    // Lines 1–2 of the tutorial.
    await setupLines(['mk8s apply -f cluster_ip.yaml', 'mk8s apply -f deployment.yaml']);
    await runningPods(c, 'app=benjamintoll', 3, 90_000);
  });
const benjamintollPod = async () => jsonpath(['get', 'po', '-l', 'app=benjamintoll', '-o', 'jsonpath={.items[0].metadata.name}']);
let pf8090: Awaited<ReturnType<typeof portForward>> | undefined;

serial('000: `kubectl port-forward <benjamintoll pod> 8090:80` → mk8s port-forward in the background until "Forwarding from"', async (t) => {
  await setup000();
  pf8090 = await portForward([await benjamintollPod(), '8090:80']);
  t.regex(pf8090.out(), /^Forwarding from 127\.0\.0\.1:8090 -> 80$/m);
});

serial('000: `x-www-browser 127.0.0.1:8090` → curl -s -m 3 127.0.0.1:8090 (through the port-forward, then stopped)', async (t) => {
  t.truthy(pf8090, 'the port-forward of the line before runs');
  try {
    const r = await curl('http://127.0.0.1:8090/');
    t.regex(r.stdout, /^Hello from benjamintoll-\w+-\w+/, r.stderr);
  } finally {
    await pf8090?.stop();
  }
});

const setup000np = () =>
  once('000-nodeport', async () => {
    await setup000();
    // The tutorial's later lines: the ClusterIP service is replaced by node_port.yaml (NodePort 8080:31117).
    await setupLines(['mk8s delete -f cluster_ip.yaml', 'mk8s apply -f node_port.yaml']);
  });

serial('000: `x-www-browser 10.8.8.10:31117` → curl -s -m 3 <control-plane node InternalIP>:31117', async (t) => {
  await setup000np();
  const ip = await nodeIP(0);
  t.regex(ip, /^172\.31\.226\.\d+$/);
  t.regex(await curlUntil(`http://${ip}:31117/`, /^Hello from benjamintoll-/), /^Hello from benjamintoll-\w+-\w+/);
});

serial('000: `curl 10.8.8.21:31117` → curl -s -m 3 <worker node InternalIP>:31117', async (t) => {
  await setup000np();
  const ip = await nodeIP(1);
  t.regex(ip, /^172\.31\.226\.\d+$/);
  t.regex(await curlUntil(`http://${ip}:31117/`, /^Hello from benjamintoll-/), /^Hello from benjamintoll-\w+-\w+/);
});

let lbIP = '';
const setup000lb = () =>
  once('000-lb', async () => {
    await setup000np();
    // The tutorial's `mk8s delete svc benjamintoll` + `mk8s expose deployment benjamintoll --type=LoadBalancer --name=benjamintoll`.
    await setupLines(['mk8s delete svc benjamintoll', 'mk8s expose deployment benjamintoll --type=LoadBalancer --name=benjamintoll']);
    lbIP = (await eventually(async () => {
      const m = /benjamintoll\s+LoadBalancer\s+\S+\s+(\d+\.\d+\.\d+\.\d+)\s+80:\d+\/TCP/.exec((await bash('mk8s get svc -owide')).stdout);
      return m?.[1];
    }, 30_000, 300))!;
  });

serial('000: `x-www-browser 10.8.8.93` → curl -s -m 3 <EXTERNAL-IP of benjamintoll from `mk8s get svc`>', async (t) => {
  await setup000lb();
  t.regex(lbIP, /^172\.31\.226\.\d+$/, 'the LoadBalancer IP is on the node network');
  t.regex(await curlUntil(`http://${lbIP}/`, /^Hello from benjamintoll-/), /^Hello from benjamintoll-\w+-\w+/);
});

serial('000: `curl 10.8.8.93` → curl -s -m 3 <LoadBalancer IP>', async (t) => {
  await setup000lb();
  t.regex(await curlUntil(`http://${lbIP}/`, /^Hello from benjamintoll-/), /^Hello from benjamintoll-\w+-\w+/);
});

serial('000: `telnet 10.8.8.93 80` → raw TCP "GET / HTTP/1.0" to <LoadBalancer IP>:80 with node:net', async (t) => {
  await setup000lb();
  const raw = await rawGet(lbIP, 80);
  t.regex(raw, /^HTTP\/1\.[01] 200 OK\r?\n[\s\S]*\r?\n\r?\nHello from benjamintoll-/);
});

// ---------------------------------------------------------------- 001-creating-services

const setup001 = () =>
  once('001', async () => {
    await setup000lb();
    // End of tutorial 000 (its last line deletes what it made), then 001's lines 1 and 13.
    await setupLines(['mk8s delete deployment benjamintoll && mk8s delete svc benjamintoll']);
    await setupLines(['mk8s apply -f basic-deployment.yml -f basic-pod.yml', 'mk8s apply -f node-port-service.yml']);
    await runningPods(c, 'app=myapp', 2, 90_000);
    await eventually(async () => (await jsonpath(['get', 'po', 'basic-pod', '-o', 'jsonpath={.status.phase}'])) === 'Running', 90_000, 300);
  });

const NGINX = /<title>Welcome to nginx!<\/title>/;

serial('001: `kubectl port-forward pod/basic-pod 8080:80` → in the background, then curl 127.0.0.1:8080', async (t) => {
  await setup001();
  await forwardAndGet(t, ['pod/basic-pod', '8080:80'], 8080, NGINX);
});

serial('001: `kubectl port-forward deployment/basic-deployment-name 8080` → `… 8080:80` (the container listens on 80, not 8080), then curl 127.0.0.1:8080', async (t) => {
  await setup001();
  await forwardAndGet(t, ['deployment/basic-deployment-name', '8080:80'], 8080, NGINX);
});

serial('001: `kubectl port-forward service/myapp 8080` → `… 8080:80` (myapp\'s service port is 80), then curl 127.0.0.1:8080', async (t) => {
  await setup001();
  await forwardAndGet(t, ['service/myapp', '8080:80'], 8080, NGINX);
});

serial('001: `kubectl exec basic-pod -- curl -s http://10.244.1.2` → 10.244.1.2 is a basic-deployment pod IP', async (t) => {
  await setup001();
  const ip = (await runningPods(c, 'app=myapp', 2, 90_000))[0].status.podIP as string;
  t.regex(ip, /^10\.226\.\d+\.\d+$/);
  const r = await bash(`mk8s exec basic-pod -- curl -s http://${ip}`);
  t.is(r.code, 0, r.out);
  t.regex(r.stdout, NGINX);
});

serial('001: `kubectl exec basic-pod -it sh` (old form, no --) → typed through a pty: script -qc "mk8s exec basic-pod -it sh"', async (t) => {
  await setup001();
  const r = await bash(`(sleep 2; echo 'echo hi-from-$(hostname); echo stdin-tty-$([ -t 0 ] && echo yes || echo no)'; sleep 1; echo exit; sleep 1) | script -qec "${process.execPath} ${mk8sBin} exec basic-pod -it sh" /dev/null`, 30_000);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /hi-from-basic-pod/);
  t.regex(r.out, /stdin-tty-yes/, 'the shell in the pod runs on a terminal');
});

serial('001: `kubectl exec -it basic-pod -- sh` → through a pty with script -qc, and with stdin: echo "echo hi; exit" | mk8s exec -i basic-pod -- sh', async (t) => {
  await setup001();
  const tty = await bash(`(sleep 2; echo 'echo hi-from-$(hostname); echo stdin-tty-$([ -t 0 ] && echo yes || echo no)'; sleep 1; echo exit; sleep 1) | script -qec "${process.execPath} ${mk8sBin} exec -it basic-pod -- sh" /dev/null`, 30_000);
  t.is(tty.code, 0, tty.out);
  t.regex(tty.out, /hi-from-basic-pod/);
  t.regex(tty.out, /stdin-tty-yes/, 'the shell in the pod runs on a terminal');
  const piped = await bash(`echo 'echo hi-from-$(hostname); exit' | mk8s exec -i basic-pod -- sh`);
  t.is(piped.code, 0, piped.out);
  t.is(piped.stdout.trim(), 'hi-from-basic-pod');
});

// ---------------------------------------------------------------- 003-k8s-5-service

const setup003 = () =>
  once('003', async () => {
    await setup001();
    await setupLines(['mk8s delete -f basic-deployment.yml -f basic-pod.yml -f node-port-service.yml']);
    // 003's `mk8s run … --expose=true` lines.
    await setupLines([
      'mk8s run pod-hello --image=pbitty/hello-from:latest --port=80 --expose=true',
      'mk8s run pod-hello-echo --image=kicbase/echo-server:1.0 --port=8080 --expose=true',
    ]);
    await runningPods(c, 'run=pod-hello', 1, 90_000);
    await runningPods(c, 'run=pod-hello-echo', 1, 90_000);
  });

serial('003: `curl 10.244.151.5` (after `minikube ssh`) → ip netns exec tut2-control-plane curl -s -m 3 <pod-hello IP>', async (t) => {
  await setup003();
  const ip = await podIP('pod-hello');
  t.regex(ip, /^10\.226\.\d+\.\d+$/);
  const r = await inNode(nodeNames[0], ['curl', '-s', '-m', '3', ip]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), `Hello from pod-hello (${ip})`);
});

serial('003: `curl 10.244.120.69:8080` (on the node) → ip netns exec tut2-control-plane curl -s -m 3 <pod-hello-echo IP>:8080', async (t) => {
  await setup003();
  const ip = await podIP('pod-hello-echo');
  t.regex(ip, /^10\.226\.\d+\.\d+$/);
  const r = await inNode(nodeNames[0], ['curl', '-s', '-m', '3', `${ip}:8080`]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^Request served by pod-hello-echo$/m);
  t.regex(r.stdout, /User-Agent: curl\//);
});

// ---------------------------------------------------------------- 004-what-is-a-service

const setup004 = () =>
  once('004', async () => {
    await setup003();
    await setupLines(['mk8s delete pod,svc pod-hello pod-hello-echo']);
    // 004's lines: the ReplicationController and myserver, then myserver as NodePort 30001.
    await setupLines(['mk8s apply -f rc-demo-only.yaml -f myserver-svc.yaml', 'mk8s apply -f myserver-nodeport.yaml']);
    await runningPods(c, 'app=nginx', 1, 90_000);
  });

serial('004: `netstat -lntup|grep 30001` → in the node: ip netns exec tut2-worker ss -lntup, and the KUBE-NODEPORTS rule for 30001', async (t) => {
  await setup004();
  // The tutorial's kube-proxy holds a listening socket for each nodePort; mk8s's
  // proxy (iptables mode) holds none, so ss shows no :30001 listener. What
  // makes the node answer on 30001 is the nat rule in KUBE-NODEPORTS: assert
  // that, and that the node really answers there.
  const ss = await inNode(nodeNames[1], ['ss', '-lntup']);
  t.is(ss.code, 0, ss.stderr);
  t.log(`ss -lntup | grep 30001: ${ss.stdout.split('\n').filter((l) => l.includes(':30001')).join('\n') || '(no socket: iptables mode)'}`);
  const rule = await eventually(async () => {
    const out = (await inNode(nodeNames[1], ['iptables-save', '-t', 'nat'])).stdout;
    return out.split('\n').find((l) => l.startsWith('-A KUBE-NODEPORTS') && /--dport 30001\b/.test(l) && l.includes('default/myserver'));
  }, 20_000, 300);
  t.truthy(rule, 'a KUBE-NODEPORTS rule for tcp dport 30001 (default/myserver)');
  t.regex(await curlUntil(`http://${await nodeIP(1)}:30001/`, NGINX), NGINX);
});

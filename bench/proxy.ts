// bench/proxy: a benchmark, not a test. In a throwaway network namespace
// (root needed), measures: computing + applying the full ruleset for 1k, 5k
// and 10k services × 3 endpoints with one iptables-restore; at 10k, as the
// proxy runs (rules cached across syncs): a no-op sync, one endpoint removed,
// one service deleted and created (partial syncs), against kube-proxy's way
// of rewriting KUBE-SERVICES. The baseline is `iptables-restore` of an empty ruleset in the
// same run (the process start-up floor).
// Then, as root with Docker, on a real 2-node cluster from `mk8s up` (its own
// name, bridge and ranges; torn down at the end, also on failure): (a) the
// latency from a pod turning Ready (the pod watch event) to its DNAT rule
// being committed in every node's kernel (`nft monitor rules` in each node's
// namespace), over a scale to 50 pods, in either proxy mode; (b) requests/s from inside client
// pods' network namespaces (bench/loadgen, bounded in requests and seconds)
// through a ClusterIP with one endpoint against straight to that pod IP.
//   node dist/bench/proxy.js [--max 10000] [--skip-cluster] [--skip-latency] [--skip-rps] [--proxy-mode iptables|nftables]
//     [--name bpx --bridge mk8sbpx --node-cidr 172.31.227.0/24 --pod-cidr 10.227.0.0/16 --service-cidr 10.114.0.0/16]
import { spawn } from 'node:child_process';
import type { KubeObject } from '../api/types.js';
import { RulesCache, desiredRules } from '../proxy/rules/desired.js';
import { IptablesApplier, execCommand, type Exec } from '../proxy/apply.js';
import { renderRestore } from '../proxy/rules/render.js';
import { startCluster, isReady, R, type TestCluster } from '../testkit/cluster.js';
import { run } from '../testkit/process.js';

const maxAt = process.argv.indexOf('--max');
const max = maxAt > 0 ? Number(process.argv[maxAt + 1]) : 10_000;
const node = { name: 'bench-node', ips: ['172.31.251.2'] };
const cfg = { clusterCIDR: '10.244.0.0/16' };

function cluster(n: number): { services: KubeObject[]; slices: KubeObject[] } {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    services.push({ metadata: { name, namespace: 'bench' }, spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP', nodePort: i % 10 === 0 ? 30000 + (i % 2700) : undefined }] } });
    slices.push({
      metadata: { name: `${name}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      endpoints: [0, 1, 2].map((k) => ({ addresses: [`10.244.${(i * 3 + k) >> 8 & 255}.${(i * 3 + k) & 255}`], nodeName: k === 0 ? 'bench-node' : 'other', conditions: { ready: true } })),
    });
  }
  return { services, slices };
}

const ms = (n: number) => `${n.toFixed(0)} ms`;

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy needs root (it makes a network namespace)');
  const ns = `mk8s-bench-${process.pid}`;
  await execCommand('ip', ['netns', 'add', ns]);
  const exec: Exec = (cmd, args, input) => execCommand('ip', ['netns', 'exec', ns, cmd, ...args], input);
  const rows: string[][] = [];
  console.log('| measure | time | notes |\n|---|---|---|');
  const push = (r: string[]) => {
    rows.push(r);
    console.log(`| ${r.join(' | ')} |`);
  };
  try {
    const t0 = performance.now();
    await exec('iptables-restore', ['-w', '5', '--noflush'], '*nat\nCOMMIT\n');
    const floor = performance.now() - t0;
    push(['baseline: empty iptables-restore', ms(floor), '']);
    for (const n of [1000, 5000, 10000].filter((x) => x <= max)) {
      const { services, slices } = cluster(n);
      // As the proxy runs: a RulesCache across syncs, informer objects replaced only when they change.
      const cache = new RulesCache();
      const c0 = performance.now();
      const rules = desiredRules(services, slices, node, cfg, cache);
      const compute = performance.now() - c0;
      const applier = new IptablesApplier(exec);
      const full = await applier.sync(rules, true);
      push([`full sync, ${n} services × 3 endpoints (${full.rules} rules)`, ms(compute + full.ms), `compute ${ms(compute)}, restore ${ms(full.ms)} = ${(full.ms / floor).toFixed(0)}× baseline`]);
      if (n === 10000 || n === max) {
        const timed = async (what: string, change: () => void, note = '') => {
          change();
          const p0 = performance.now();
          const want = desiredRules(services, slices, node, cfg, cache);
          const c1 = performance.now();
          const r = await applier.sync(want);
          push([`${what} at ${n}`, ms(performance.now() - p0), `compute ${ms(c1 - p0)}, restore ${ms(r.ms)}; ${r.chainsWritten} chains written${note}`]);
        };
        await timed('no-op sync', () => undefined);
        const k = n >> 1;
        await timed('one endpoint removed', () => {
          slices[k] = { ...slices[k], endpoints: slices[k].endpoints.slice(0, 2) };
        });
        const gone = { svc: services[k + 1], slice: slices[k + 1] };
        await timed('one service deleted', () => {
          services.splice(k + 1, 1);
          slices.splice(k + 1, 1);
        }, '; KUBE-SERVICES edited in place');
        await timed('one service created', () => {
          services.push(gone.svc);
          slices.push(gone.slice);
        }, '; KUBE-SERVICES edited in place');
        // What kube-proxy's partial sync does instead: rewrite the whole KUBE-SERVICES chain.
        const ks = desiredRules(services, slices, node, cfg, cache).nat.get('KUBE-SERVICES')!;
        const w0 = performance.now();
        await exec('iptables-restore', ['-w', '5', '--noflush'], `*nat\n:KUBE-SERVICES - [0:0]\n${ks.map((r) => `-A KUBE-SERVICES ${r}`).join('\n')}\nCOMMIT\n`);
        push([`(for scale) rewriting KUBE-SERVICES at ${n}`, ms(performance.now() - w0), `${ks.length} rules, as kube-proxy's partial sync does`]);
        const e0 = performance.now();
        await exec('iptables-restore', ['-w', '5', '--noflush'], '*nat\nCOMMIT\n');
        push([`(for scale) empty iptables-restore at ${n}`, ms(performance.now() - e0), 'the floor of any sync at this size']);
        const text = renderRestore(desiredRules(services, slices, node, cfg)).text;
        push([`(for scale) full restore text at ${n}`, `${(text.length / 1024 / 1024).toFixed(1)} MiB`, `${text.split('\n').length} lines`]);
      }
      await applier.cleanup();
    }
  } finally {
    await execCommand('ip', ['netns', 'del', ns]);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A long-running command's output lines, each with when it arrived; stop() ends the command (its own PID) and waits for it. */
function follow(cmd: string, args: string[], onLine: (line: string, at: number) => void): { stop(): Promise<void> } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    const at = performance.now();
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onLine(line, at);
    }
  });
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await ended;
    },
  };
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
// The cluster's name, bridge and ranges (--name, --bridge, --node-cidr, --pod-cidr, --service-cidr) when the defaults are taken.
const CP = { name: arg('name', 'bpx'), nodes: 2, bridge: arg('bridge', 'mk8sbpx'), nodeCidr: arg('node-cidr', '172.31.227.0/24'), podCidr: arg('pod-cidr', '10.227.0.0/16'), serviceCidr: arg('service-cidr', '10.114.0.0/16'), extra: ['--proxy-mode', arg('proxy-mode', 'iptables')] };
const bpxNodes = [`${CP.name}-control-plane`, `${CP.name}-worker`];

async function clusterBench() {
  if ((await run('docker', ['info'])).code !== 0) {
    console.log('\n(no Docker: cluster measurements skipped)');
    return;
  }
  const up0 = performance.now();
  let c: TestCluster | undefined;
  const onSignal = async () => {
    await c?.down();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    c = await startCluster(CP);
    const cl = c;
    console.log(`\ncluster ${CP.name} up in ${((performance.now() - up0) / 1000).toFixed(1)} s (2 nodes)\n`);
    const apply = (yaml: string) => cl.mk8s(['apply', '-f', '-'], { input: yaml });
    const deploy = (name: string, replicas: number, nodeName?: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${nodeName ? `\n      nodeName: ${nodeName}` : ''}
      containers: [{name: web, image: pbitty/hello-from, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${name}}, ports: [{port: 80, targetPort: 80}]}
`;
    const live = async (sel: string) => (await cl.podsOf(sel)).filter((p) => !p.metadata.deletionTimestamp);
    const waitPods = async (sel: string, n: number, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ps = await live(sel);
        if (ps.length === n && ps.every((p) => isReady(p) && p.status?.podIP)) return ps;
        if (Date.now() > until) throw new Error(`${sel}: ${ps.filter(isReady).length}/${n} ready after ${timeoutMs} ms`);
        await sleep(250);
      }
    };

    // (a) Ready → DNAT rule on every node, scaling 1 → 50.
    if (!process.argv.includes('--skip-latency')) {
      await apply(deploy('lat', 1));
      await waitPods('app=lat', 1, 90_000);
      const target = 50;
      const readyAt = new Map<string, number>(); // pod IP → when the API told us it is Ready
      const ruleAt = bpxNodes.map(() => new Map<string, number>()); // per node: pod IP → when its DNAT rule was committed
      const initial = new Set((await live('app=lat')).map((p) => p.status.podIP as string));
      // Both ends are events, not polls: a watch on the pods (the status write that made the pod Ready, as the
      // API sends it), and `nft monitor rules` in each node's namespace (the kernel announces each rule as its
      // transaction commits; iptables-nft's rules are nf_tables rules too, so one probe serves both modes).
      const podWatch = follow('kubectl', ['--kubeconfig', cl.kubeconfig, 'get', '--raw', '/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dlat'], (line, at) => {
        const p = JSON.parse(line).object as KubeObject;
        const ip = p.status?.podIP;
        if (ip && isReady(p) && !readyAt.has(ip) && !initial.has(ip)) readyAt.set(ip, at);
      });
      const monitors = bpxNodes.map((node, i) =>
        follow('ip', ['netns', 'exec', node, 'nft', 'monitor', 'rules'], (line, at) => {
          const m = /dnat to (\d+\.\d+\.\d+\.\d+):80\b/.exec(line);
          if (m && !ruleAt[i].has(m[1])) ruleAt[i].set(m[1], at);
        }),
      );
      const s0 = performance.now();
      await cl.mk8s(['scale', 'deployment', 'lat', `--replicas=${target}`]);
      let scaleErr: unknown;
      try {
        await waitPods('app=lat', target, 240_000);
        const until = Date.now() + 30_000;
        while (Date.now() < until && ![...readyAt.keys()].every((ip) => ruleAt.every((m) => m.has(ip)))) await sleep(100);
      } catch (e) {
        scaleErr = e;
      }
      const scaleSeconds = (performance.now() - s0) / 1000;
      await Promise.all([podWatch, ...monitors].map((f) => f.stop()));
      const all: number[] = [];
      const first: number[] = [];
      let missing = 0;
      for (const [ip, t] of readyAt) {
        const at = ruleAt.map((m) => m.get(ip));
        if (at.some((x) => x === undefined)) {
          missing++;
          continue;
        }
        all.push(Math.max(0, Math.max(...(at as number[])) - t));
        first.push(Math.max(0, Math.min(...(at as number[])) - t));
      }
      console.log(`| endpoint change → rule (${readyAt.size} new pods; scale 1→${target} took ${scaleSeconds.toFixed(1)} s${scaleErr ? `, ${(scaleErr as Error).message}` : ''}) | p50 | p99 | max |\n|---|---|---|---|`);
      if (all.length) {
        console.log(`| Ready seen → DNAT on every node (${all.length} pods${missing ? `, ${missing} never` : ''}) | ${ms(pct(all, 50))} | ${ms(pct(all, 99))} | ${ms(Math.max(...all))} |`);
        console.log(`| Ready seen → DNAT on the first node | ${ms(pct(first, 50))} | ${ms(pct(first, 99))} | ${ms(Math.max(...first))} |`);
      } else console.log(`| (no pod measured${missing ? `, ${missing} without a rule` : ''}) | | | |`);
      console.log('\n(Ready: the pod watch event reaching the bench; rule: `nft monitor rules` in the node\'s namespace reporting the DNAT rule)\n');
      await cl.mk8s(['scale', 'deployment', 'lat', '--replicas=0']);
    }

    // (b) requests/s through a ClusterIP with one endpoint vs straight to the pod IP, with a bounded
    // load generator (bench/loadgen) run inside client pods' network namespaces.
    if (process.argv.includes('--skip-rps')) return;
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: fast}
spec:
  replicas: 1
  selector: {matchLabels: {app: fast}}
  template:
    metadata: {labels: {app: fast}}
    spec:
      nodeName: ${bpxNodes[1]}
      containers:
      - name: httpd
        image: busybox
        command: [sh, -c, 'mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www']
        readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: fast}
spec: {selector: {app: fast}, ports: [{port: 80, targetPort: 80}]}
`);
    // Two client pods on the same node, one per path: the server closes first and keeps TIME_WAIT for each
    // client ip:port, and Linux picks TCP timestamp offsets per address pair, so one client alternating between
    // the pod IP and the ClusterIP would reuse ports into TIME_WAITs it cannot pass (a 1 s SYN retry).
    for (const name of ['client-direct', 'client-svc']) {
      await apply(`apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: loadgen}}
spec:
  nodeName: ${bpxNodes[0]}
  containers: [{name: idle, image: busybox, command: [sleep, '36000']}]
`);
    }
    await apply(deploy('one', 1, bpxNodes[1]));
    const [fast] = await waitPods('app=fast', 1, 90_000);
    const [one] = await waitPods('app=one', 1, 90_000);
    const clients = await waitPods('app=loadgen', 2, 90_000);
    const netnsOf = async (name: string) => {
      const pod = clients.find((p) => p.metadata.name === name)!;
      const pause = (await run('docker', ['ps', '-q', '--filter', `label=io.mk8s.pod-uid=${pod.metadata.uid}`, '--filter', 'label=io.mk8s.role=pause'])).stdout.trim();
      const pid = (await run('docker', ['inspect', '-f', '{{.State.Pid}}', pause])).stdout.trim();
      if (!/^\d+$/.test(pid) || pid === '0') throw new Error(`no pause container for pod ${name} (${pause})`);
      return `/proc/${pid}/ns/net`;
    };
    const netns = { direct: await netnsOf('client-direct'), svc: await netnsOf('client-svc') };
    const loadgen = new URL('./loadgen.js', import.meta.url).pathname;
    const gen = async (from: string, url: string, concurrency: number, seconds: number, requests: number) => {
      const r = await run('nsenter', [`--net=${from}`, process.execPath, loadgen, '--url', url, '--concurrency', String(concurrency), '--seconds', String(seconds), '--requests', String(requests)], { timeoutMs: (seconds + 30) * 1000 });
      if (r.code !== 0) throw new Error(`loadgen: ${r.stderr}`);
      return JSON.parse(r.stdout) as { ok: number; failed: number; rps: number; p50: number; p99: number; errors: Record<string, number> };
    };
    const targets = [
      { what: 'busybox httpd (fork per connection)', pod: fast, svc: 'fast', seconds: 4, requests: 12_000 },
      { what: 'hello-from (the tutorials\' server: sh per connection)', pod: one, svc: 'one', seconds: 4, requests: 3_000 },
    ];
    const PAIRS = 5;
    console.log(`| requests/s from a client pod on the control-plane node to a server pod on the worker (bench/loadgen: new connection per request, 4 s or N requests; ${PAIRS} back-to-back pairs, medians) | straight to the pod IP | through the ClusterIP (1 endpoint) | ClusterIP / pod, median of the pairs (range) | p50 / p99 latency (pod, ClusterIP) |\n|---|---|---|---|---|`);
    const failures: string[] = [];
    for (const tg of targets) {
      const podIP = tg.pod.status.podIP as string;
      const clusterIP = ((await cl.client.get(R.services, 'default', tg.svc)) as any).spec.clusterIP as string;
      await gen(netns.svc, `http://${clusterIP}/`, 1, 2, 20); // warm up: the rules are there and the server answers
      for (const conc of [1, 8]) {
        const direct: Awaited<ReturnType<typeof gen>>[] = [];
        const via: typeof direct = [];
        for (let i = 0; i < PAIRS; i++) {
          // Alternating which goes first, so neither path always runs on a warmer machine.
          const d = () => gen(netns.direct, `http://${podIP}/`, conc, tg.seconds, tg.requests);
          const v = () => gen(netns.svc, `http://${clusterIP}/`, conc, tg.seconds, tg.requests);
          if (i % 2 === 0) {
            direct.push(await d());
            via.push(await v());
          } else {
            via.push(await v());
            direct.push(await d());
          }
        }
        // Each pair ran back to back: its ratio is what drifts least with the machine's load.
        const mid = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b))[xs.length >> 1];
        const ratios = direct.map((x, i) => via[i].rps / x.rps).sort((a, b) => a - b);
        const d = mid(direct, (x) => x.rps);
        const v = mid(via, (x) => x.rps);
        const failed = (xs: typeof direct) => xs.reduce((n, x) => n + x.failed, 0);
        const f = (x: number) => (failed(direct) + failed(via) ? ` (${x} failed)` : '');
        const kinds = [...direct, ...via].flatMap((x) => Object.entries(x.errors)).map(([k, n]) => `${k}×${n}`);
        if (kinds.length) failures.push(`${tg.what}, ${conc} concurrent: ${kinds.join(', ')}`);
        console.log(`| ${tg.what}, ${conc} concurrent | ${d.rps.toFixed(0)} req/s${f(failed(direct))} | ${v.rps.toFixed(0)} req/s${f(failed(via))} | ${mid(ratios, (x) => x).toFixed(2)} (${ratios[0].toFixed(2)}–${ratios.at(-1)!.toFixed(2)}) | ${d.p50.toFixed(1)}/${d.p99.toFixed(1)} ms, ${v.p50.toFixed(1)}/${v.p99.toFixed(1)} ms |`);
      }
    }
    if (failures.length) console.log(`\nfailed requests (all runs): ${failures.join('; ')}`);
  } finally {
    const d0 = performance.now();
    await c?.down();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (c) console.log(`\ncluster ${CP.name} down in ${((performance.now() - d0) / 1000).toFixed(1)} s`);
  }
}

main()
  .then(() => (process.argv.includes('--skip-cluster') ? undefined : clusterBench()))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });

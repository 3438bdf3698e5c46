// The kubelet's image decisions (kubelet/images.ts) against an in-memory
// image store standing for Docker's image service: pull policies, pulls that
// succeed, fail, or stall, the stand-in fallback, ErrImagePull →
// ImagePullBackOff, and the memory of an unreachable registry.
import test from 'ava';
import { ImagePuller, isUnreachable, planImage, presentIn, pullPolicyOf, registryOf, type ImageEvent, type ImageStore, type PullPolicy } from '../../kubelet/images.js';

const OFFLINE = 'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host';
const BUILT_IN = ['mk8s/pause:1.0', 'mk8s/hello-from:1.0', 'mk8s/echo-server:1.0', 'mk8s/nginx-like:1.0', 'mk8s/toolbox:1.0'];

/** Docker's image service in memory: what is on the machine, and what a pull of each reference does. */
class MemoryImages implements ImageStore {
  images: Set<string>;
  pulls: string[] = [];
  /** A pull of a reference not listed here fails with OFFLINE. */
  registry = new Map<string, 'ok' | 'stall' | string>();
  constructor(images: string[] = BUILT_IN) {
    this.images = new Set(images);
  }
  async imageTags(): Promise<Set<string>> {
    return new Set(this.images);
  }
  async pullImage(ref: string, o: { signal: AbortSignal; progress: () => void }): Promise<void> {
    this.pulls.push(ref);
    const r = this.registry.get(ref) ?? OFFLINE;
    if (r === 'ok') {
      o.progress();
      this.images.add(/:[^/]+$/.test(ref) ? ref : `${ref}:latest`);
      return;
    }
    if (r === 'stall') {
      await new Promise<void>((_, reject) => o.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return;
    }
    throw new Error(`(HTTP code 500) server error - ${r}`);
  }
}

function setup(images?: string[], o: { offline?: boolean; progressDeadlineMs?: number } = {}) {
  const store = new MemoryImages(images);
  let now = Date.parse('2026-01-01T00:00:00Z');
  const puller = new ImagePuller(store, { ...o, now: () => now });
  const events: ImageEvent[] = [];
  const ensure = (image: string, policy: PullPolicy = pullPolicyOf({ image }), pod = 'pod1') => puller.ensure(image, policy, pod, (e) => events.push(e));
  return { store, puller, events, ensure, advance: (ms: number) => (now += ms), reasons: () => events.map((e) => e.reason) };
}

test('imagePullPolicy defaults as the API server: Always for :latest or no tag, IfNotPresent otherwise', (t) => {
  t.is(pullPolicyOf({ image: 'redis' }), 'Always');
  t.is(pullPolicyOf({ image: 'redis:latest' }), 'Always');
  t.is(pullPolicyOf({ image: 'redis:7' }), 'IfNotPresent');
  t.is(pullPolicyOf({ image: 'localhost:5000/app' }), 'Always');
  t.is(pullPolicyOf({ image: 'redis@sha256:abc' }), 'IfNotPresent');
  t.is(pullPolicyOf({ image: 'redis', imagePullPolicy: 'Never' }), 'Never');
  t.is(registryOf('redis'), 'docker.io');
  t.is(registryOf('registry.k8s.io/pause:3.9'), 'registry.k8s.io');
});

test('presence as Docker names images: docker.io/library/ dropped, no tag is :latest, digests', (t) => {
  const has = presentIn(new Set(['redis:latest', 'nginx:1.25', 'app@sha256:abc']));
  t.true(has('redis'));
  t.true(has('docker.io/library/redis'));
  t.true(has('nginx:1.25'));
  t.false(has('nginx'));
  t.true(has('app@sha256:abc'));
});

test('IfNotPresent with the image present: runs it, no pull', async (t) => {
  const s = setup([...BUILT_IN, 'redis:7']);
  const plan = await s.ensure('redis:7');
  t.like(plan, { kind: 'run', image: 'redis:7' });
  t.deepEqual(s.store.pulls, []);
  t.deepEqual(s.events, [{ type: 'Normal', reason: 'Pulled', message: 'Container image "redis:7" already present on machine' }]);
});

test('IfNotPresent with the image absent: pulls it (Pulling, Pulled) and runs it', async (t) => {
  const s = setup();
  s.store.registry.set('redis:7', 'ok');
  const plan = await s.ensure('redis:7');
  t.like(plan, { kind: 'run', image: 'redis:7' });
  t.is((plan as any).standIn, undefined);
  t.deepEqual(s.store.pulls, ['redis:7']);
  t.deepEqual(s.reasons(), ['Pulling', 'Pulled']);
  t.is(s.events[0].message, 'Pulling image "redis:7"');
  t.regex(s.events[1].message, /^Successfully pulled image "redis:7" in \S+ \(\S+ including waiting\)$/);
  // Now on the machine: the next container does not pull.
  await s.ensure('redis:7', 'IfNotPresent', 'pod2');
  t.is(s.store.pulls.length, 1);
});

test('Always pulls even when the image is present; a failed pull then runs the copy on the machine', async (t) => {
  const s = setup([...BUILT_IN, 'myapp:latest']);
  s.store.registry.set('myapp', 'ok');
  t.like(await s.ensure('myapp'), { kind: 'run', image: 'myapp' });
  t.deepEqual(s.store.pulls, ['myapp']);
  t.deepEqual(s.reasons(), ['Pulling', 'Pulled']);
  s.store.registry.delete('myapp');
  s.events.length = 0;
  t.like(await s.ensure('myapp'), { kind: 'run', image: 'myapp' });
  t.is(s.store.pulls.length, 2);
  t.deepEqual(s.reasons(), ['Pulling', 'Pulled']);
  t.regex(s.events[1].message, /already present on machine \(the pull failed: .*no such host\)/);
});

test('Never: no pull; absent with no stand-in is ErrImageNeverPull, absent with one runs the stand-in', async (t) => {
  const s = setup();
  const plan = await s.ensure('redis:7', 'Never');
  t.like(plan, { kind: 'fail', reason: 'ErrImageNeverPull', message: 'Container image "redis:7" is not present with pull policy of Never' });
  t.deepEqual(s.reasons(), ['ErrImageNeverPull']);
  t.like(await s.ensure('nginx:1.25', 'Never'), { kind: 'run', image: 'mk8s/nginx-like:1.0', standIn: 'nginx:1.25' });
  t.deepEqual(s.store.pulls, []);
});

test('a failed pull with a stand-in: the Events say a pull was tried and the stand-in runs', async (t) => {
  const s = setup();
  const plan = await s.ensure('pbitty/hello-from:latest');
  t.like(plan, { kind: 'run', image: 'mk8s/hello-from:1.0', standIn: 'pbitty/hello-from:latest' });
  t.deepEqual(s.store.pulls, ['pbitty/hello-from:latest']);
  t.deepEqual(s.reasons(), ['Pulling', 'StandIn']);
  t.regex(s.events[1].message, /^Failed to pull image "pbitty\/hello-from:latest": .*no such host; running built-in stand-in "mk8s\/hello-from:1\.0" for image "pbitty\/hello-from:latest"$/);
});

test('a failed pull without a stand-in: ErrImagePull with the pull\'s error, then ImagePullBackOff, retried after 10 s, 20 s', async (t) => {
  const s = setup();
  const first = await s.ensure('redis:7');
  t.like(first, { kind: 'fail', reason: 'ErrImagePull' });
  t.regex((first as any).message, /no such host/);
  t.false((first as any).message.includes('HTTP code'), 'dockerode prefix removed');
  t.deepEqual(s.reasons(), ['Pulling', 'Failed', 'Failed']);
  t.regex(s.events[1].message, /^Failed to pull image "redis:7": .*no such host$/);
  t.is(s.events[2].message, 'Error: ErrImagePull');
  s.events.length = 0;
  s.advance(1000);
  const backOff = await s.ensure('redis:7');
  t.like(backOff, { kind: 'fail', reason: 'ImagePullBackOff', message: 'Back-off pulling image "redis:7"' });
  t.deepEqual(s.reasons(), ['BackOff', 'Failed']);
  t.is(s.events[1].message, 'Error: ImagePullBackOff');
  t.is((backOff as any).retryAt, Date.parse('2026-01-01T00:00:10Z'));
  t.is(s.store.pulls.length, 1);
  // The registry is reachable again (the remembered failure has expired too): the retry pulls.
  s.advance(9000);
  s.store.registry.set('redis:7', 'not found: manifest unknown');
  s.advance(300_000);
  s.events.length = 0;
  t.like(await s.ensure('redis:7'), { kind: 'fail', reason: 'ErrImagePull', message: 'not found: manifest unknown' });
  t.is(s.store.pulls.length, 2);
  s.advance(1000);
  t.like(await s.ensure('redis:7'), { kind: 'fail', reason: 'ImagePullBackOff', retryAt: Date.parse('2026-01-01T00:05:10Z') + 20_000 });
});

test('an unreachable registry is remembered for 5 minutes: other pods do not pay the attempt', async (t) => {
  const s = setup();
  t.like(await s.ensure('pbitty/hello-from:latest', 'Always', 'p1'), { kind: 'run', image: 'mk8s/hello-from:1.0' });
  t.is(s.store.pulls.length, 1);
  s.events.length = 0;
  // Another pod, another image of the same registry (Docker Hub): no attempt.
  t.like(await s.ensure('kicbase/echo-server:1.0', 'IfNotPresent', 'p2'), { kind: 'run', image: 'mk8s/echo-server:1.0' });
  t.like(await s.ensure('redis:7', 'IfNotPresent', 'p3'), { kind: 'fail', reason: 'ErrImagePull' });
  t.is(s.store.pulls.length, 1);
  t.deepEqual(s.reasons(), ['StandIn', 'Failed', 'Failed']);
  t.regex(s.events[0].message, /was not pulled: .*no such host \(docker\.io unreachable at 00:00:00Z; not tried again before 00:05:00Z\); running built-in stand-in "mk8s\/echo-server:1\.0"/);
  // Meanwhile the message stays the same (identical Events aggregate).
  s.advance(10_000);
  await s.ensure('kicbase/echo-server:1.0', 'IfNotPresent', 'p2');
  t.is(s.events.at(-1)!.message, s.events[0].message);
  t.is(s.store.pulls.length, 1);
  // Another registry is still tried.
  await s.ensure('registry.k8s.io/pause:3.9', 'IfNotPresent', 'p4');
  t.deepEqual(s.store.pulls.slice(1), ['registry.k8s.io/pause:3.9']);
  // After 5 minutes, Docker Hub is tried again.
  s.advance(290_001);
  await s.ensure('kicbase/echo-server:1.0', 'IfNotPresent', 'p5');
  t.is(s.store.pulls.at(-1), 'kicbase/echo-server:1.0');
});

test('a registry that answers "not found" is not remembered as unreachable', async (t) => {
  const s = setup();
  s.store.registry.set('nosuch/image:1', 'pull access denied for nosuch/image, repository does not exist or may require \'docker login\'');
  t.like(await s.ensure('nosuch/image:1'), { kind: 'fail', reason: 'ErrImagePull' });
  s.store.registry.set('redis:7', 'ok');
  t.like(await s.ensure('redis:7'), { kind: 'run', image: 'redis:7' });
  t.deepEqual(s.store.pulls, ['nosuch/image:1', 'redis:7']);
  t.false(isUnreachable('manifest for redis:99 not found: manifest unknown'));
  t.true(isUnreachable(OFFLINE));
});

test('offline: nothing is ever pulled', async (t) => {
  const s = setup(undefined, { offline: true });
  t.like(await s.ensure('pbitty/hello-from'), { kind: 'run', image: 'mk8s/hello-from:1.0' });
  t.regex(s.events[0].message, /pulls are off \(--offline\)/);
  t.like(await s.ensure('redis:7'), { kind: 'fail', reason: 'ErrImagePull' });
  t.deepEqual(s.store.pulls, []);
});

test("mk8s's own images are never pulled, whatever the policy", async (t) => {
  const s = setup();
  t.like(await s.ensure('mk8s/hello-from', 'Always'), { kind: 'run', image: 'mk8s/hello-from:1.0' });
  t.like(await s.ensure('mk8s/toolbox:1.0', 'Always'), { kind: 'run', image: 'mk8s/toolbox:1.0' });
  const none = setup([]);
  t.like(await none.ensure('mk8s/toolbox:1.0', 'Always'), { kind: 'fail', reason: 'ErrImageNeverPull' });
  t.deepEqual([...s.store.pulls, ...none.store.pulls], []);
});

test('a pull that makes no progress is cancelled after the deadline', async (t) => {
  const s = setup(undefined, { progressDeadlineMs: 100 });
  s.store.registry.set('big/image:1', 'stall');
  const t0 = Date.now();
  const plan = await s.ensure('big/image:1');
  t.true(Date.now() - t0 < 2000);
  t.like(plan, { kind: 'fail', reason: 'ErrImagePull', message: 'pull of "big/image:1" made no progress for 100ms: cancelled' });
});

test('pods asking for the same image at once share one pull', async (t) => {
  const s = setup();
  s.store.registry.set('redis:7', 'ok');
  const plans = await Promise.all([s.ensure('redis:7', 'IfNotPresent', 'a'), s.ensure('redis:7', 'IfNotPresent', 'b'), s.ensure('redis:7', 'IfNotPresent', 'c')]);
  t.true(plans.every((p) => p.kind === 'run' && p.image === 'redis:7'));
  t.is(s.store.pulls.length, 1);
});

test('planImage alone: present + IfNotPresent runs; absent in back-off waits', (t) => {
  const has = presentIn(new Set(['redis:7']));
  t.like(planImage({ image: 'redis:7', policy: 'IfNotPresent', present: has, offline: false }, 0), { kind: 'run', image: 'redis:7' });
  t.like(planImage({ image: 'redis:8', policy: 'IfNotPresent', present: has, offline: false }, 0), { kind: 'pull' });
  t.like(planImage({ image: 'redis:8', policy: 'IfNotPresent', present: has, offline: false, backOffUntil: 5 }, 0), { kind: 'fail', reason: 'ImagePullBackOff', retryAt: 5 });
});

/** The store, counting its listings. */
function counting(s: ReturnType<typeof setup>) {
  let lists = 0;
  const inner = s.store.imageTags.bind(s.store);
  s.store.imageTags = async () => {
    lists++;
    await new Promise((r) => setTimeout(r, 5));
    return inner();
  };
  return () => lists;
}

test('pods starting at once share one listing of the images; a stand-in does not list again within a second', async (t) => {
  const s = setup();
  const lists = counting(s);
  const plans = await Promise.all(Array.from({ length: 10 }, (_, i) => s.ensure('mk8s/hello-from:1.0', 'IfNotPresent', `p${i}`)));
  t.true(plans.every((p) => p.kind === 'run'));
  t.is(lists(), 1);
  // A stand-in (the registry is remembered as down after the first pod): the "fresh" look reuses a list under 1 s old.
  await s.ensure('pbitty/hello-from', 'Always', 'q0');
  const before = lists();
  await Promise.all(Array.from({ length: 10 }, (_, i) => s.ensure('pbitty/hello-from', 'Always', `q${i + 1}`)));
  t.is(lists(), before);
  s.advance(6000);
  await s.ensure('pbitty/hello-from', 'Always', 'q20');
  t.is(lists(), before + 1);
});

test('while image events are watched, the list is kept until an event invalidates it', async (t) => {
  const s = setup();
  const lists = counting(s);
  s.puller.watching(true);
  await s.ensure('mk8s/hello-from:1.0', 'IfNotPresent');
  s.advance(60_000);
  await s.ensure('mk8s/hello-from:1.0', 'IfNotPresent', 'p2');
  t.is(lists(), 1);
  // `docker tag` (say) made nginx:1.25 present: the event invalidates, the next look sees it.
  s.store.images.add('nginx:1.25');
  s.puller.invalidate();
  t.like(await s.ensure('nginx:1.25', 'IfNotPresent', 'p3'), { kind: 'run', image: 'nginx:1.25' });
  t.is(lists(), 2);
  // The stream goes down: back to the 5 s cache.
  s.puller.watching(false);
  s.advance(6000);
  await s.ensure('mk8s/hello-from:1.0', 'IfNotPresent', 'p4');
  t.is(lists(), 3);
});

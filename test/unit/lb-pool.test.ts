// The API load balancer's pure part (cluster/lb-pool.ts): round robin and
// least connections over the backends in service, HAProxy's rise/fall, and a
// refused connection taking a backend out at once.
import test from 'ava';
import { BackendPool, parseBackend } from '../../cluster/lb-pool.js';

const three = () => [parseBackend('10.0.0.1:6443'), parseBackend('10.0.0.2:6443'), parseBackend('10.0.0.3:6443')];

test('round robin takes each backend in service in turn', (t) => {
  const p = new BackendPool(three());
  t.deepEqual([1, 2, 3, 4, 5, 6].map(() => p.pick()!.host), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
  p.connectFailed('10.0.0.2:6443');
  t.deepEqual([1, 2, 3, 4].map(() => p.pick()!.host), ['10.0.0.1', '10.0.0.3', '10.0.0.1', '10.0.0.3']);
});

test('a connection retried after a failure goes to a backend not yet tried; none left is undefined', (t) => {
  const p = new BackendPool(three());
  const tried = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const b = p.pick(tried)!;
    t.false(tried.has(b.id));
    tried.add(b.id);
    p.connectFailed(b.id);
  }
  t.is(p.pick(tried), undefined);
  t.is(p.upCount(), 0);
  // With none in service, a new connection still tries them (the view may be stale).
  t.truthy(p.pick());
});

test('least connections picks the backend with the fewest open, ties in turn', (t) => {
  const p = new BackendPool(three(), { balance: 'leastconn', rise: 2, fall: 2 });
  const [a, b, c] = p.backends;
  a.active = 5;
  b.active = 1;
  c.active = 1;
  t.is(p.pick()!.id, b.id);
  t.is(p.pick()!.id, c.id);
  c.active = 0;
  t.is(p.pick()!.id, c.id);
});

test('rise and fall as HAProxy: down after fall failed checks, up after rise good ones', (t) => {
  const p = new BackendPool(three(), { balance: 'roundrobin', rise: 2, fall: 3 });
  const id = p.backends[0].id;
  t.is(p.checked(id, false), undefined);
  t.is(p.checked(id, false), undefined);
  t.is(p.checked(id, true), undefined, 'a good check resets the count');
  t.is(p.checked(id, false), undefined);
  t.is(p.checked(id, false), undefined);
  t.is(p.checked(id, false), 'down');
  t.is(p.checked(id, true), undefined);
  t.is(p.checked(id, true), 'up');
  t.is(p.connectFailed(id), 'down', 'a refused connection does not wait for fall');
  t.is(p.connectFailed(id), undefined);
});

test('backend addresses', (t) => {
  t.deepEqual(parseBackend('172.31.198.2:6443'), { host: '172.31.198.2', port: 6443 });
  t.deepEqual(parseBackend('[::1]:6443'), { host: '::1', port: 6443 });
  t.throws(() => parseBackend('host'), { message: 'invalid backend "host": want host:port' });
  t.throws(() => parseBackend('h:70000'));
});

// test/apiserver/event-ttl.test.ts against etcd: the same tests, each API server on a real etcd of its own (testkit/etcd.ts).
process.env.MK8S_TEST_STORAGE = 'etcd';
await import('./event-ttl.test.js');

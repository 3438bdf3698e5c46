// test/apiserver/durability.test.ts against etcd: the API server and etcd both killed with -9, then restarted.
process.env.MK8S_TEST_STORAGE = 'etcd';
await import('./durability.test.js');

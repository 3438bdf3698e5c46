// tutorials-e2e.test.ts on a cluster in kube-proxy's nftables mode (test/helpers/proxy-modes.ts).
process.env.MK8S_TEST_PROXY_MODE = 'nftables';
await import('./tutorials-e2e.test.js');

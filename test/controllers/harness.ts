// A controllers test cluster: a real apiserver on a temp dir, the
// controllers in-process, and N fake kubelets. close() tears it all down in
// order (kubelets, controllers, apiserver) and is registered with t.teardown
// by the caller, so it also runs when the test fails.
import type { ExecutionContext } from 'ava';
import { pino } from 'pino';
import type { KubeObject } from '../../api/types.js';
import { startTestApi, eventually, type TestApi } from '../../testkit/api.js';
import { startControllers, type StartControllersOptions } from '../../controllers/manager.js';
import { FakeKubelet, type FakeKubeletOptions } from '../../testkit/fake-kubelet.js';
import type { Client } from '../../client/http.js';
import { kinds } from '../../controllers/kinds.js';

export { eventually };

/** eventually(), typed for conditions that return the value or a falsy "not yet". */
export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 5000, everyMs = 20): Promise<T> {
  return (await eventually(fn, timeoutMs, everyMs)) as T;
}

export interface TestCluster {
  api: TestApi;
  client: Client;
  kubelets: FakeKubelet[];
  controllers: { stop(): Promise<void> };
  addNode(name: string, opts?: Partial<FakeKubeletOptions>): Promise<FakeKubelet>;
  close(): Promise<void>;
}

export async function startCluster(
  t: ExecutionContext,
  opts: { nodes?: number; nodeOptions?: Partial<FakeKubeletOptions>; controllers?: Partial<StartControllersOptions> } = {},
): Promise<TestCluster> {
  const api = await startTestApi();
  const kubelets: FakeKubelet[] = [];
  let controllers: { stop(): Promise<void> } | undefined;
  let closed = false;
  const cluster: TestCluster = {
    api,
    client: api.client,
    kubelets,
    controllers: { stop: async () => controllers?.stop() },
    async addNode(name, o = {}) {
      const k = await FakeKubelet.start(api.client, name, { index: kubelets.length + 1, ...opts.nodeOptions, ...o });
      kubelets.push(k);
      return k;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(kubelets.map((k) => k.stop()));
      await controllers?.stop();
      await api.close();
    },
  };
  t.teardown(() => cluster.close());
  for (let i = 1; i <= (opts.nodes ?? 0); i++) await cluster.addNode(`node${i}`);
  const level = process.env.MK8S_TEST_LOG ?? 'silent';
  controllers = await startControllers({ client: api.client, logger: pino({ level }), ...opts.controllers });
  return cluster;
}

export const podSpec = (image = 'nginx:1.25', ports: any[] = [{ containerPort: 80 }]) => ({
  containers: [{ name: 'app', image, ports }],
});

export function deployment(name: string, replicas: number, extra: any = {}): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec() }, ...extra },
  };
}

export async function podsOf(client: Client, selector: string, ns = 'default'): Promise<KubeObject[]> {
  return (await client.list(kinds.pods, ns, { labelSelector: selector })).items;
}

export async function eventsFor(client: Client, name: string, ns = 'default'): Promise<KubeObject[]> {
  return (await client.list(kinds.events, ns, { fieldSelector: `involvedObject.name=${name}` })).items;
}

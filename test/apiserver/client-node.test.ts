// The official JavaScript client (@kubernetes/client-node), which no one
// here wrote: list pods, create a Service, and its Informer sees
// add/update/delete.
import test from 'ava';
import * as k8s from '@kubernetes/client-node';
import { startTestApi, eventually } from '../../testkit/api.js';

test('@kubernetes/client-node lists, creates, and its informer sees add/update/delete', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(api.server.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
  const pods = await core.listNamespacedPod({ namespace: 'default' });
  t.deepEqual(pods.items.map((p) => p.metadata?.name), ['p']);
  t.is(pods.items[0].status?.phase, 'Pending');

  const seen: string[] = [];
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/services', () => core.listNamespacedService({ namespace: 'default' }));
  informer.on('add', (s) => seen.push(`add ${s.metadata?.name}`));
  informer.on('update', (s) => seen.push(`update ${s.metadata?.name} ${s.metadata?.labels?.v ?? ''}`));
  informer.on('delete', (s) => seen.push(`delete ${s.metadata?.name}`));
  await informer.start();
  t.teardown(() => informer.stop());
  await eventually(() => seen.includes('add kubernetes'));

  const svc = await core.createNamespacedService({
    namespace: 'default',
    body: { metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 as any }] } },
  });
  t.regex(svc.spec?.clusterIP ?? '', /^10\./);
  t.true((svc.spec?.ports?.[0].nodePort ?? 0) >= 30000);
  await core.patchNamespacedService({ namespace: 'default', name: 'web', body: { metadata: { labels: { v: '2' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await core.deleteNamespacedService({ namespace: 'default', name: 'web' });
  await eventually(() => seen.includes('delete web'), 5000);
  t.deepEqual(seen.filter((s) => s.includes('web')), ['add web', 'update web 2', 'delete web']);
});

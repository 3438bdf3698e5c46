import test from 'ava';
import { findByPlural } from '../../api/resources.js';
import { startTestApi } from '../../testkit/api.js';

const pods = findByPlural('', 'pods')!;

test('create and get a pod over HTTPS with the token', async (t) => {
  const api = await startTestApi();
  t.teardown(() => api.close());
  const created = await api.client.create(pods, 'default', { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  t.is(created.metadata.name, 'p1');
  const got = await api.client.get(pods, 'default', 'p1');
  t.is(got.status.phase, 'Pending');
});

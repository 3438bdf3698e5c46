// The kubelet's /metrics bookkeeping: Docker operations in total and per pod,
// and the per-pod count until Ready as a histogram.
import test from 'ava';
import { KubeletMetrics } from '../../kubelet/metrics.js';

test('operations count in total by type and for the pod whose sync made them', (t) => {
  const m = new KubeletMetrics();
  m.podSeen('u1', 'default', 'web-1', 1000);
  m.dockerOp('list_containers', undefined);
  m.dockerOp('create_container', 'u1');
  m.dockerOp('start_container', 'u1');
  m.dockerOp('create_container', 'u2'); // not seen: counted in the total only
  t.is(m.operations.get('create_container'), 2);
  t.is(m.podOps('u1'), 2);
  t.is(m.podOps('u2'), undefined);
  const text = m.render();
  t.regex(text, /^kubelet_runtime_operations_total\{operation_type="create_container"\} 2$/m);
  t.regex(text, /^kubelet_runtime_operations_total\{operation_type="list_containers"\} 1$/m);
  t.regex(text, /^mk8s_kubelet_pod_docker_operations\{namespace="default",pod="web-1",uid="u1"\} 2$/m);
});

test('the first Ready status closes a pod startup: its operation count and duration go into the histograms once', (t) => {
  const m = new KubeletMetrics();
  m.podSeen('u1', 'default', 'a', 1000);
  for (let i = 0; i < 7; i++) m.dockerOp('inspect_container', 'u1');
  m.podReady('u1', 2500);
  m.dockerOp('inspect_container', 'u1');
  m.podReady('u1', 9000); // Ready again later: not a startup
  m.podSeen('u2', 'default', 'b', 1000);
  for (let i = 0; i < 11; i++) m.dockerOp('inspect_container', 'u2');
  m.podReady('u2', 1400);
  const text = m.render();
  t.regex(text, /^mk8s_kubelet_pod_startup_docker_operations_sum 18$/m);
  t.regex(text, /^mk8s_kubelet_pod_startup_docker_operations_count 2$/m);
  t.regex(text, /^mk8s_kubelet_pod_startup_docker_operations_bucket\{le="8"\} 1$/m);
  t.regex(text, /^mk8s_kubelet_pod_startup_docker_operations_bucket\{le="12"\} 2$/m);
  t.regex(text, /^mk8s_kubelet_pod_start_to_ready_seconds_sum 1.9$/m);
  t.regex(text, /^mk8s_kubelet_pod_start_to_ready_seconds_bucket\{le="0.5"\} 1$/m);
  m.podGone('u1');
  t.notRegex(m.render(), /pod="a"/);
});

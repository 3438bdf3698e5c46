// mk8s ui's page: vanilla JS, no framework. The cluster view follows the
// server's Server-Sent Events; the Service view asks for the path with its
// counters every second while it is open; the lab pane calls the lab engine
// through the server. Every request carries the token cookie the server set.
/* global document, window, fetch, cytoscape, Option, EventSource, setTimeout, clearTimeout, URLSearchParams, location */
'use strict';
(function () {
  const $ = (s) => document.querySelector(s);
  const state = { cluster: null, view: 'cluster', service: '', pathTimer: 0, pathKey: '' };
  const ui = (window.mk8sUi = { state, cyCluster: null, cyService: null, path: null });

  function esc(s) {
    return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }
  function row(cells, attrs) {
    const tr = document.createElement('tr');
    for (const [k, v] of Object.entries(attrs || {})) tr.setAttribute(k, v);
    tr.innerHTML = cells.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : typeof c === 'number' ? `<td class="num">${c}</td>` : `<td>${c}</td>`)).join('');
    return tr;
  }
  function fill(table, rows) {
    const tb = $(table + ' tbody');
    tb.replaceChildren(...rows);
  }
  async function api(path, opts) {
    const r = await fetch(path, { credentials: 'same-origin', ...(opts || {}) });
    const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
    if (!r.ok) throw new Error(body?.message || String(body));
    return body;
  }

  const style = [
    { selector: 'node', style: { label: 'data(label)', 'font-size': 13, 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center', 'background-color': '#ddf4ff', 'border-width': 1, 'border-color': '#54aeff', shape: 'round-rectangle', width: 'label', height: 'label', padding: 8 } },
    { selector: 'node.k8snode', style: { 'text-valign': 'top', 'background-color': '#f6f8fa', 'border-color': '#8c959f', 'font-weight': 'bold' } },
    { selector: 'node.k8snode.notready', style: { 'border-color': '#cf222e', 'border-width': 3 } },
    { selector: 'node.pod', style: { 'background-color': '#dafbe1', 'border-color': '#2da44e' } },
    { selector: 'node.pod.notready', style: { 'background-color': '#fff8c5', 'border-color': '#bf8700' } },
    { selector: 'node.pod.terminating', style: { 'border-style': 'dashed', opacity: 0.6 } },
    { selector: 'node.service', style: { shape: 'ellipse', 'background-color': '#fbefff', 'border-color': '#8250df' } },
    { selector: 'node.service.flag', style: { 'background-color': '#ffebe9', 'border-color': '#cf222e', 'border-width': 3 } },
    { selector: 'node.entry', style: { shape: 'tag', 'background-color': '#fff8c5', 'border-color': '#bf8700' } },
    { selector: 'node.chain', style: { 'background-color': '#f6f8fa', 'border-color': '#57606a', 'font-family': 'monospace' } },
    { selector: 'edge', style: { width: 1.5, 'line-color': '#8c959f', 'target-arrow-color': '#8c959f', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', label: 'data(label)', 'font-size': 12, 'text-background-color': '#fff', 'text-background-opacity': 1 } },
    { selector: '.spacer', style: { visibility: 'hidden', width: 1, height: 1, label: '' } },
    { selector: 'edge.hot', style: { 'line-color': '#0969da', 'target-arrow-color': '#0969da', width: 3 } },
  ];

  // ---- Cluster view ----
  function clusterElements(c) {
    const els = [];
    for (const n of c.nodes) els.push({ data: { id: 'node:' + n.name, label: `${n.name}\n${n.ip || ''} ${n.ready ? 'Ready' : 'NotReady'}` }, classes: 'k8snode' + (n.ready ? '' : ' notready') });
    const known = new Set(c.nodes.map((n) => n.name));
    const order = new Map(c.nodes.map((n, i) => [n.name, i]));
    // Pods grouped by node, so the layout keeps each node's pods side by side.
    const pods = [...c.pods].sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9) || (a.id < b.id ? -1 : 1));
    for (const p of pods) {
      els.push({
        data: { id: 'pod:' + p.id, order: els.length, parent: p.node && known.has(p.node) ? 'node:' + p.node : undefined, label: `${p.name}\n${p.phase}${p.ready ? '' : ' (not ready)'}\n${p.ip || ''}` },
        classes: 'pod' + (p.ready ? '' : ' notready') + (p.terminating ? ' terminating' : ''),
      });
    }
    const linked = new Set();
    for (const s of c.services) {
      if (s.namespace === 'kube-system' || (s.namespace === 'default' && s.name === 'kubernetes')) continue;
      const flag = s.selectsNothing ? 'selects no pod' : s.noEndpoints ? 'no endpoints' : '';
      els.push({ data: { id: 'svc:' + s.id, label: `svc/${s.name}\n${s.type} ${s.clusterIP || s.externalName || ''}${flag ? '\n⚠ ' + flag : ''}` }, classes: 'service' + (flag ? ' flag' : '') });
      for (const p of s.pods) {
        els.push({ data: { id: `e:${s.id}>${p}`, source: 'svc:' + s.id, target: 'pod:' + p, label: '' } });
        linked.add(p);
      }
    }
    // An invisible root above the pods no Service selects (and nodes without pods), so every pod sits in one row under the Services.
    els.push({ data: { id: 'spacer', label: '' }, classes: 'spacer' });
    for (const p of pods) if (!linked.has(p.id)) els.push({ data: { id: `x:${p.id}`, source: 'spacer', target: 'pod:' + p.id, label: '' }, classes: 'spacer' });
    for (const n of c.nodes) if (!pods.some((p) => p.node === n.name)) els.push({ data: { id: `x:node:${n.name}`, source: 'spacer', target: 'node:' + n.name, label: '' }, classes: 'spacer' });
    return els;
  }
  // Services in a row above the pods they select; each node a box around its pods (cytoscape's breadthfirst handles the compound nodes).
  const clusterLayout = { name: 'breadthfirst', directed: true, padding: 20, spacingFactor: 1.15, roots: 'node.service, #spacer', depthSort: (a, b) => (a.data('order') ?? 0) - (b.data('order') ?? 0) };
  let clusterShape = '';
  function drawCluster(c) {
    const els = clusterElements(c);
    const shape = JSON.stringify(els.map((e) => [e.data.id, e.data.parent]));
    if (!ui.cyCluster) ui.cyCluster = cytoscape({ container: $('#cy-cluster'), style, wheelSensitivity: 0.3, autoungrabify: false });
    const cy = ui.cyCluster;
    if (shape === clusterShape) {
      for (const e of els) cy.getElementById(e.data.id).data('label', e.data.label).classes(e.classes || '');
      return;
    }
    clusterShape = shape;
    cy.elements().remove();
    cy.add(els);
    if (state.view === 'cluster') cy.layout(clusterLayout).run();
  }
  function tableCluster(c) {
    const podsOn = (n) => c.pods.filter((p) => p.node === n).length;
    fill('#t-nodes', c.nodes.map((n) => row([esc(n.name), esc(n.ip), n.ready ? '<span class="ok">Ready</span>' : '<span class="bad">NotReady</span>', podsOn(n.name)], { 'data-node': n.name })));
    fill('#t-pods', c.pods.map((p) => row([esc(p.id), esc(p.node || '(not scheduled)'), esc(p.phase) + (p.terminating ? ' <span class="warn">terminating</span>' : ''), p.ready ? 'yes' : '<span class="warn">no</span>', esc(p.ip), esc(p.owner)], { 'data-pod': p.id, 'data-node': p.node || '' })));
    fill('#t-services', c.services.map((s) => row([
      esc(s.id), esc(s.type), esc(s.clusterIP || s.externalName || ''), esc(s.ports.join(', ')), esc(s.pods.join(', ')),
      s.selectsNothing ? '<span class="bad">selector matches no pod</span>' : s.noEndpoints ? '<span class="bad">no ready endpoints</span>' : `${s.readyEndpoints} ready endpoint(s)`,
    ], { 'data-service': s.id, 'data-flag': s.selectsNothing ? 'selects-nothing' : s.noEndpoints ? 'no-endpoints' : '' })));
    const sel = $('#svc-select');
    const want = c.services.filter((s) => s.type !== 'ExternalName' || true).map((s) => s.id);
    const have = [...sel.options].map((o) => o.value);
    if (JSON.stringify(want) !== JSON.stringify(have)) {
      sel.replaceChildren(...want.map((id) => new Option(id, id, false, id === state.service)));
      if (!state.service || !want.includes(state.service)) state.service = want.find((id) => !id.startsWith('kube-system/') && id !== 'default/kubernetes') || want[0] || '';
      sel.value = state.service;
    }
  }
  function onCluster(c) {
    state.cluster = c;
    ui.cluster = c;
    tableCluster(c);
    drawCluster(c);
    document.body.dataset.updated = String(Date.now());
  }

  function connect() {
    const es = new EventSource('/api/events');
    es.addEventListener('cluster', (ev) => onCluster(JSON.parse(ev.data)));
    es.onopen = () => ($('#conn').textContent = 'live');
    es.onerror = () => ($('#conn').textContent = 'reconnecting…');
  }

  // ---- Service view ----
  const counts = (o) => Object.entries(o || {}).map(([n, v]) => `${n}: ${v}`).join(', ');
  const total = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);
  function pathElements(p) {
    const els = [];
    const add = (id, label, classes) => { if (!els.some((e) => e.data.id === id)) els.push({ data: { id, label, order: els.length }, classes }); };
    // One edge per pair of elements; entries that share a chain add up their packets on it.
    const edge = (a, b, label, hot, packets) => {
      const id = `${a}>${b}`;
      const old = els.find((e) => e.data.id === id);
      if (!old) return els.push({ data: { id, source: a, target: b, label: label || '', packets }, classes: hot ? 'hot' : '' });
      if (packets !== undefined) {
        old.data.packets += packets;
        old.data.label = `${old.data.packets} pkts`;
      }
      if (hot) old.classes = 'hot';
    };
    if (p.externalName) {
      add('svc', `svc/${p.id}`, 'service');
      add('cname', `CNAME ${p.externalName}\n(DNS only, no rules)`, 'entry');
      edge('svc', 'cname');
      return els;
    }
    for (const port of p.ports) {
      const svcC = `chain:${port.serviceChain}`;
      add(svcC, `${port.serviceChain}\n${port.name || ''} ${port.port}/${port.protocol}${port.affinitySeconds ? `\naffinity ClientIP ${port.affinitySeconds}s` : ''}${port.rejected ? '\nno endpoints: REJECT' : ''}`, 'chain');
      for (const e of port.entries) {
        const id = `entry:${e.kind}:${e.address}`;
        add(id, `${e.kind}\n${e.address}`, 'entry');
        const from = `chain:${e.from}`;
        add(from, e.from, 'chain');
        const n = total(e.packets);
        edge(id, from, '', n > 0);
        let prev = from;
        for (const c of e.via) {
          add(`chain:${c}`, c, 'chain');
          if (prev === from) edge(prev, `chain:${c}`, `${n} pkts`, n > 0, n);
          else edge(prev, `chain:${c}`, '', n > 0);
          prev = `chain:${c}`;
        }
      }
      for (const ep of port.endpoints) {
        const sep = `chain:${ep.chain}`;
        add(sep, `${ep.chain}\n→ ${ep.ip}:${ep.port}`, 'chain');
        edge(svcC, sep, `${ep.choice.replace(/ \(.*\)/, '')} · ${ep.total}`, ep.total > 0);
        const pod = `pod:${ep.pod || ep.ip}`;
        add(pod, `${ep.pod || ep.ip}\non ${ep.node || '?'}`, 'pod' + (ep.ready ? '' : ' notready'));
        edge(sep, pod, 'DNAT', ep.total > 0);
      }
    }
    return els;
  }
  function drawPath(p) {
    const els = pathElements(p);
    const key = JSON.stringify(els.map((e) => e.data.id));
    if (!ui.cyService) ui.cyService = cytoscape({ container: $('#cy-service'), style, wheelSensitivity: 0.3 });
    const cy = ui.cyService;
    if (key === state.pathKey) {
      for (const e of els) cy.getElementById(e.data.id).data('label', e.data.label).classes(e.classes || '');
      return;
    }
    state.pathKey = key;
    cy.elements().remove();
    cy.add(els);
    // Left to right; the KUBE-SEP chains top to bottom in the order the rules try them.
    cy.layout({ name: 'breadthfirst', directed: true, spacingFactor: 1.1, padding: 15, depthSort: (a, b) => a.data('order') - b.data('order'), transform: (_n, pos) => ({ x: pos.y, y: pos.x }) }).run();
    cy.fit(undefined, 15);
  }
  function tablePath(p) {
    const ports = p.ports || [];
    fill('#t-entries', ports.flatMap((port) => port.entries.map((e) => row([esc(e.address), esc(e.kind), esc([e.from, ...e.via].join(' → ')), esc(counts(e.packets))]))));
    fill('#t-endpoints', ports.flatMap((port) => port.endpoints.map((e) => row([esc(e.chain), esc(e.choice), esc(e.pod || e.ip), esc(e.node), esc(counts(e.packets)), e.total], { 'data-endpoint': e.ip, 'data-total': String(e.total), 'data-pod': e.pod || '' }))));
    fill('#t-rules', (p.rules || []).map((r) => row([esc(r.node), r.packets, esc(r.table), esc(r.chain), esc(r.rule)])));
    const all = ports.reduce((n, port) => n + port.endpoints.reduce((m, e) => m + e.total, 0), 0);
    const un = Object.entries(p.unreachable || {}).map(([n, m]) => `${n}: ${m}`);
    const summary = p.externalName ? `ExternalName: DNS answers with a CNAME to ${p.externalName}; no iptables rules.`
      : p.headless ? 'Headless (clusterIP None): no virtual IP and no rules; DNS answers with the ready pod IPs.'
      : `${p.type} ${p.clusterIP}. Connections sent to pods (the KUBE-SEP DNAT counters, all nodes): ${all}.` + (un.length ? ` Not answering: ${un.join('; ')}` : '');
    const s = $('#svc-summary');
    s.textContent = summary;
    s.dataset.total = String(all);
  }
  async function pollPath() {
    clearTimeout(state.pathTimer);
    if (state.view !== 'service' || !state.service) return;
    const [ns, name] = state.service.split('/');
    try {
      const p = await api(`/api/services/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/path`);
      if (state.service === `${ns}/${name}`) {
        ui.path = p;
        tablePath(p);
        drawPath(p);
        document.body.dataset.pathUpdated = String(Date.now());
      }
    } catch (e) {
      $('#svc-summary').textContent = `Could not read the path: ${e.message}`;
    }
    state.pathTimer = setTimeout(pollPath, 1000);
  }

  function show(view) {
    state.view = view;
    for (const v of ['cluster', 'service']) {
      $('#view-' + v).hidden = v !== view;
      $('#tab-' + v).setAttribute('aria-pressed', String(v === view));
    }
    if (view === 'cluster' && ui.cyCluster) {
      ui.cyCluster.resize();
      ui.cyCluster.layout(clusterLayout).run();
    }
    if (view === 'service') {
      state.pathKey = '';
      if (ui.cyService) ui.cyService.resize();
      pollPath();
    }
  }

  // ---- Lab pane ----
  function renderLab(l) {
    ui.lab = l;
    const buttons = ['#lab-check', '#lab-hint', '#lab-solution', '#lab-run-solution'];
    if (!l.active) {
      $('#lab-head').textContent = l.message;
      $('#lab-text').innerHTML = '<p>Start one in your terminal: <code>mk8s lab list</code>, then <code>mk8s lab start ID</code>; this pane follows it.</p>';
      $('#lab-progress').value = 0;
      for (const b of buttons) $(b).disabled = true;
      return;
    }
    $('#lab-head').innerHTML = `<strong>${esc(l.title)}</strong><br>${l.finished ? 'Every step done' : `Step ${l.step + 1} of ${l.total}: ${esc(l.stepTitle)}`}`;
    $('#lab-progress').max = l.total;
    $('#lab-progress').value = l.done.length;
    $('#lab-text').innerHTML = l.html;
    $('#lab-check').disabled = l.finished;
    $('#lab-hint').disabled = l.finished || !l.hasHint;
    $('#lab-solution').disabled = $('#lab-run-solution').disabled = l.finished || !l.hasSolution;
  }
  async function loadLab() {
    try {
      renderLab(await api('/api/lab'));
    } catch (e) {
      $('#lab-head').textContent = e.message;
    }
  }
  async function busy(button, f, working = true) {
    const b = $(button);
    b.disabled = true;
    if (working) $('#lab-result').textContent = 'working…';
    try {
      await f();
    } catch (e) {
      $('#lab-result').innerHTML = `<span class="bad">${esc(e.message)}</span>`;
    } finally {
      // The lab's state decides which buttons stay enabled (none of Hint, Solution once it is finished).
      if (ui.lab && ui.lab.active) renderLab(ui.lab);
      else b.disabled = false;
    }
  }
  $('#lab-check').addEventListener('click', () => busy('#lab-check', async () => {
    const r = await api('/api/lab/check', { method: 'POST' });
    $('#lab-extra').replaceChildren();
    $('#lab-result').innerHTML = r.ok ? `<span class="ok" data-check="pass">✓ Step ${r.step + 1} done${r.finished ? ': the lab is finished' : ''}</span>` : `<span class="bad" data-check="fail">✗ Step ${r.step + 1} is not done yet: ${esc(r.reason)}</span>`;
    renderLab(r.lab);
  }));
  $('#lab-hint').addEventListener('click', () => busy('#lab-hint', async () => {
    const r = await api('/api/lab/hint');
    $('#lab-extra').innerHTML = `<h3>Hint</h3>${r.html}`;
  }, false));
  $('#lab-solution').addEventListener('click', () => busy('#lab-solution', async () => {
    const r = await api('/api/lab/solution');
    $('#lab-extra').innerHTML = `<h3>Solution</h3><pre><code>${esc(r.script)}</code></pre>`;
  }, false));
  $('#lab-run-solution').addEventListener('click', () => busy('#lab-run-solution', async () => {
    const r = await api('/api/lab/solution/run', { method: 'POST' });
    $('#lab-result').innerHTML = r.code === 0 ? '<span class="ok" data-solution="ran">The solution ran; press Check.</span>' : `<span class="bad">The solution failed (exit code ${r.code}).</span>`;
    $('#lab-extra').innerHTML = `<pre><code>${esc(r.output)}</code></pre>`;
  }));

  $('#tab-cluster').addEventListener('click', () => show('cluster'));
  $('#tab-service').addEventListener('click', () => show('service'));
  $('#svc-select').addEventListener('change', (e) => {
    state.service = e.target.value;
    state.pathKey = '';
    pollPath();
  });
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('service')) state.service = hash.get('service');
  connect();
  loadLab();
  if (hash.get('view') === 'service') show('service');
})();

// The live topology page: subscribes to /events (server-sent events, one tree per second) and
// renders it; rates are computed here from counter deltas between two updates. No framework, no
// CDN: the process serves these files itself.
'use strict';

const params = new URLSearchParams(location.search);
const token = params.get('token');
const withToken = (path) => (token === null ? path : `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`);

const $ = (selector) => document.querySelector(selector);
let previous = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;
const key = (p) => `${p.role} ${p.index}`;

/** Per-second rate of a counter between the previous tree and this one. */
function rate(tree, p, read) {
  if (previous === null) return '—';
  const before = previous.processes.find((q) => key(q) === key(p) && q.process.pid === p.process.pid);
  if (before === undefined) return '—';
  const seconds = (tree.at - previous.at) / 1000;
  return seconds > 0 ? ((read(p) - read(before)) / seconds).toFixed(1) : '—';
}

function rows(tbody, list) {
  tbody.replaceChildren(...list);
}

function render(tree) {
  $('#config').textContent = tree.config ?? 'built-in default config';
  const badge = $('#readiness');
  badge.textContent = tree.readiness.ready ? 'ready' : `not ready: ${tree.readiness.missing.join('; ')}`;
  badge.className = `badge ${tree.readiness.ready ? 'ok' : 'bad'}`;
  $('#updated').textContent = `updated ${new Date(tree.at).toLocaleTimeString()}`;

  const gateways = tree.processes.filter((p) => p.gateway !== undefined);
  const workers = tree.processes.filter((p) => p.worker !== undefined);
  const registers = tree.processes.filter((p) => p.register !== undefined);

  $('#gateways').replaceChildren(
    ...gateways.map((p) => {
      const g = p.gateway;
      const dl = el('dl', {},
        el('dt', {}, 'clients'), el('dd', { class: 'clients' }, g.stats.clients),
        el('dt', {}, 'uids'), el('dd', { class: 'uids' }, g.stats.uids),
        el('dt', {}, 'groups'), el('dd', { class: 'groups' }, g.stats.groups),
        el('dt', {}, 'pending events'), el('dd', {}, g.stats.pending),
        el('dt', {}, 'workers linked'), el('dd', {}, g.stats.workers),
        el('dt', {}, 'messages in/s'), el('dd', {}, rate(tree, p, (q) => q.gateway.counters.messagesIn)),
        el('dt', {}, 'messages out/s'), el('dd', {}, rate(tree, p, (q) => q.gateway.counters.messagesOut)),
        el('dt', {}, 'connections/s'), el('dd', {}, rate(tree, p, (q) => q.gateway.counters.clientsAccepted)),
      );
      const listeners = el('ul', {}, ...g.listeners.map((l) => el('li', { class: 'mono' }, `${l.url} — ${l.clients} clients`)));
      return el('div', { class: 'card gateway', 'data-gateway-id': g.gatewayId },
        el('h3', {}, `gateway ${p.index} · `, el('span', { class: 'gateway-id' }, g.gatewayId)), dl, listeners);
    }),
  );

  rows($('#workers tbody'), workers.map((p) => {
    const w = p.worker;
    const linked = w.gateways.filter((g) => g.state === 'ready').length;
    return el('tr', { 'data-worker-id': w.workerId },
      el('td', {}, `worker ${p.index}`), el('td', { class: 'mono' }, w.workerId), el('td', {}, w.state), el('td', {}, w.inflight),
      el('td', {}, w.handled), el('td', {}, rate(tree, p, (q) => q.worker.handled)), el('td', {}, `${linked}/${w.gatewaysListed}`));
  }));

  rows($('#registers tbody'), registers.map((p) => el('tr', {},
    el('td', {}, `register ${p.index}`), el('td', {}, p.process.pid), el('td', {}, p.register.gateways), el('td', {}, p.register.workers), el('td', {}, p.register.links))));

  rows($('#processes tbody'), [
    ...tree.processes.map((p) => el('tr', {},
      el('td', {}, p.role === 'supervisor' ? 'supervisor' : key(p)), el('td', {}, p.process.pid), el('td', {}, duration(p.process.uptimeMs)),
      el('td', {}, mib(p.process.rssBytes)), el('td', {}, p.process.cpuPercent.toFixed(1)),
      el('td', {}, p.role === 'supervisor' ? '—' : p.process.restarts), el('td', {}, p.readiness.ready ? 'yes' : 'no'))),
    ...tree.silent.map((s) => el('tr', { class: 'silent' }, el('td', {}, `${s.role} ${s.index}`), el('td', { colSpan: 6 }, s.why))),
  ]);

  drawLinks(gateways, workers);
  previous = tree;
}

/** Gateways on the left, workers on the right, one line per internal link coloured by its state. */
function drawLinks(gateways, workers) {
  const svg = $('#links');
  const ns = 'http://www.w3.org/2000/svg';
  const rowHeight = 28;
  const height = Math.max(gateways.length, workers.length, 1) * rowHeight + 16;
  svg.setAttribute('viewBox', `0 0 800 ${height}`);
  svg.style.height = `${height}px`;
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const y = (i) => 20 + i * rowHeight;
  const workerRow = new Map(workers.map((p, i) => [p.worker.workerId, i]));
  const shapes = [];
  gateways.forEach((p, i) => {
    for (const link of p.gateway.links) {
      const j = link.workerId === null ? undefined : workerRow.get(link.workerId);
      if (j === undefined) continue;
      shapes.push(node('line', { x1: 250, y1: y(i) - 4, x2: 560, y2: y(j) - 4, class: link.state }));
    }
    shapes.push(node('text', { x: 10, y: y(i) }, `gateway ${p.index} ${p.gateway.gatewayId} (${p.gateway.stats.clients})`));
  });
  workers.forEach((p, j) => shapes.push(node('text', { x: 570, y: y(j) }, `worker ${p.index} (${p.worker.state})`)));
  svg.replaceChildren(...shapes);
}

$('#lookup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const q = $('#lookup-query').value.trim();
  const out = $('#lookup-result');
  if (q === '') return;
  out.textContent = 'looking…';
  try {
    const res = await fetch(withToken(`api/lookup?q=${encodeURIComponent(q)}`));
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? res.statusText);
    if (body.clients.length === 0) {
      out.textContent = `no client with id or uid "${q}"`;
      return;
    }
    const head = el('tr', {}, ...['client id', 'gateway', 'listener', 'remote address', 'uid', 'groups', 'session bytes'].map((h) => el('th', {}, h)));
    out.replaceChildren(el('table', { id: 'lookup-table' }, el('thead', {}, head), el('tbody', {}, ...body.clients.map((c) => el('tr', {},
      el('td', { class: 'mono' }, c.clientId), el('td', { class: 'mono' }, c.gatewayId), el('td', { class: 'mono' }, c.listener),
      el('td', {}, `${c.remoteAddress}:${c.remotePort}`), el('td', {}, c.uid ?? '—'), el('td', {}, c.groups.join(', ') || '—'), el('td', {}, c.sessionBytes))))));
  } catch (err) {
    out.textContent = `lookup failed: ${err.message}`;
  }
});

const events = new EventSource(withToken('events'));
events.onmessage = (message) => render(JSON.parse(message.data));
events.onerror = () => {
  const badge = $('#readiness');
  badge.textContent = 'disconnected — retrying';
  badge.className = 'badge bad';
};

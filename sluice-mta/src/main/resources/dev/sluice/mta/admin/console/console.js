// Sluice's web console: plain JavaScript, no framework, nothing loaded from elsewhere. Everything it shows comes from
// the MTA's admin routes (their JSON, unchanged) and the live websocket's log records; every change it makes is one of
// those routes' POST or DELETE, sent only after the confirmation dialog.
'use strict';

const ROUTES = {
  summary: '/api/admin/queue-summary/v1',
  readyStates: '/api/admin/ready-q-states/v1',
  suspend: '/api/admin/suspend/v1',
  suspendReady: '/api/admin/suspend-ready-q/v1',
  bounce: '/api/admin/bounce/v1',
  inspect: '/api/admin/inspect-message/v1',
  metrics: '/metrics.json',
  live: '/api/console/live/v1',
};
const MAX_RECORDS = 1000;
const SHOWN_RECORDS = 200;

const state = { records: [], previous: null, refreshing: false, again: false, socket: null };

const $ = (selector) => document.querySelector(selector);

/** A table cell (text only: nothing from the MTA is ever parsed as HTML). */
function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text === undefined || text === null ? '' : String(text);
  if (cls) td.className = cls;
  return td;
}

function button(label, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.className = cls;
  b.addEventListener('click', onClick);
  return b;
}

function fill(tableId, rows, emptyId) {
  const body = document.querySelector('#' + tableId + ' tbody');
  body.replaceChildren(...rows);
  if (emptyId) $('#' + emptyId).hidden = rows.length > 0;
}

async function getJson(path) {
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) throw new Error('GET ' + path + ': ' + r.status + ' ' + (await r.text()).trim());
  return r.json();
}

function status(text, bad) {
  const s = $('#status');
  s.textContent = text;
  s.className = bad ? 'bad' : '';
}

/** The samples of one metric of /metrics.json as [{labels, value}], whichever of its two shapes the MTA writes. */
function samples(metrics, name) {
  const m = metrics && metrics[name];
  if (!m) return [];
  if (Array.isArray(m.samples)) return m.samples.map((s) => ({ labels: s.labels || {}, value: Number(s.value) }));
  const v = m.value;
  if (v === null || v === undefined) return [];
  if (typeof v === 'number') return [{ labels: {}, value: v }];
  if (Array.isArray(v)) {
    return v.map((entry) => {
      const labels = Object.assign({}, entry);
      delete labels['@'];
      return { labels, value: Number(entry['@']) };
    });
  }
  const out = [];
  for (const [label, byValue] of Object.entries(v)) {
    for (const [value, n] of Object.entries(byValue)) out.push({ labels: { [label]: value }, value: Number(n) });
  }
  return out;
}

function sum(metrics, name, test) {
  return samples(metrics, name).filter((s) => test(s.labels)).reduce((a, s) => a + (isFinite(s.value) ? s.value : 0), 0);
}

/** Per second since the previous refresh, or blank for the first one. */
function rate(key, value, now) {
  const prev = state.previous;
  if (!prev || prev.values[key] === undefined || now <= prev.at) return '';
  return ((value - prev.values[key]) / ((now - prev.at) / 1000)).toFixed(1);
}

async function refresh() {
  if (state.refreshing) { state.again = true; return; }
  state.refreshing = true;
  try {
    const [summary, ready, suspensions, readySuspensions, bounces, metrics] = await Promise.all([
      getJson(ROUTES.summary), getJson(ROUTES.readyStates), getJson(ROUTES.suspend), getJson(ROUTES.suspendReady),
      getJson(ROUTES.bounce), getJson(ROUTES.metrics).catch(() => ({})),
    ]);
    const now = Date.now();
    const values = {};
    renderScheduled(summary, values, now);
    renderReady(ready.states_by_ready_queue || {}, metrics, values, now);
    renderSources(ready.states_by_ready_queue || {}, metrics);
    renderEntries(suspensions, readySuspensions, bounces);
    state.previous = { at: now, values };
    $('#updated').textContent = 'updated ' + new Date(now).toLocaleTimeString([], { hour12: false });
    if ($('#status').className === 'bad' && $('#status').textContent.startsWith('GET')) status('');
  } catch (e) {
    status(e.message, true);
  } finally {
    state.refreshing = false;
    if (state.again) { state.again = false; refresh(); }
  }
}

function renderScheduled(summary, values, now) {
  const scheduled = summary.scheduled || {};
  const suspended = summary.suspended || {};
  const names = Object.keys(scheduled).sort();
  let total = 0;
  const rows = names.map((q) => {
    const n = scheduled[q];
    total += n;
    values['sched:' + q] = n;
    const tr = document.createElement('tr');
    tr.dataset.queue = q;
    if (suspended[q]) tr.className = 'held';
    tr.append(cell(q, 'mono'), cell(n, 'n'), cell(rate('sched:' + q, n, now), 'n'), cell(suspended[q] || ''));
    const actions = document.createElement('td');
    actions.append(
      button('Suspend', 'suspend', () => confirmAction('Suspend scheduled queue ' + q, 'POST', ROUTES.suspend,
        { queue_names: [q] }, true)),
      button('Bounce', 'bounce', () => confirmAction('Bounce every message of ' + q, 'POST', ROUTES.bounce,
        { queue_names: [q] }, true)));
    tr.append(actions);
    return tr;
  });
  $('#scheduled-total').textContent = names.length ? '(' + total + ' messages in ' + names.length + ')' : '';
  fill('scheduled', rows, 'scheduled-empty');
}

function service(name, st) {
  return 'smtp_client:' + (st.egress_source || 'unspecified') + '->' + (st.site_name || '');
}

function renderReady(states, metrics, values, now) {
  const rows = Object.keys(states).sort().map((name) => {
    const st = states[name];
    const svc = service(name, st);
    const delivered = sum(metrics, 'total_messages_delivered_total', (l) => l.service === svc)
      + sum(metrics, 'total_messages_delivered', (l) => l.service === svc);
    const failed = sum(metrics, 'total_messages_transfail_total', (l) => l.service === svc)
      + sum(metrics, 'total_messages_fail_total', (l) => l.service === svc);
    values['del:' + name] = delivered;
    values['fail:' + name] = failed;
    const tr = document.createElement('tr');
    tr.dataset.readyQueue = name;
    const held = st.suspended ? (st.suspended.reason || 'suspended') : '';
    if (held) tr.className = 'held';
    tr.append(cell(name, 'mono'), cell(st.egress_source), cell(st.site_name, 'mono'), cell(st.ready_count, 'n'),
      cell(st.connection_count, 'n'), cell(rate('del:' + name, delivered, now), 'n'),
      cell(rate('fail:' + name, failed, now), 'n'), cell(held));
    const actions = document.createElement('td');
    actions.append(button('Suspend', 'suspend', () => confirmAction('Suspend ready queue ' + name, 'POST',
      ROUTES.suspendReady, { name }, true)));
    tr.append(actions);
    return tr;
  });
  fill('ready', rows, 'ready-empty');
}

function renderSources(states, metrics) {
  const sources = new Map();
  const source = (name) => {
    if (!sources.has(name)) sources.set(name, { connections: 0, health: [], failures: 0, recent: [] });
    return sources.get(name);
  };
  for (const st of Object.values(states)) source(st.egress_source || 'unspecified').connections += st.connection_count || 0;
  for (const s of samples(metrics, 'egress_source_health_suspended')) {
    if (s.value > 0) source(s.labels.source).health.push('suspended: ' + s.labels.reason);
  }
  for (const s of samples(metrics, 'egress_source_connection_failures_total')) source(s.labels.source).failures += s.value;
  for (let i = state.records.length - 1; i >= 0; i--) { // the newest failures first, the same text counted once
    const r = state.records[i];
    if ((r.type === 'TransientFailure' || r.type === 'Bounce') && r.egress_source !== undefined) {
      const s = source(r.egress_source || 'unspecified');
      const text = responseText(r);
      const same = s.recent.find((f) => f.text === text);
      if (same) same.count++;
      else if (s.recent.length < 3) s.recent.push({ at: time(r), text, count: 1 });
    }
  }
  fill('sources', [...sources.keys()].sort().map((name) => {
    const s = sources.get(name);
    const tr = document.createElement('tr');
    tr.dataset.source = name;
    tr.append(cell(name), cell(s.health.length ? s.health.join(', ') : 'healthy', s.health.length ? 'bad' : ''),
      cell(s.connections, 'n'), cell(s.failures, 'n'),
      cell(s.recent.map((f) => f.at + (f.count > 1 ? ' (' + f.count + '\u00d7) ' : ' ') + f.text).join('\n'), 'mono'));
    return tr;
  }));
  const proxies = new Map();
  const proxy = (l) => {
    const key = l.proxy + ' ' + l.protocol;
    if (!proxies.has(key)) proxies.set(key, { proxy: l.proxy, protocol: l.protocol, connections: 0, delivered: 0, transfail: 0, fail: 0 });
    return proxies.get(key);
  };
  for (const s of samples(metrics, 'egress_proxy_connection_count')) proxy(s.labels).connections += s.value;
  for (const s of samples(metrics, 'egress_proxy_messages_total')) {
    const p = proxy(s.labels);
    if (s.labels.result in p) p[s.labels.result] += s.value;
  }
  $('#proxies').hidden = proxies.size === 0;
  $('#proxies-empty').hidden = proxies.size > 0;
  fill('proxies', [...proxies.values()].map((p) => {
    const tr = document.createElement('tr');
    tr.append(cell(p.proxy), cell(p.protocol), cell(p.connections, 'n'), cell(p.delivered, 'n'),
      cell(p.transfail, 'n'), cell(p.fail, 'n'));
    return tr;
  }));
}

function criteria(e) {
  if (e.name) return e.name;
  const parts = [];
  for (const k of ['domain', 'campaign', 'tenant', 'routing_domain']) if (e[k]) parts.push(k + '=' + e[k]);
  if (e.queue_names && e.queue_names.length) parts.push('queues=' + e.queue_names.join(','));
  return parts.length ? parts.join(' ') : 'everything';
}

function renderEntries(suspensions, readySuspensions, bounces) {
  const rows = [];
  const add = (kind, path, e) => {
    const tr = document.createElement('tr');
    tr.dataset.entry = e.id;
    const what = kind === 'bounce' ? 'bounce (' + (e.total_bounced || 0) + ' bounced)' : kind;
    tr.append(cell(what), cell(criteria(e), 'mono'), cell(e.reason), cell(e.duration));
    const actions = document.createElement('td');
    actions.append(button(kind === 'bounce' ? 'Cancel' : 'Resume', 'resume',
      () => confirmAction((kind === 'bounce' ? 'Cancel bounce ' : 'Resume ') + criteria(e), 'DELETE', path,
        { id: e.id }, false)));
    tr.append(actions);
    rows.push(tr);
  };
  suspensions.forEach((e) => add('suspension', ROUTES.suspend, e));
  readySuspensions.forEach((e) => add('ready queue suspension', ROUTES.suspendReady, e));
  bounces.forEach((e) => add('bounce', ROUTES.bounce, e));
  fill('entries', rows, 'entries-empty');
}

function time(r) {
  const t = r.timestamp ? new Date(r.timestamp * 1000) : null;
  return t ? t.toLocaleTimeString([], { hour12: false }) : '';
}

function responseText(r) {
  if (!r.response) return '';
  return (r.response.code || '') + ' ' + (r.response.enhanced_code ? Object.values(r.response.enhanced_code).join('.') + ' ' : '')
    + (r.response.content || '');
}

function renderRecords() {
  const type = $('#record-type').value;
  const text = $('#record-filter').value.trim().toLowerCase();
  const shown = [];
  for (let i = state.records.length - 1; i >= 0 && shown.length < SHOWN_RECORDS; i--) {
    const r = state.records[i];
    if (type && r.type !== type) continue;
    if (text && !JSON.stringify(r).toLowerCase().includes(text)) continue;
    shown.push(r);
  }
  $('#record-count').textContent = shown.length + ' of the last ' + state.records.length;
  fill('records', shown.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.type = r.type;
    const id = cell('');
    const link = document.createElement('a');
    link.textContent = r.id || '';
    link.addEventListener('click', () => { $('#inspect-id').value = r.id; inspect(); });
    id.append(link);
    id.className = 'mono';
    const recipient = Array.isArray(r.recipient) ? r.recipient.join(', ') : r.recipient;
    tr.append(cell(time(r)), cell(r.type, r.type === 'Bounce' || r.type === 'AdminBounce' ? 'bad'
      : r.type === 'TransientFailure' ? 'warn' : ''), id, cell(recipient), cell(r.queue, 'mono'),
    cell(r.egress_source), cell(responseText(r)));
    return tr;
  }));
}

async function inspect() {
  const id = $('#inspect-id').value.trim();
  if (!id) return;
  const path = ROUTES.inspect + '?id=' + encodeURIComponent(id) + ($('#inspect-body').checked ? '&want_body=true' : '');
  const r = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  const text = await r.text();
  try {
    $('#inspect-result').textContent = r.ok ? JSON.stringify(JSON.parse(text), null, 2) : r.status + ': ' + text;
  } catch (e) {
    $('#inspect-result').textContent = text;
  }
}

/** Shows the request in the dialog; sends it only when the operator confirms. */
function confirmAction(title, method, path, body, withReason) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = title;
  $('#confirm-fields').hidden = !withReason;
  const show = () => {
    const full = Object.assign({}, body);
    if (withReason) {
      full.reason = $('#confirm-reason').value;
      full.duration = $('#confirm-duration').value;
    }
    $('#confirm-request').textContent = method + ' ' + path + '\n' + JSON.stringify(full, null, 2);
    return full;
  };
  show();
  const update = () => show();
  $('#confirm-reason').oninput = update;
  $('#confirm-duration').oninput = update;
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'ok') { status('cancelled: ' + title); return; }
    const full = show();
    try {
      const r = await fetch(path, {
        method, credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(full),
      });
      const text = (await r.text()).trim();
      status((r.ok ? 'done: ' : 'refused (' + r.status + '): ') + title + (r.ok ? '' : ': ' + text), !r.ok);
    } catch (e) {
      status(title + ': ' + e.message, true);
    }
    refresh();
  };
  dialog.returnValue = '';
  dialog.showModal();
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const socket = new WebSocket(scheme + location.host + ROUTES.live);
  state.socket = socket;
  socket.onopen = () => { $('#live').textContent = 'live'; $('#live').className = 'badge'; };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.records && message.records.length) {
      state.records.push(...message.records);
      if (state.records.length > MAX_RECORDS) state.records.splice(0, state.records.length - MAX_RECORDS);
      renderRecords();
    }
    refresh();
  };
  socket.onclose = () => {
    $('#live').textContent = 'disconnected, retrying';
    $('#live').className = 'badge off';
    setTimeout(connect, 2000);
  };
}

$('#host').textContent = location.host;
$('#record-type').addEventListener('change', renderRecords);
$('#record-filter').addEventListener('input', renderRecords);
$('#inspect-form').addEventListener('submit', (e) => { e.preventDefault(); inspect(); });
$('#bounce-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const domain = $('#bounce-domain').value.trim();
  if (domain) confirmAction('Bounce every message to ' + domain, 'POST', ROUTES.bounce, { domain }, true);
});
refresh();
renderRecords();
connect();
setInterval(() => { if (!state.socket || state.socket.readyState !== WebSocket.OPEN) refresh(); }, 5000);

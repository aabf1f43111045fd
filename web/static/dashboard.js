// Parley dashboard: totals from GET /v1/stats as cards, and the charts GET /v1/stats/charts draws
// on the server (SVG), for the range, bucket and pack chosen in the form (kept in the page URL).
import { api, el } from './common.js';
import { signedOut, staffNav } from './staff.js';

const $ = (id) => document.getElementById(id);
const form = $('range');
let timer = null;

/** query turns the form into the API's parameters; the "to" date is inclusive in the form. */
function query() {
  const p = new URLSearchParams();
  if (form.from.value) p.set('from', form.from.value);
  if (form.to.value) {
    const d = new Date(form.to.value + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1);
    p.set('to', d.toISOString().slice(0, 10));
  }
  p.set('bucket', form.bucket.value);
  if (form.pack.value) p.set('pack', form.pack.value);
  return p;
}

/** fromURL fills the form from the page's own query string (from, to exclusive, bucket, pack). */
function fromURL() {
  const q = new URLSearchParams(location.search);
  if (q.get('from')) form.from.value = q.get('from').slice(0, 10);
  if (q.get('to')) {
    const d = new Date(q.get('to').slice(0, 10) + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() - 1);
    form.to.value = d.toISOString().slice(0, 10);
  }
  if (q.get('bucket')) form.bucket.value = q.get('bucket');
  return q.get('pack') || '';
}

const pctText = (v) => (v === null || v === undefined ? '—' : Math.round(v * 100) + '%');
function durText(v) {
  if (v === null || v === undefined) return '—';
  if (v >= 3600) return (v / 3600).toFixed(1) + ' h';
  if (v >= 60) return (v / 60).toFixed(1) + ' min';
  return Math.round(v) + ' s';
}

function card(name, label, value) {
  return el('div', { class: 'card stat', dataset: { stat: name } }, el('div', { class: 'label', text: label }), el('div', { class: 'value', text: value }));
}

function renderCards(st) {
  const n = st.conversations || 0;
  let handoffs = 0;
  let satisfied = 0;
  let rated = 0;
  for (const p of Object.values(st.pack_totals || {})) {
    handoffs += p.handoffs;
    satisfied += p.satisfied_share === null ? 0 : p.satisfied_share * p.csat_count;
    rated += p.csat_count;
  }
  $('stats').replaceChildren(
    card('conversations', 'Conversations', n.toLocaleString()),
    card('resolution_rate', 'Resolved without a person', n ? pctText(st.resolved / n) : '—'),
    card('handoff_rate', 'Handed to a person', n ? pctText(handoffs / n) : '—'),
    card('csat_average', 'CSAT average', st.csat_average === null ? '—' : st.csat_average.toFixed(2) + ' / 5'),
    card('csat_satisfied', 'CSAT (4 or 5)', rated ? pctText(satisfied / rated) : '—'),
    card('median_resolution_secs', 'Median time to resolution', durText(st.median_resolution_secs)),
    card('messages', 'Customer messages', (st.messages || 0).toLocaleString()));
  const r = st.range || {};
  $('range-label').textContent = r.from ? `Charts: ${new Date(r.from).toLocaleString()} to ${new Date(r.to).toLocaleString()}, by ${r.bucket}` : '';
}

async function loadCharts(q) {
  const res = await fetch('/v1/stats/charts?' + q, { headers: { Accept: 'text/html' } });
  const text = await res.text();
  if (!res.ok) {
    let msg = text;
    try { msg = JSON.parse(text).error.message; } catch { /* not JSON */ }
    throw Object.assign(new Error(msg), { status: res.status });
  }
  // The fragment is drawn and escaped by the server; a template keeps it inert until inserted.
  const t = document.createElement('template');
  t.innerHTML = text;
  $('charts').replaceChildren(t.content);
}

async function load() {
  const q = query();
  const started = performance.now();
  const csv = new URLSearchParams(q);
  csv.delete('bucket');
  csv.set('format', 'csv');
  $('csv-conversations').href = '/v1/explore?' + csv;
  try {
    const [st] = await Promise.all([api('/v1/stats?' + q), loadCharts(q)]);
    renderCards(st);
    document.body.dataset.chartsMs = String(Math.round(performance.now() - started));
    document.body.dataset.ready = 'true';
    $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    if (signedOut(e)) return;
    $('charts').replaceChildren(el('p', { class: 'error', role: 'alert', text: e.message }));
    document.body.dataset.ready = 'error';
  }
  clearTimeout(timer);
  // A range that ends in the past does not change; the live view refreshes.
  if (!form.to.value) timer = setTimeout(load, 15000);
}

async function packs(selected) {
  try {
    const body = await api('/v1/packs');
    const list = Array.isArray(body) ? body : (body.packs || []);
    for (const p of list) {
      const name = p.name || p;
      form.pack.append(el('option', { value: name, text: p.title || name }));
    }
  } catch { /* the pack list is a convenience; the charts still load */ }
  form.pack.value = selected;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  history.replaceState(null, '', '?' + query());
  load();
});

const pack = fromURL();
staffNav();
packs(pack).then(load);

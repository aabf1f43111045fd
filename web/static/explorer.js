// Parley conversation explorer for staff: search by words, pack, status, modality, date and CSAT
// (GET /v1/explore), and read a conversation without changing it: its summary and emotion
// timeline, each fact with the evidence behind it (modality, stage, confidence, crop), the
// messages with their media, and the reasoning decisions.
import { api, el, renderPart, fmtValue, safeURL, modalityIcon } from './common.js';
import { loadTimeline, timelineNodes } from './timeline.js';
import { signedOut, staffNav } from './staff.js';

const $ = (id) => document.getElementById(id);
const form = $('search');
let next = null;
let current = null;

function query() {
  const p = new URLSearchParams();
  for (const k of ['q', 'pack', 'status', 'from', 'csat_min', 'csat_max']) {
    const v = form[k].value.trim();
    if (v) p.set(k, v);
  }
  if (form.to.value) {
    const d = new Date(form.to.value + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1);
    p.set('to', d.toISOString().slice(0, 10));
  }
  const mods = [...form.querySelectorAll('input[name=modality]:checked')].map((c) => c.value);
  if (mods.length) p.set('modality', mods.join(','));
  return p;
}

function fromURL() {
  const q = new URLSearchParams(location.search);
  for (const k of ['q', 'status', 'from', 'csat_min', 'csat_max']) if (q.get(k)) form[k].value = q.get(k);
  for (const m of (q.get('modality') || '').split(',')) {
    const box = form.querySelector(`input[name=modality][value="${CSS.escape(m)}"]`);
    if (box) box.checked = true;
  }
  return { pack: q.get('pack') || '', open: q.get('open') || '' };
}

const day = (t) => new Date(t).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
const modNames = { text: 'text', image: 'photo', audio: 'voice', video: 'video' };

function resultItem(c) {
  const bits = [c.pack, c.status, c.csat ? `CSAT ${c.csat}` : null, (c.modality_names || []).map((m) => modNames[m] || m).join('+') || 'no input',
    `${c.messages} msg`].filter(Boolean).join(' · ');
  return el('li', {}, el('button', { type: 'button', dataset: { conversation: c.id }, 'aria-current': String(c.id === current), onclick: () => open(c.id) },
    el('strong', { text: c.snippet || '(no text)' }), el('span', { class: 'sub', text: bits }), el('span', { class: 'sub', text: day(c.created_at) })));
}

async function search(more = false) {
  const q = query();
  const csv = new URLSearchParams(q);
  csv.set('format', 'csv');
  $('csv').href = '/v1/explore?' + csv;
  if (more && next) q.set('before', next);
  try {
    const body = await api('/v1/explore?' + q);
    const items = body.conversations.map(resultItem);
    if (more) $('results').append(...items);
    else $('results').replaceChildren(...items);
    if (!more && !items.length) $('results').replaceChildren(el('li', { class: 'muted', text: 'No conversation matches.' }));
    next = body.next_before;
    $('more').hidden = !next;
    $('r-count').textContent = String($('results').querySelectorAll('button').length) + (next ? '+' : '');
    document.body.dataset.results = String($('results').querySelectorAll('button').length);
  } catch (e) {
    if (signedOut(e)) return;
    $('results').replaceChildren(el('li', { class: 'error', role: 'alert', text: e.message }));
  }
}

function evidenceTable(evs, crops = []) {
  const head = el('tr', {}, ...['Value', 'Modality', 'Stage', 'Confidence', 'Crop', 'Message'].map((h) => el('th', { text: h })));
  const rows = (evs || []).map((e) => {
    // The crop is on the evidence itself, or stored by the stage beside the reading it backs.
    const beside = crops.find((c) => c.message_id === e.message_id && c.stage === e.stage);
    const crop = safeURL(e.crop || (beside && beside.url));
    return el('tr', { dataset: { stage: e.stage || '', modality: e.modality || '' } },
      el('td', { text: fmtValue(e.value) }),
      el('td', { text: `${modalityIcon[e.modality] || ''} ${e.modality || ''}${e.via ? ' via ' + e.via : ''}` }),
      el('td', { text: e.stage || '' }),
      el('td', { text: Math.round((e.confidence || 0) * 100) + '%' }),
      el('td', {}, crop ? el('a', { href: crop, target: '_blank', rel: 'noopener' }, el('img', { class: 'crop', src: crop, alt: `the region the ${e.stage} stage read` })) : el('span', { class: 'muted', text: '—' })),
      el('td', { class: 'muted small', text: e.kind === 'confirmation' ? 'confirmed by the customer' : (e.message_id || '').slice(0, 8) }));
  });
  return el('div', { class: 'table-scroll' }, el('table', { class: 'evidence' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function facts(state, crops) {
  const out = [];
  for (const [name, slot] of Object.entries(state.slots || {})) {
    if (slot.value === null || slot.value === undefined) continue;
    out.push(el('div', { class: 'slot', dataset: { slot: name } },
      el('div', { class: 'slot-head' }, el('span', { class: 'slot-name', text: name.replace(/_/g, ' ') }),
        el('span', { class: 'status status-' + (slot.status === 'conflicting' ? 'conflict' : slot.status), text: slot.status })),
      el('div', { class: 'slot-value', text: fmtValue(slot.value) }), evidenceTable(slot.evidence, crops.filter((c) => c.slot === name))));
  }
  for (const f of state.findings || []) {
    out.push(el('div', { class: 'slot', dataset: { finding: f.name } },
      el('div', { class: 'slot-head' }, el('span', { class: 'slot-name', text: `${f.kind}: ${f.name}` })),
      el('div', { class: 'slot-value', text: f.value }), evidenceTable([f])));
  }
  return out.length ? out : [el('p', { class: 'muted', text: 'No facts were gathered.' })];
}

function messages(list) {
  const out = [];
  for (const m of list || []) {
    const body = el('div', { class: 'bubble' });
    if (m.text) body.append(el('p', { class: 'part part-text', text: m.text }));
    for (const p of m.parts || []) {
      const url = '/v1/blobs/' + encodeURIComponent(p.hash || '');
      if (p.kind === 'image') body.append(el('a', { href: url, target: '_blank', rel: 'noopener' }, el('img', { class: 'upload thumb', src: url, alt: p.name || 'customer photo' })));
      else if (p.kind === 'audio') body.append(el('audio', { controls: true, preload: 'none', src: url, 'aria-label': 'customer audio' }));
      else if (p.kind === 'video') body.append(el('video', { controls: true, preload: 'none', src: url, 'aria-label': 'customer video', class: 'upload thumb' }));
    }
    const cls = m.role === 'agent' ? 'agent' : 'user';
    out.push(el('li', { class: 'msg ' + cls }, el('div', { class: 'who', text: cls === 'agent' ? 'Agent' : 'Customer' }), body));
    if (m.reply) {
      const rb = el('div', { class: 'bubble' });
      for (const p of m.reply.parts || []) { const n = renderPart(p); if (n) rb.append(n); }
      out.push(el('li', { class: 'msg bot' }, el('div', { class: 'who', text: 'Parley' }), rb));
    }
  }
  return out;
}

function decisions(list) {
  if (!list.length) return el('p', { class: 'muted', text: 'No reasoning decision was recorded.' });
  const head = el('tr', {}, ...['When', 'Route', 'Why', 'Coverage', 'Complexity', 'Cloud'].map((h) => el('th', { text: h })));
  return el('table', { class: 'evidence' }, el('thead', {}, head), el('tbody', {}, ...list.map((d) => el('tr', {},
    el('td', { text: new Date(d.at).toLocaleTimeString() }), el('td', { text: d.route }), el('td', { text: d.reason }),
    el('td', { text: Math.round((d.coverage || 0) * 100) + '%' }), el('td', { text: Math.round((d.complexity || 0) * 100) + '%' }),
    el('td', { text: d.cloud_tried ? (d.cloud_error ? 'failed: ' + d.cloud_error : `asked (${Math.round(d.cloud_ms || 0)} ms)`) : 'not asked' })))));
}

async function open(id) {
  current = id;
  for (const b of $('results').querySelectorAll('button')) b.setAttribute('aria-current', String(b.dataset.conversation === id));
  const enc = encodeURIComponent(id);
  $('d-title').textContent = 'Conversation ' + id;
  try {
    const [c, timeline, ds] = await Promise.all([api('/v1/conversations/' + enc), loadTimeline(id),
      api('/v1/conversations/' + enc + '/decisions').catch(() => [])]);
    if (current !== id) return;
    $('d-summary').textContent = timeline.tl.summary;
    $('d-badges').replaceChildren(...[c.pack, c.status, c.csat ? `CSAT ${c.csat.score}/5` : 'no CSAT',
      c.handoff ? 'handed off: ' + c.handoff.reason : null].filter(Boolean).map((t) => el('span', { class: 'badge', text: t })));
    $('d-timeline').replaceChildren(...timelineNodes(timeline));
    $('d-facts').replaceChildren(...facts(c.state || {}, timeline.tl.crops || []));
    $('d-history').replaceChildren(...messages(c.messages));
    $('d-decisions').replaceChildren(decisions(Array.isArray(ds) ? ds : (ds.decisions || [])));
    $('detail').hidden = false;
    document.body.dataset.open = id;
    const u = new URL(location.href);
    u.searchParams.set('open', id);
    history.replaceState(null, '', u);
  } catch (e) {
    $('d-summary').textContent = e.message;
    $('detail').hidden = false;
  }
}

async function packs(selected) {
  try {
    const body = await api('/v1/packs');
    for (const p of body.packs || []) form.pack.append(el('option', { value: p.name, text: p.title || p.name }));
  } catch { /* searching all packs still works */ }
  form.pack.value = selected;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const u = new URL(location.href);
  u.search = query().toString();
  history.replaceState(null, '', u);
  search();
});
$('more').addEventListener('click', () => search(true));

const init = fromURL();
staffNav();
packs(init.pack).then(() => search()).then(() => {
  document.body.dataset.ready = 'true';
  if (init.open) open(init.open);
});

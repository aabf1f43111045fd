// Parley agent console: the human handoff queue, the context summary and a reply box.
import { api, el, renderPart, fmtValue } from './common.js';
import { loadTimeline, timelineNodes } from './timeline.js';
import { csrfHeaders, signedOut, staffNav } from './staff.js';

const $ = (id) => document.getElementById(id);
let current = null;
let events = null;

function items(body) {
  if (Array.isArray(body)) return body;
  return (body && (body.handoffs || body.items || body.conversations)) || [];
}

function convID(h) { return h.conversation_id || h.id; }

async function loadQueue() {
  let list = [];
  try { list = items(await api('/v1/handoffs')); } catch (e) { if (signedOut(e)) return; $('queue').replaceChildren(el('li', { class: 'error', text: e.message })); return; }
  $('q-count').textContent = String(list.length);
  if (!list.length) { $('queue').replaceChildren(el('li', { class: 'muted', text: 'Nobody is waiting.' })); return; }
  $('queue').replaceChildren(...list.map((h) => {
    const id = convID(h);
    const ho = h.handoff || {};
    const when = ho.at || h.updated_at;
    return el('li', {}, el('button', { type: 'button', 'aria-current': String(id === current), dataset: { conversation: id }, onclick: () => open(id, h) },
      el('strong', { text: `${h.pack || 'conversation'} · ${ho.reason || 'handoff'}` }),
      el('span', { class: 'sub', text: (ho.summary || '').slice(0, 90) }),
      when ? el('span', { class: 'sub', text: new Date(when).toLocaleTimeString() }) : null));
  }));
}

async function open(id, h = {}) {
  current = id;
  $('c-title').textContent = 'Conversation ' + id;
  $('detail').hidden = false;
  $('reply-status').textContent = '';
  $('camera').hidden = true;
  $('camera-img').removeAttribute('src');
  await loadConversation(id, h);
  loadQueue();
  if (events) events.close();
  events = new EventSource('/v1/conversations/' + encodeURIComponent(id) + '/events');
  for (const n of ['message', 'agent_reply', 'state']) events.addEventListener(n, () => loadConversation(id, h));
  events.addEventListener('edge', (e) => showCamera(id, e.data));
}

// showCamera shows the thumbnail of the customer's camera that a live call's device sent (about
// every 30 s, in the edge event), with the time it came.
function showCamera(id, data) {
  let url = '';
  try { url = (JSON.parse(data) || {}).thumbnail || ''; } catch { return; }
  if (current !== id || !url.startsWith('/v1/blobs/')) return;
  $('camera-img').src = url;
  $('camera-at').textContent = 'Camera at ' + new Date().toLocaleTimeString();
  $('camera').hidden = false;
}

async function loadConversation(id, h) {
  const c = await api('/v1/conversations/' + encodeURIComponent(id));
  const s = c.state || {};
  const ho = c.handoff || h.handoff || {};
  $('summary').textContent = ho.summary || 'No summary.';
  try {
    const timeline = await loadTimeline(id);
    if (current !== id) return;
    $('summary').textContent = timeline.tl.summary;
    $('timeline').replaceChildren(...timelineNodes(timeline));
  } catch (e) {
    $('timeline').replaceChildren(el('p', { class: 'error', text: e.message }));
  }
  $('facts').replaceChildren(...Object.entries(s.slots || {}).map(([k, v]) =>
    el('span', { class: 'badge', title: v.status, text: `${k.replace(/_/g, ' ')}: ${fmtValue(v.value)} (${v.status})` })));
  if (s.affect) {
    $('facts').append(el('span', { class: 'badge badge-style', text: `frustration ${Math.round((s.affect.frustration || 0) * 100)}%` }),
      el('span', { class: 'badge badge-style', text: `confusion ${Math.round((s.affect.confusion || 0) * 100)}%` }));
  }
  const hist = $('history');
  hist.replaceChildren();
  for (const m of c.messages || []) {
    const role = m.role || 'customer';
    const cls = role === 'customer' || role === 'user' ? 'user' : role === 'agent' || role === 'human' ? 'agent' : 'bot';
    const body = el('div', { class: 'bubble' });
    if (m.text) body.append(el('p', { class: 'part part-text', text: m.text }));
    for (const p of m.parts || []) {
      const url = '/v1/blobs/' + encodeURIComponent(p.hash || '');
      if (p.kind === 'image') body.append(el('a', { href: url, target: '_blank', rel: 'noopener' }, el('img', { class: 'upload thumb', src: url, alt: p.name || 'customer photo' })));
      else if (p.kind === 'audio') body.append(el('audio', { controls: true, preload: 'none', src: url, 'aria-label': 'customer audio' }));
      else body.append(el('a', { class: 'file', href: url, target: '_blank', rel: 'noopener', text: `▶ ${p.name || p.kind || 'file'}` }));
    }
    const who = cls === 'agent' ? 'Agent' : cls === 'user' ? 'Customer' : 'Parley';
    hist.append(el('li', { class: 'msg ' + cls }, el('div', { class: 'who', text: who }), body));
    if (m.reply) {
      const rb = el('div', { class: 'bubble' });
      for (const p of m.reply.parts || []) { const n = renderPart(p); if (n) rb.append(n); }
      hist.append(el('li', { class: 'msg bot' }, el('div', { class: 'who', text: 'Parley' }), rb));
    }
  }
  hist.scrollTop = hist.scrollHeight;
}

$('reply').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('reply-text').value.trim();
  if (!text || !current) return;
  try {
    await api('/v1/conversations/' + encodeURIComponent(current) + '/agent-reply', { method: 'POST', json: { text }, headers: csrfHeaders() });
    $('reply-text').value = '';
    $('reply-status').textContent = 'Sent.';
    await loadConversation(current, {});
  } catch (err) {
    if (signedOut(err)) return;
    $('reply-status').textContent = 'Not sent: ' + err.message;
  }
});

staffNav();
loadQueue();
setInterval(loadQueue, 5000);

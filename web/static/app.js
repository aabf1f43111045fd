// Parley web chat: text, files, voice notes, live voice and camera, with a live view of the
// conversation state. Everything goes through the public HTTP API (/v1/...) and the live WebSocket.
import { api, el, renderPart, styleBadges, fmtValue, modalityIcon, meter, safeURL } from './common.js';
import { openMic, PCMCapture, encodeWAV, Player, stopStream } from './audio.js';
import { loadEdge, loadFace, faceReporter, speechSender, judgeCheckPhotos } from './edge.js';

const $ = (id) => document.getElementById(id);
const ui = {
  pack: $('pack'), thread: $('thread'), typing: $('typing'), form: $('composer'), text: $('text'),
  file: $('file'), attachments: $('attachments'), record: $('record'), recordStatus: $('record-status'),
  live: $('live'), cam: $('cam'), liveBar: $('live-bar'), liveStatus: $('live-status'), livePartial: $('live-partial'),
  vad: $('vad'), camera: $('camera'), frames: $('frames'), liveEnd: $('live-end'), panel: $('state-panel'),
  togglePanel: $('toggle-panel'), newConv: $('new-conv'), handoff: $('handoff'), csat: $('csat'), toast: $('toast'),
};

const app = {
  conv: null,          // {id, pack}
  creating: null,      // promise while a conversation is being created
  events: null,        // EventSource
  seen: new Set(),     // reply message ids already rendered
  files: [],           // attachments waiting to be sent
  state: null,
  refreshTimer: 0,
};

// ---------- conversation ----------

async function ensureConversation() {
  if (app.conv) return app.conv;
  if (!app.creating) {
    app.creating = api('/v1/conversations', { method: 'POST', json: { pack: ui.pack.value } })
      .then((r) => {
        setConversation({ id: r.id, pack: r.pack || ui.pack.value });
        if (r.greeting) {
          // The conversation is created with its first message, so the greeting goes above it.
          const g = addBubble('bot greeting', { label: 'Parley' });
          g.body.append(el('p', { class: 'part part-text', text: r.greeting }));
          $('welcome').after(g.li);
        }
        return app.conv;
      })
      .finally(() => { app.creating = null; });
  }
  return app.creating;
}

function setConversation(conv) {
  app.conv = conv;
  document.body.dataset.conversation = conv.id;
  history.replaceState(null, '', '#c=' + encodeURIComponent(conv.id));
  $('conv-id').textContent = 'Conversation ' + conv.id;
  $('st-pack').textContent = ui.pack.selectedOptions[0] ? ui.pack.selectedOptions[0].textContent : conv.pack;
  ui.handoff.disabled = false;
  subscribe(conv.id);
}

function resetConversation() {
  stopLive();
  if (app.events) app.events.close();
  app.events = null;
  app.conv = null;
  app.seen.clear();
  app.state = null;
  delete document.body.dataset.conversation;
  history.replaceState(null, '', location.pathname);
  for (const n of [...ui.thread.children]) if (n.id !== 'welcome') n.remove();
  renderState({ slots: {}, affect: {} });
  $('st-status').textContent = 'new';
  $('st-skill').textContent = 'none yet';
  $('conv-id').textContent = '';
  ui.handoff.disabled = true;
  ui.csat.hidden = true;
}

async function loadConversation(id) {
  const c = await api('/v1/conversations/' + encodeURIComponent(id));
  if (c.pack) ui.pack.value = c.pack;
  setConversation({ id: c.id || id, pack: c.pack });
  for (const m of c.messages || []) renderStoredMessage(m);
  if (c.state) renderState(c.state);
  if (c.status) $('st-status').textContent = statusLabel(c.status);
}

// renderStoredMessage draws one message from GET /v1/conversations/{id}.
function renderStoredMessage(m) {
  const role = m.role || 'customer';
  if (role === 'customer' || role === 'user') {
    const b = addBubble('user', { id: m.id });
    if (m.text) b.body.append(el('p', { class: 'part part-text', text: m.text }));
    for (const p of m.parts || []) { const n = storedPartNode(p); if (n) b.body.append(n); }
    if (m.reply) addReply(m.id, m.reply);
  } else if (role === 'agent' || role === 'human') {
    addAgentMessage(m.id, m.text || '', m.reply);
  } else if (m.reply) {
    addReply(m.id, m.reply);
  }
}

// storedPartNode renders a stored customer part (a blob reference).
function storedPartNode(p) {
  const url = safeURL(p.url || (p.sha256 || p.hash ? '/v1/blobs/' + (p.sha256 || p.hash) : ''));
  const kind = p.kind || p.type || (p.mime || '').split('/')[0];
  if (!url) return null;
  if (kind === 'image') return el('img', { class: 'upload', src: url, alt: p.name || 'image you sent' });
  if (kind === 'audio') return el('audio', { controls: true, preload: 'none', src: url, 'aria-label': 'audio you sent' });
  if (kind === 'video') return el('video', { class: 'upload', controls: true, preload: 'metadata', src: url, 'aria-label': 'video you sent' });
  return el('a', { href: url, text: p.name || 'file' });
}

// ---------- events (SSE) ----------

function subscribe(id) {
  if (app.events) app.events.close();
  if (!window.EventSource) return;
  const es = new EventSource('/v1/conversations/' + encodeURIComponent(id) + '/events');
  app.events = es;
  const on = (name, fn) => es.addEventListener(name, (e) => {
    let data = null;
    try { data = JSON.parse(e.data); } catch { return; }
    fn(data || {});
  });
  on('state', (d) => renderState(d.state || d));
  on('reply', (d) => {
    const r = d.reply || (d.parts ? d : null);
    const mid = d.message_id || d.id;
    if (r && mid) {
      if (d.role === 'agent' || d.agent) addAgentMessage(mid, '', r);
      else addReply(mid, r);
    }
    if (d.state) renderState(d.state);
  });
  on('affect', (d) => {
    const affect = d.affect || d;
    if (app.state) { app.state.affect = { ...(app.state.affect || {}), ...affect }; renderAffect(app.state.affect); }
    if (d.style) renderStyle(d.style);
  });
  on('slot', (d) => {
    if (!d.name || !d.slot || !app.state) return;
    app.state.slots = { ...(app.state.slots || {}), [d.name]: d.slot };
    renderSlots(app.state.slots);
  });
  on('skill', (d) => { if (d.to) $('st-skill').textContent = humanize(d.to); });
  on('observation', (d) => {
    const o = d.observation || d;
    if (o.kind === 'transcript') {
      const text = o.text || (typeof o.value === 'string' ? o.value : o.value && o.value.text);
      const mid = d.message_id || (o.source && o.source.message_id) || o.message_id;
      if (text) setTranscript(mid, text);
    }
  });
  on('message', (d) => {
    const m = d.message || d;
    // A spoken message from the live call: show it now; its transcript follows.
    if (live.ws && m.message_id && (m.parts || []).some((p) => p.kind === 'audio' && p.name === 'utterance.wav')) liveBubble(m.message_id);
    if ((m.role === 'agent' || m.role === 'human') && m.text) addAgentMessage(m.id || d.message_id, m.text);
  });
  on('agent_reply', (d) => { if (d.message_id) addAgentMessage(d.message_id, '', d.reply); });
  on('handoff', () => { $('st-status').textContent = 'with a person'; scheduleRefresh(); });
  for (const name of ['slot', 'affect', 'handoff', 'reply', 'agent_reply']) es.addEventListener(name, scheduleRefresh);
}

// scheduleRefresh re-reads the conversation after bursts of events, so the panel always converges on
// the stored state whatever the event payloads carry.
function scheduleRefresh() {
  clearTimeout(app.refreshTimer);
  app.refreshTimer = setTimeout(refresh, 250);
}

async function refresh() {
  if (!app.conv) return;
  try {
    const c = await api('/v1/conversations/' + encodeURIComponent(app.conv.id));
    if (c.state) renderState(c.state);
    if (c.status) $('st-status').textContent = statusLabel(c.status);
    for (const m of c.messages || []) {
      if ((m.role === 'agent' || m.role === 'human') && !app.seen.has(m.id)) addAgentMessage(m.id, m.text || '', m.reply);
      if (m.role === 'customer' || m.role === 'user') {
        const b = ui.thread.querySelector(`li.user[data-message-id="${CSS.escape(m.id)}"]`);
        if (b && m.text && !b.querySelector('.part-text') && !b.dataset.transcript) setTranscript(m.id, m.text);
        if (b && !b.dataset.stored) markStored(b, m.parts || []);
      }
    }
  } catch (e) { /* the next event retries */ }
}

// markStored swaps local previews for the server's copies once the message is stored.
function markStored(b, parts) {
  const media = [...b.querySelectorAll('img.upload, audio.upload, video.upload')];
  let i = 0;
  for (const p of parts) {
    const url = safeURL(p.url || (p.sha256 || p.hash ? '/v1/blobs/' + (p.sha256 || p.hash) : ''));
    if (!url || i >= media.length) continue;
    media[i++].src = url;
  }
  b.dataset.stored = 'true';
}

// ---------- thread rendering ----------

// toBottom keeps the newest message in view once the browser has laid it out.
function toBottom() {
  requestAnimationFrame(() => { ui.thread.scrollTop = ui.thread.scrollHeight; });
}

// Pictures and players change height when they load; follow them if the reader is at the bottom.
const follow = () => { if (ui.thread.scrollHeight - ui.thread.scrollTop - ui.thread.clientHeight < 400) toBottom(); };
ui.thread.addEventListener('load', follow, true);
ui.thread.addEventListener('loadedmetadata', follow, true);

function addBubble(kind, { id, label } = {}) {
  const body = el('div', { class: 'bubble' });
  const meta = el('div', { class: 'meta' });
  const li = el('li', { class: 'msg ' + kind }, label ? el('div', { class: 'who', text: label }) : null, body, meta);
  if (id) li.dataset.messageId = id;
  ui.thread.append(li);
  toBottom();
  return { li, body, meta };
}

function addReply(messageId, reply) {
  if (messageId && app.seen.has(messageId)) return;
  if (messageId) app.seen.add(messageId);
  const b = addBubble('bot', { id: messageId, label: 'Parley' });
  b.li.dataset.replyFor = messageId || '';
  for (const p of reply.parts || []) { const n = renderPart(p); if (n) b.body.append(n); }
  const badges = styleBadges(reply.style);
  if (badges.length) {
    b.meta.append(el('div', { class: 'badges' }, badges.map(([t, title]) => el('span', { class: 'badge badge-style', title, text: t }))));
  }
  if (reply.style && reply.style.offer_human) {
    b.body.append(el('button', { class: 'btn small', type: 'button', text: 'Talk to a person', onclick: requestHandoff }));
  }
  if (reply.style) renderStyle(reply.style);
  toBottom();
  return b;
}

function addAgentMessage(id, text, reply) {
  if (id && app.seen.has(id)) return;
  if (id) app.seen.add(id);
  const b = addBubble('agent', { id, label: 'Support agent' });
  if (text) b.body.append(el('p', { class: 'part part-text', text }));
  for (const p of (reply && reply.parts) || []) { const n = renderPart(p); if (n) b.body.append(n); }
}

function setTranscript(messageId, text, li) {
  let b = li || (messageId ? ui.thread.querySelector(`li.user[data-message-id="${CSS.escape(messageId)}"]`) : null);
  if (!b) b = [...ui.thread.querySelectorAll('li.user.voice:not([data-transcript])')].pop();
  if (!b) return;
  b.dataset.transcript = text;
  let t = b.querySelector('.transcript');
  if (!t) { t = el('p', { class: 'transcript' }); b.querySelector('.bubble').append(t); }
  t.classList.remove('muted');
  t.textContent = '“' + text + '”';
}

function toast(msg) {
  ui.toast.textContent = msg;
  ui.toast.hidden = false;
  clearTimeout(toast.t);
  toast.t = setTimeout(() => { ui.toast.hidden = true; }, 6000);
}

// ---------- state panel ----------

function renderState(state) {
  if (!state) return;
  app.state = state;
  $('st-skill').textContent = humanize(state.skill) || 'none yet';
  if (state.step) $('st-skill').append(el('span', { class: 'muted', text: ' · ' + humanize(state.step) }));
  if (state.handoff) $('st-status').textContent = 'with a person';
  else if (state.resolved) { $('st-status').textContent = 'resolved'; ui.csat.hidden = false; }
  else if (app.conv) $('st-status').textContent = 'open';
  renderSlots(state.slots || {});
  renderAffect(state.affect || {});
}

function renderSlots(slots) {
  const list = $('slots');
  const names = Object.keys(slots).sort();
  list.replaceChildren();
  if (!names.length) { list.append(el('li', { class: 'muted empty', text: 'Nothing yet.' })); return; }
  for (const name of names) {
    const s = slots[name] || {};
    const byModality = {};
    for (const ev of s.evidence || []) (byModality[ev.modality || 'text'] ||= []).push(ev);
    const chips = Object.entries(byModality).map(([mod, evs]) => el('span', {
      class: 'chip chip-' + mod, dataset: { modality: mod },
      title: evs.map((e) => `${e.stage || mod} · ${pct(e.confidence)}%${e.value !== undefined ? ' · ' + fmtValue(e.value) : ''}`).join('\n'),
    }, `${modalityIcon[mod] || '•'} ${mod}${evs.length > 1 ? ' ×' + evs.length : ''}`));
    const status = s.status || 'unknown';
    list.append(el('li', { class: 'slot', dataset: { slot: name, status } },
      el('div', { class: 'slot-head' },
        el('span', { class: 'slot-name', text: humanize(name) }),
        el('span', { class: 'status status-' + status, text: status })),
      el('div', { class: 'slot-value', text: fmtSlot(name, s.value) }),
      chips.length ? el('div', { class: 'chips', 'aria-label': 'evidence' }, chips) : null));
  }
}

function fmtSlot(name, v) {
  if (typeof v === 'number' && /amount|balance|price|total|charge/.test(name)) {
    return v.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
  }
  return fmtValue(v);
}

function pct(x) { return Math.round(Math.max(0, Math.min(1, Number(x) || 0)) * 100); }

function renderAffect(a) {
  $('affect').replaceChildren(meter('frustration', 'Frustration', a.frustration), meter('confusion', 'Confusion', a.confusion));
  // The latest distinct causes, newest first: a facial cue ("face: brows lowered for 2 s") is
  // reported every frame, so it shows once with its latest duration.
  const seen = new Set();
  const items = [];
  for (const c of (a.why || []).slice().reverse()) {
    const src = String(c.source || c.modality || '');
    const cue = src.startsWith('face: ') ? src.slice(6) : '';
    const key = (cue ? 'face: ' + cue.replace(/ for [\d.]+ s$/, '') : src) + '|' + c.dimension;
    if (seen.has(key) || items.length >= 3) continue;
    seen.add(key);
    const v = (Number(c.value) || 0).toFixed(2);
    const text = cue ? `face: ${cue} → ${c.dimension} ${v}` : `${src}: ${c.dimension} ${c.value >= 0 ? '+' : ''}${v}`;
    items.push(el('li', { text, dataset: { source: cue ? 'face-cue' : src, dimension: c.dimension || '' } }));
  }
  $('affect-why').replaceChildren(...items);
}

function renderStyle(style) {
  const box = $('st-style');
  box.replaceChildren(...styleBadges(style).map(([t, title]) => el('span', { class: 'badge badge-style', title, text: t })));
  if (style.reason) box.title = style.reason;
}

function statusLabel(s) {
  return { open: 'open', handoff: 'with a person', resolved: 'resolved', closed: 'closed' }[s] || humanize(s);
}

function humanize(s) { return s ? String(s).replace(/[_-]+/g, ' ') : ''; }

// ---------- sending ----------

function kindOf(file) {
  const t = (file.type || '').split('/')[0];
  if (['image', 'audio', 'video'].includes(t)) return t;
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  if (['jpg', 'jpeg', 'png', 'gif', 'webp', 'bmp', 'tif', 'tiff', 'heic'].includes(ext)) return 'image';
  if (['wav', 'mp3', 'ogg', 'opus', 'm4a', 'flac', 'aac'].includes(ext)) return 'audio';
  if (['mp4', 'webm', 'mov', 'mkv', 'avi'].includes(ext)) return 'video';
  return '';
}

function previewNode(file, kind) {
  const url = URL.createObjectURL(file);
  if (kind === 'image') return el('img', { class: 'upload', src: url, alt: file.name });
  if (kind === 'audio') return el('audio', { class: 'upload', controls: true, src: url, 'aria-label': file.name });
  return el('video', { class: 'upload', controls: true, preload: 'metadata', src: url, 'aria-label': file.name });
}

function renderAttachments() {
  ui.attachments.replaceChildren(...app.files.map((f, i) => el('span', { class: 'attachment' },
    `${{ image: '▣', audio: '♪', video: '▶' }[kindOf(f)] || ''} ${f.name}`,
    el('button', { type: 'button', class: 'x', 'aria-label': 'Remove ' + f.name, text: '×', onclick: () => { app.files.splice(i, 1); renderAttachments(); } }))));
}

function newKey() {
  return (crypto.randomUUID && crypto.randomUUID()) || Date.now().toString(36) + Math.random().toString(36).slice(2);
}

/** send posts one customer message (text and/or files) and renders the reply. */
async function send(text, files, { voice = false } = {}) {
  const b = addBubble('user' + (voice ? ' voice' : ''), {});
  b.li.classList.add('pending');
  if (text) b.body.append(el('p', { class: 'part part-text', text }));
  for (const f of files) b.body.append(previewNode(f, kindOf(f)));
  const key = newKey();
  const attempt = async () => {
    b.li.classList.remove('failed');
    b.meta.replaceChildren(el('span', { class: 'muted', text: 'sending…' }));
    ui.typing.hidden = false;
    try {
      const conv = await ensureConversation();
      let res;
      const path = '/v1/conversations/' + encodeURIComponent(conv.id) + '/messages';
      if (files.length) {
        const form = new FormData();
        if (text) form.append('text', text);
        for (const f of files) form.append(kindOf(f), f, f.name);
        res = await api(path, { method: 'POST', form, headers: { 'Idempotency-Key': key } });
      } else {
        res = await api(path, { method: 'POST', json: { text }, headers: { 'Idempotency-Key': key } });
      }
      b.li.classList.remove('pending');
      b.li.dataset.messageId = res.message_id;
      b.meta.replaceChildren(el('span', { class: 'muted', text: 'sent' }));
      if (res.reply) addReply(res.message_id, res.reply);
      if (res.state) renderState(res.state);
      if (files.length || voice) refresh();
    } catch (e) {
      b.li.classList.add('failed');
      b.meta.replaceChildren(el('span', { class: 'error', text: e.message + ' ' }),
        el('button', { class: 'btn small', type: 'button', text: 'Retry', onclick: attempt }));
    } finally {
      ui.typing.hidden = true;
    }
  };
  await attempt();
}

ui.form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = ui.text.value.trim();
  let files = app.files.slice();
  if (!text && !files.length) { ui.text.focus(); return; }
  if (files.length && app.state && app.state.skill === 'deposit_check') {
    // judged on the device: retake advice at once, only a readable crop goes up
    const judged = await judgeCheckPhotos(files, app.conv && app.conv.id);
    if (judged.retake) { toast(judged.retake); return; }
    files = judged.files;
  }
  ui.text.value = '';
  app.files = [];
  renderAttachments();
  send(text, files);
});

ui.file.addEventListener('change', () => {
  for (const f of ui.file.files) {
    if (!kindOf(f)) { toast(`${f.name}: only photos, audio and video can be sent.`); continue; }
    app.files.push(f);
  }
  ui.file.value = '';
  renderAttachments();
});

// ---------- voice note: hold to record ----------

const note = { capture: null, chunks: [], started: 0, timer: 0, wantStop: false, busy: false };

async function startNote() {
  if (note.busy) return;
  note.busy = true;
  note.wantStop = false;
  note.chunks = [];
  ui.record.setAttribute('aria-pressed', 'true');
  ui.record.classList.add('recording');
  ui.recordStatus.textContent = 'Starting microphone…';
  try {
    const stream = await openMic();
    note.capture = new PCMCapture(stream, (pcm, peak) => { note.chunks.push(pcm); ui.record.style.setProperty('--level', Math.min(1, peak * 3)); });
    await note.capture.start();
    note.started = performance.now();
    const tick = () => { ui.recordStatus.textContent = `Recording… ${((performance.now() - note.started) / 1000).toFixed(1)} s — release to send`; };
    tick();
    note.timer = setInterval(tick, 200);
    document.body.dataset.recording = 'true';
    if (note.wantStop) await stopNote();
  } catch (e) {
    ui.recordStatus.textContent = '';
    toast('Microphone unavailable: ' + e.message);
    resetNote();
  }
}

function resetNote() {
  clearInterval(note.timer);
  note.capture = null;
  note.busy = false;
  ui.record.setAttribute('aria-pressed', 'false');
  ui.record.classList.remove('recording');
  ui.record.style.removeProperty('--level');
  delete document.body.dataset.recording;
}

async function stopNote() {
  if (!note.capture) { note.wantStop = true; return; }
  const cap = note.capture;
  const secs = (performance.now() - note.started) / 1000;
  await cap.stop();
  const chunks = note.chunks;
  resetNote();
  if (secs < 0.4) { ui.recordStatus.textContent = 'Hold the button while you speak.'; return; }
  ui.recordStatus.textContent = '';
  const wav = encodeWAV(chunks, cap.rate);
  const file = new File([wav], 'voice-note.wav', { type: 'audio/wav' });
  const text = ui.text.value.trim(); // anything typed goes with the note
  ui.text.value = '';
  await send(text, [file], { voice: true });
}

ui.record.addEventListener('pointerdown', (e) => { e.preventDefault(); ui.record.setPointerCapture(e.pointerId); startNote(); });
for (const ev of ['pointerup', 'pointercancel']) ui.record.addEventListener(ev, () => { if (note.busy) stopNote(); });
ui.record.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); startNote(); } });
ui.record.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); stopNote(); } });
ui.record.addEventListener('contextmenu', (e) => e.preventDefault());

// ---------- live voice and camera over the WebSocket ----------

const live = { ws: null, mic: null, cam: null, camTimer: 0, frames: 0, player: null, pendingAudio: [], lastReply: null, opening: null, speech: null, edge: null };

function liveURL(id) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/v1/conversations/${encodeURIComponent(id)}/live`;
}

// sendJSON sends a message on the live socket and returns its length in bytes (0 when closed).
function sendJSON(msg) {
  if (!live.ws || live.ws.readyState !== WebSocket.OPEN) return 0;
  const s = JSON.stringify(msg);
  live.ws.send(s);
  return new TextEncoder().encode(s).length;
}

async function openLive() {
  if (live.ws) return live.opening;
  const conv = await ensureConversation();
  const ws = new WebSocket(liveURL(conv.id));
  ws.binaryType = 'arraybuffer';
  live.ws = ws;
  live.player = new Player(() => { sendJSON({ type: 'playback_done' }); document.body.dataset.playing = 'false'; });
  ui.liveBar.hidden = false;
  document.body.dataset.live = 'connecting';
  setLiveStatus('Connecting…');
  live.opening = new Promise((resolve, reject) => {
    ws.onopen = () => { sendJSON({ type: 'start', sample_rate: 16000 }); resolve(); };
    ws.onerror = () => reject(new Error('live connection failed'));
  });
  ws.onmessage = (e) => onLiveMessage(e.data);
  ws.onclose = () => { if (live.ws === ws) { setLiveStatus('Live call ended.'); stopLive(); } };
  return live.opening;
}

function setLiveStatus(s) { ui.liveStatus.textContent = s; }

function onLiveMessage(data) {
  if (data instanceof ArrayBuffer) {
    const url = URL.createObjectURL(new Blob([data], { type: 'audio/wav' }));
    const target = live.lastReply;
    if (target) {
      // The socket's WAV is the reply's speech: reuse the reply's player when it has one.
      const part = target.body.querySelector('.part-audio');
      if (part) {
        part.classList.add('live-audio');
        part.querySelector('audio').src = url;
      } else {
        target.body.append(el('div', { class: 'part part-audio live-audio' }, el('audio', { controls: true, src: url, 'aria-label': 'spoken reply' })));
      }
      target.li.dataset.audio = String(data.byteLength);
    }
    document.body.dataset.playing = 'true';
    live.player.play(url);
    return;
  }
  let m;
  try { m = JSON.parse(data); } catch { return; }
  switch (m.type) {
    case 'ready':
      document.body.dataset.live = 'ready';
      setLiveStatus(live.mic ? 'Listening — just talk.' : 'Connected.');
      break;
    case 'vad':
      ui.vad.classList.toggle('on', !!m.speaking);
      if (m.speaking) setLiveStatus('Hearing you…');
      break;
    case 'transcript':
      if (!m.final) { ui.livePartial.textContent = m.text || ''; break; }
      ui.livePartial.textContent = '';
      if (m.text) liveTranscript(m.text);
      setLiveStatus('Thinking…');
      break;
    case 'reply': {
      const before = app.seen.has(m.message_id);
      const b = addReply(m.message_id, m.reply || {});
      live.lastReply = b || (before ? findReply(m.message_id) : null);
      if (m.state) renderState(m.state);
      setLiveStatus(live.mic ? 'Listening — just talk.' : 'Connected.');
      break;
    }
    case 'affect':
      if (m.affect) {
        app.state = { ...(app.state || {}), affect: { ...((app.state && app.state.affect) || {}), ...m.affect } };
        renderAffect(app.state.affect);
      }
      if (m.style) renderStyle(m.style);
      break;
    case 'edge':
      // The server's answer to an on-device report: which raw media it still needs.
      if (live.edgeFace) live.edgeFace.result(m.result);
      if (m.result && m.result.raw_media) document.body.dataset.rawVideo = String(!!m.result.raw_media.video);
      break;
    case 'stop_playback':
      document.body.dataset.bargeIn = live.player.playing ? 'stopped' : 'idle';
      live.player.stop();
      setLiveStatus('Go ahead, I’m listening.');
      break;
    case 'error':
      toast(m.message || 'live error');
      break;
  }
}

// liveBubble returns the customer bubble of a spoken live message, creating it when needed. The
// message can be announced twice (the stored message on the events stream, the transcript on the
// socket), so both paths meet here.
function liveBubble(id) {
  let li = id ? ui.thread.querySelector(`li.user[data-message-id="${CSS.escape(id)}"]`) : null;
  if (!li && !id) li = [...ui.thread.querySelectorAll('li.user.live:not([data-transcript])')].pop() || null;
  if (!li) {
    const b = addBubble('user voice live', { id });
    b.body.append(el('p', { class: 'transcript muted', text: '♪ …' }));
    b.meta.append(el('span', { class: 'muted', text: '♪ live' }));
    li = b.li;
  }
  return li;
}

function liveTranscript(text) {
  const last = [...ui.thread.querySelectorAll('li.user.live')].pop();
  if (last && last.dataset.transcript === text) return;
  setTranscript(null, text, liveBubble(''));
}

function findReply(id) {
  const li = ui.thread.querySelector(`li.bot[data-message-id="${CSS.escape(id)}"]`);
  return li ? { li, body: li.querySelector('.bubble') } : null;
}

async function startLiveVoice() {
  try {
    await openLive();
    if (live.mic) return;
    const stream = await openMic();
    // Speech is found on the device when it can run the edge WebAssembly: only speech segments go
    // up, never silence. Otherwise the audio streams and the server finds the speech.
    const edge = await loadEdge();
    live.edge = edge;
    live.mic = new PCMCapture(stream, (pcm) => onMicChunk(pcm));
    await live.mic.start();
    ui.live.setAttribute('aria-pressed', 'true');
    document.body.dataset.mic = 'on';
    if (document.body.dataset.live === 'ready') setLiveStatus('Listening — just talk.');
  } catch (e) {
    toast('Live voice unavailable: ' + e.message);
    stopLive();
  }
}

// onMicChunk takes ~40 ms of microphone PCM: to the on-device speech detector, or up the socket.
function onMicChunk(pcm) {
  if (!live.ws || live.ws.readyState !== WebSocket.OPEN) return;
  if (live.edge && !live.speech && live.mic) {
    live.speech = speechSender(live.edge, live.mic.rate, {
      sendBinary: (seg) => live.ws && live.ws.readyState === WebSocket.OPEN && live.ws.send(seg),
      sendJSON,
      playing: () => live.player && live.player.playing,
      onSegment: (seg, sent) => { if (sent) setLiveStatus('Thinking…'); },
      onBargeIn: () => { document.body.dataset.bargeIn = 'stopped'; live.player.stop(); setLiveStatus('Go ahead, I’m listening.'); },
    });
    if (live.speech) sendJSON({ type: 'start', sample_rate: live.mic.rate, vad: 'edge' });
    else live.edge = null;
  }
  if (live.speech) {
    live.speech.write(pcm);
    const st = live.speech.stats;
    document.body.dataset.audioSent = String(st.sent);
    document.body.dataset.audioRaw = String(st.raw);
    document.body.dataset.vad = 'edge';
    return;
  }
  live.ws.send(pcm);
}

async function startCamera() {
  try {
    await openLive();
    if (live.cam) return;
    live.cam = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' } });
    ui.camera.srcObject = live.cam;
    ui.camera.hidden = false;
    await ui.camera.play().catch(() => {});
    ui.cam.setAttribute('aria-pressed', 'true');
    const canvas = document.createElement('canvas');
    live.frames = 0;
    ui.frames.hidden = false;
    live.camTimer = setInterval(() => sendFrame(canvas), 200); // ~5 fps
    // on-device expressions when the browser can: only scores go up, not the video
    loadFace().then((edge) => { if (edge && live.cam && app.conv) live.edgeFace = faceReporter(edge, app.conv.id, { send: sendJSON }); });
  } catch (e) {
    toast('Camera unavailable: ' + e.message);
    stopCamera();
  }
}

function sendFrame(canvas) {
  const v = ui.camera;
  if (!live.ws || live.ws.readyState !== WebSocket.OPEN || !v.videoWidth) return;
  if (live.ws.bufferedAmount > 512 * 1024) return; // the network is behind: drop this frame
  if (live.edgeFace && live.edgeFace.frame(v)) {
    live.frames++;
    ui.frames.textContent = `▶ ${live.frames} camera frames read on this device`;
    document.body.dataset.frames = String(live.frames);
    document.body.dataset.edgeSent = String(live.edgeFace.state.sent);
    return;
  }
  // The server path: the device cannot read faces, or the server asked for the frames.
  if (live.edgeFace && live.edgeFace.state.needVideo) ui.frames.title = live.edgeFace.state.reason;
  const scale = Math.min(1, 320 / v.videoWidth);
  canvas.width = Math.round(v.videoWidth * scale);
  canvas.height = Math.round(v.videoHeight * scale);
  canvas.getContext('2d').drawImage(v, 0, 0, canvas.width, canvas.height);
  const jpeg = canvas.toDataURL('image/jpeg', 0.75).split(',')[1];
  sendJSON({ type: 'frame', jpeg });
  live.frames++;
  ui.frames.textContent = `▶ ${live.frames} camera frames sent`;
  document.body.dataset.frames = String(live.frames);
}

function stopCamera() {
  clearInterval(live.camTimer);
  live.edgeFace = null;
  stopStream(live.cam);
  live.cam = null;
  ui.camera.srcObject = null;
  ui.camera.hidden = true;
  ui.frames.hidden = true;
  ui.cam.setAttribute('aria-pressed', 'false');
}

function stopLive() {
  stopCamera();
  if (live.mic) { live.mic.stop(); live.mic = null; }
  if (live.speech) { live.speech.flush(); live.speech = null; }
  live.edge = null;
  if (live.player) live.player.stop(false);
  const ws = live.ws;
  live.ws = null;
  live.opening = null;
  if (ws) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'stop' }));
    ws.close();
  }
  ui.live.setAttribute('aria-pressed', 'false');
  ui.vad.classList.remove('on');
  ui.liveBar.hidden = true;
  delete document.body.dataset.live;
  delete document.body.dataset.mic;
}

ui.live.addEventListener('click', () => (live.mic ? stopLive() : startLiveVoice()));
ui.cam.addEventListener('click', () => (live.cam ? stopCamera() : startCamera()));
ui.liveEnd.addEventListener('click', stopLive);

// ---------- handoff, csat, layout ----------

async function requestHandoff() {
  try {
    const conv = await ensureConversation();
    await api('/v1/conversations/' + encodeURIComponent(conv.id) + '/handoff', { method: 'POST', json: { reason: 'the customer asked for a person in the web chat' } });
    $('st-status').textContent = 'with a person';
    addBubble('system').body.append(el('p', { text: 'A person from our team will join shortly. They can see everything you told me.' }));
  } catch (e) { toast(e.message); }
}
ui.handoff.addEventListener('click', requestHandoff);

const stars = ui.csat.querySelector('[role=group]');
for (let i = 1; i <= 5; i++) {
  stars.append(el('button', { type: 'button', class: 'star', 'aria-label': `${i} of 5`, text: '★', onclick: async () => {
    try {
      await api('/v1/conversations/' + encodeURIComponent(app.conv.id) + '/csat', { method: 'POST', json: { score: i, comment: '' } });
      ui.csat.replaceChildren(el('span', { text: 'Thanks for your rating!' }));
    } catch (e) { toast(e.message); }
  } }));
}

ui.togglePanel.addEventListener('click', () => {
  const open = ui.panel.classList.toggle('open');
  ui.togglePanel.setAttribute('aria-expanded', String(open));
});
ui.newConv.addEventListener('click', resetConversation);
ui.pack.addEventListener('change', () => { localStorage.setItem('parley.pack', ui.pack.value); resetConversation(); });

// ---------- start ----------

// loadPacks fills the topic picker from the server's knowledge packs; the static options stay when
// the list cannot be read.
async function loadPacks() {
  try {
    const r = await api('/v1/packs');
    if (!r || !Array.isArray(r.packs) || !r.packs.length) return;
    ui.pack.replaceChildren(...r.packs.map((p) => el('option', { value: p.name, text: p.title || humanize(p.name) })));
    if (r.default) ui.pack.value = r.default;
  } catch { /* keep the built-in list */ }
}

(async function init() {
  await loadPacks();
  const saved = localStorage.getItem('parley.pack');
  if (saved && [...ui.pack.options].some((o) => o.value === saved)) ui.pack.value = saved;
  renderState({ slots: {}, affect: {} });
  loadEdge(); // fetched in the background; the chat works without it
  const m = /[#&]c=([^&]+)/.exec(location.hash);
  if (m) {
    try { await loadConversation(decodeURIComponent(m[1])); } catch (e) { toast('Could not reopen that conversation: ' + e.message); resetConversation(); }
  }
  document.body.dataset.ready = 'true';
})();

// Shared helpers for Parley's browser clients: API calls, safe DOM building, reply rendering.

/** ApiError carries the server's {"error":{"code","message"}} body. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `request failed (${status})`);
    this.status = status;
    this.code = code || 'http_' + status;
  }
}

/** api calls the Parley HTTP API and returns the decoded JSON body (or null for empty bodies). */
export async function api(path, { method = 'GET', json, form, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form) {
    init.body = form; // the browser sets the multipart boundary
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let body = null;
  if (text) {
    try { body = JSON.parse(text); } catch { body = { raw: text }; }
  }
  if (!res.ok) {
    const e = (body && body.error) || {};
    throw new ApiError(res.status, e.code, e.message || (body && body.raw) || res.statusText);
  }
  return body;
}

/** el builds an element: el('p', {class: 'x', text: 'hi'}, child...). Text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') n.textContent = v;
    else if (k === 'class') n.className = v;
    else if (k === 'dataset') Object.assign(n.dataset, v);
    else if (k === 'style') n.style.cssText = v; // through the CSSOM: the CSP refuses style attributes
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

/** safeURL keeps relative and http(s)/blob URLs and drops anything else (javascript:, data: for links). */
export function safeURL(u, { allowData = false } = {}) {
  if (!u) return '';
  try {
    const parsed = new URL(u, location.href);
    if (['http:', 'https:', 'blob:'].includes(parsed.protocol)) return parsed.href;
    if (allowData && parsed.protocol === 'data:') return u;
  } catch { /* fall through */ }
  return '';
}

/** renderPart renders one reply part: text, image, audio, video, link, document or action. */
export function renderPart(p) {
  const url = safeURL(p.url);
  const label = p.title || p.text || '';
  switch (p.type) {
    case 'text':
      return el('p', { class: 'part part-text', text: p.text || '' });
    case 'image':
      if (!url) break;
      return el('figure', { class: 'part part-image' },
        el('img', { src: url, alt: label || 'image from Parley', loading: 'lazy' }),
        label ? el('figcaption', { text: label }) : null);
    case 'audio':
      if (!url) break;
      return el('div', { class: 'part part-audio' },
        el('audio', { controls: true, preload: 'metadata', src: url, 'aria-label': label || 'spoken reply' }));
    case 'video':
      if (!url) break;
      return el('div', { class: 'part part-video' },
        el('video', { controls: true, preload: 'metadata', src: url, 'aria-label': label || 'video' }));
    case 'link':
      if (!url) break;
      return el('p', { class: 'part part-link' },
        el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: label || url }));
    case 'document':
      if (!url) break;
      return el('p', { class: 'part part-document' },
        el('a', { href: url, download: '', class: 'doc', text: '⤓ ' + (label || 'document') }),
        p.mime ? el('span', { class: 'muted', text: ' ' + mimeLabel(p.mime) }) : null);
    case 'action':
      return el('span', { class: 'part part-action badge badge-action', title: p.url || '', text: '⚡ ' + (label || 'action') });
  }
  return label ? el('p', { class: 'part part-text', text: label }) : null;
}

function mimeLabel(m) {
  const map = { 'application/pdf': 'PDF', 'text/markdown': 'Markdown', 'text/plain': 'text', 'text/html': 'HTML' };
  return map[m] || m;
}

/** styleBadges turns reply.style into short human hints ("slower", "simpler", ...). */
export function styleBadges(style) {
  if (!style) return [];
  const out = [];
  if (style.rate_wpm && style.rate_wpm < 160) out.push(['slower', `speech at ${style.rate_wpm} words per minute`]);
  if (style.simplified) out.push(['simpler', 'plainer wording']);
  if (style.steps_per_message === 1) out.push(['one step at a time', 'one step per message']);
  if (style.visual_first) out.push(['visual', 'pictures first']);
  if (style.offer_human) out.push(['human available', 'a person can take over']);
  return out;
}

/** fmtValue renders a slot value compactly. */
export function fmtValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** pct formats a 0..1 value as a percentage. */
export function pct(x) {
  const v = Math.max(0, Math.min(1, Number(x) || 0));
  return Math.round(v * 100);
}

/** modalityIcon is a small glyph per evidence modality. */
export const modalityIcon = { text: '✎', voice: '♪', image: '▣', video: '▶' };

/** meter renders an accessible horizontal meter for a value in [0,1]. */
export function meter(name, label, value) {
  const v = pct(value);
  return el('div', { class: 'meter', dataset: { affect: name } },
    el('div', { class: 'meter-head' }, el('span', { text: label }), el('span', { class: 'meter-val', text: v + '%' })),
    el('div', { class: 'meter-track', role: 'meter', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(v) },
      el('div', { class: 'meter-fill' + (v >= 60 ? ' high' : v >= 30 ? ' mid' : ''), style: `width:${v}%` })));
}

// Emotion timeline, shared by the agent console and the explorer: the one-line summary, the chart
// the server draws (GET /v1/conversations/{id}/timeline?format=svg) and what moved it, message by
// message: the cues (words, voice, face), the facts the stages read (each with the stage and
// version that read it, and later replays), the reply style changes and the handoff.
import { api, el } from './common.js';

const clock = (t) => new Date(t).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
const pct = (v) => Math.round((v || 0) * 100) + '%';

/** loadTimeline fetches a conversation's timeline and its chart. */
export async function loadTimeline(id) {
  const path = '/v1/conversations/' + encodeURIComponent(id) + '/timeline';
  const [tl, svg] = await Promise.all([api(path), fetch(path + '?format=svg').then((r) => (r.ok ? r.text() : ''))]);
  return { tl, svg };
}

/** timelineNodes renders a loaded timeline: the chart, then one line per customer message. */
export function timelineNodes({ tl, svg }) {
  const nodes = [];
  if (svg && tl.points.length) {
    const t = document.createElement('template');
    t.innerHTML = svg; // drawn and escaped by the server
    nodes.push(el('figure', { class: 'chart timeline-chart', dataset: { chart: 'emotion' } }, t.content));
  }
  const list = el('ol', { class: 'timeline-list', 'aria-label': 'Emotion timeline' });
  for (const p of tl.points) {
    const high = p.frustration >= 0.5 || p.confusion >= 0.5;
    const body = el('div', {},
      el('div', { text: `frustration ${pct(p.frustration)} · confusion ${pct(p.confusion)}${p.text ? ' — “' + p.text + '”' : ''}` }));
    if (p.cues.length) {
      body.append(el('div', {}, ...p.cues.map((c) => el('span', { class: 'cue', text: `${c.source} → ${c.dimension} ${pct(c.value)}` }))));
    }
    if (p.facts && p.facts.length) {
      // which stage, and which version of it, read each fact; later replays beside the turn's own
      body.append(el('div', { class: 'facts' }, ...p.facts.map((f) => el('span', {
        class: 'cue fact' + (f.origin === 'replay' ? ' replay' : ''),
        title: `confidence ${pct(f.confidence)}`,
        text: `${f.origin === 'replay' ? 'replay: ' : ''}${f.fact.replace(/_/g, ' ')} ${f.value} — ${f.stage}${f.stage_version ? ' v' + f.stage_version : ''}`,
      }))));
    }
    if (p.style_change) body.append(el('div', { class: 'style-change', text: 'Style: ' + p.style_change }));
    if (p.handoff) body.append(el('div', { class: 'error', text: 'Handed to a person' + (tl.handoff && tl.handoff.reason ? ': ' + tl.handoff.reason : '') }));
    list.append(el('li', { class: (high ? 'high ' : '') + (p.handoff ? 'handoff' : ''), dataset: { message: p.message_id } },
      el('span', { class: 'when', text: clock(p.at) }), body));
  }
  if (!tl.points.length) list.append(el('li', { class: 'muted', text: 'No customer message yet.' }));
  nodes.push(list);
  return nodes;
}

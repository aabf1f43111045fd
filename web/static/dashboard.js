// Parley dashboard: renders GET /v1/stats; numbers become cards, maps of numbers become bar charts.
import { api, el } from './common.js';

const $ = (id) => document.getElementById(id);

function label(k) { return k.replace(/_/g, ' '); }

function fmt(k, v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  if (/_ms$|latency/.test(k)) return v >= 1000 ? (v / 1000).toFixed(1) + ' s' : Math.round(v) + ' ms';
  if (/_s$|_secs$|seconds|time/.test(k)) return v >= 60 ? (v / 60).toFixed(1) + ' min' : v.toFixed(1) + ' s';
  if (/csat_av/.test(k)) return v.toFixed(2) + ' / 5';
  if (/rate|ratio|share/.test(k) && v <= 1) return Math.round(v * 100) + '%';
  return Number.isInteger(v) ? v.toLocaleString() : v.toFixed(2);
}

function render(stats) {
  const cards = [];
  const groups = [];
  const walk = (obj, prefix) => {
    for (const [k, v] of Object.entries(obj || {})) {
      const name = prefix ? `${prefix} ${k}` : k;
      if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
        cards.push(el('div', { class: 'card stat', dataset: { stat: name } },
          el('div', { class: 'label', text: label(name) }), el('div', { class: 'value', text: fmt(k, v) })));
      } else if (v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'number')) {
        const total = Object.values(v).reduce((a, b) => a + b, 0) || 1;
        const max = Math.max(...Object.values(v), 1);
        groups.push(el('section', { class: 'card', dataset: { stat: name } }, el('h2', { text: label(name) }),
          el('div', { class: 'bars' }, Object.entries(v).map(([kk, n]) => el('div', { class: 'bar' },
            el('span', { text: label(kk) }),
            el('span', { class: 'track', role: 'meter', 'aria-label': kk, 'aria-valuenow': String(n) }, el('span', { class: 'fill', style: `display:block;width:${(n / max) * 100}%` })),
            el('span', { class: 'muted', text: /mix|share/.test(k) ? Math.round((n / total) * 100) + '%' : fmt(kk, n) }))))));
      } else if (v && typeof v === 'object') {
        walk(v, name);
      }
    }
  };
  walk(stats, '');
  $('stats').replaceChildren(...cards);
  $('groups').replaceChildren(...groups);
  $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
}

async function load() {
  try { render(await api('/v1/stats')); } catch (e) { $('stats').replaceChildren(el('p', { class: 'error', text: e.message })); }
}

load();
setInterval(load, 5000);

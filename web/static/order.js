// The parts-order page the diagnosis links to: /order.html?pack=P&parts=SKU,SKU&model=M&conversation=ID.
// It shows the parts with price and stock, pre-filled with one of each, and posts the order to /v1/orders.
const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const pack = q.get('pack') || '';
const skus = (q.get('parts') || '').split(',').filter(Boolean);
const money = (n) => '$' + n.toFixed(2);
let parts = [];

function total() {
  let t = 0;
  for (const p of parts) t += p.price * Number($('qty-' + p.sku).value || 0);
  $('total').textContent = money(t);
}

async function load() {
  const res = await fetch(`/v1/packs/${encodeURIComponent(pack)}/parts?format=json&order=${encodeURIComponent(skus.join(','))}`);
  if (!res.ok) { $('status').textContent = 'Could not load the parts.'; return; }
  const body = await res.json();
  parts = body.parts || [];
  $('business').textContent = body.title || pack;
  const model = q.get('model');
  $('for').textContent = model ? `Parts for your ${model}` : 'Parts for your appliance';
  const tbody = $('lines');
  tbody.replaceChildren();
  for (const p of parts) {
    const tr = document.createElement('tr');
    tr.dataset.sku = p.sku;
    const cells = [p.name, p.sku, money(p.price), p.stock > 0 ? `${p.stock} in stock` : 'out of stock'];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    const td = document.createElement('td');
    const inp = document.createElement('input');
    Object.assign(inp, { type: 'number', min: 0, max: Math.min(10, p.stock), value: p.stock > 0 ? 1 : 0, id: 'qty-' + p.sku });
    inp.setAttribute('aria-label', 'quantity of ' + p.name);
    inp.addEventListener('input', total);
    td.append(inp);
    tr.append(td);
    tbody.append(tr);
  }
  total();
  document.body.dataset.ready = 'true';
}

$('order').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const items = parts.map((p) => ({ sku: p.sku, qty: Number($('qty-' + p.sku).value || 0) })).filter((i) => i.qty > 0);
  const req = { pack, name: $('name').value, address: $('address').value, items };
  if (q.get('conversation')) req.conversation_id = q.get('conversation');
  if (q.get('model')) req.model = q.get('model');
  const res = await fetch('/v1/orders', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(req) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) { $('status').textContent = 'Order not placed: ' + ((body.error && body.error.message) || res.status); return; }
  $('status').textContent = `Order ${body.id} placed: ${money(body.total)}.`;
  document.body.dataset.order = body.id;
});

load();

// Browser scenario for the dashboard, the explorer and the emotion timeline, run by
// TestInsightDashboardAndExplorer (insight_test.go) over generated traffic. Environment:
// PARLEY_URL, PARLEY_CHROMIUM, PARLEY_SCREENSHOTS as for run.mjs; FROM and TO the (exclusive)
// dates of the seeded range; EXPECT the figures the test computed from the traffic: each chart's
// point count, the unimodal/multimodal comparison, a word of the live deposit and its ID.
import { chromium } from 'playwright-core';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const shots = process.env.PARLEY_SCREENSHOTS || '';
const want = JSON.parse(process.env.EXPECT);
const WAIT = 30000;
const fail = (msg) => { throw new Error(msg); };
const log = (...a) => console.log('[insight]', ...a);
const shot = async (page, name) => { if (shots) await page.screenshot({ path: path.join(shots, `insight-${name}.png`), fullPage: true }); };
const close = (a, b, rel = 1e-3) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
let code = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  globalThis.pageErrors = errors;
  page.on('pageerror', (e) => errors.push(e.message));
  const dash = `${base}/dashboard.html?from=${process.env.FROM}&to=${process.env.TO}&bucket=hour`;
  await page.goto(dash);
  await page.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  log('charts drawn in', await page.getAttribute('body', 'data-charts-ms'), 'ms');

  // Every chart has the points the traffic implies: declared by the server and drawn.
  for (const [id, n] of Object.entries(want.points)) {
    const fig = page.locator(`figure[data-chart="${id}"]`);
    const declared = Number(await fig.getAttribute('data-points'));
    const drawn = await fig.locator('circle.point, rect.bar').count();
    log(`${id}: ${drawn} points`);
    if (declared !== n || drawn !== n) fail(`${id}: ${declared} declared, ${drawn} drawn, want ${n}`);
  }
  const stats = await page.evaluate(async (q) => (await fetch('/v1/stats?' + q)).json(), `from=${process.env.FROM}&to=${process.env.TO}&bucket=hour`);
  const stageBars = await page.locator('figure[data-chart="stages"] rect.bar').count();
  if (stageBars !== 2 * Math.min(8, stats.stages.length)) fail(`stages: ${stageBars} bars for ${stats.stages.length} stages`);
  log('stages:', stats.stages.map((s) => `${s.stage} p95 ${s.p95_ms.toFixed(1)} ms`).join(', '));

  // The comparison matches the figures computed from the traffic.
  for (const [side, w] of Object.entries(want.comparison)) {
    const bar = page.locator(`figure[data-chart="compare_csat"] rect.bar[data-label="${side}"]`);
    const v = Number(await bar.getAttribute('data-value'));
    if (!close(v, w.satisfied)) fail(`${side} CSAT ${v}, want ${w.satisfied}`);
    const text = await page.locator('figure[data-chart="compare_csat"]').innerText();
    if (!text.includes(`n=${w.ratings} ratings`)) fail(`${side}: the chart does not show n=${w.ratings} ratings`);
    const res = Number(await page.locator(`figure[data-chart="compare_resolution"] rect.bar[data-label="${side}"]`).getAttribute('data-value'));
    if (!close(res, w.mean_secs)) fail(`${side} mean resolution ${res} s, want ${w.mean_secs}`);
    const ci = page.locator(`figure[data-chart="compare_csat"] rect.bar[data-label="${side}"] + g.ci`);
    const [lo, hi] = [Number(await ci.getAttribute('data-low')), Number(await ci.getAttribute('data-high'))];
    if (!(lo <= v && v <= hi)) fail(`${side}: interval [${lo}, ${hi}] does not hold ${v}`);
    log(`${side}: CSAT ${(v * 100).toFixed(1)}% [${(lo * 100).toFixed(1)}, ${(hi * 100).toFixed(1)}] of ${w.ratings}, mean resolution ${res.toFixed(0)} s`);
  }
  log('verdict:', await page.locator('figure[data-chart="compare_csat"] .chart-note').innerText());

  // Each chart's CSV link exports its series.
  const href = await page.locator('figure[data-chart="conversations"] a.csv').getAttribute('href');
  const csv = await page.evaluate(async (u) => (await fetch(u)).text(), href);
  const rows = csv.trim().split('\n');
  if (rows.length !== want.points.conversations + 1 || !rows[0].startsWith('start,conversations')) fail(`CSV ${href}: ${rows.length} rows`);
  const conv = await page.evaluate(async (u) => (await fetch(u)).text(), await page.getAttribute('#csv-conversations', 'href'));
  log('conversations CSV:', conv.trim().split('\n').length - 1, 'rows');
  await shot(page, 'dashboard');

  // Daily buckets, chosen in the form.
  await page.selectOption('#bucket', 'day');
  await page.click('#range button[type=submit]');
  await page.waitForFunction(() => document.querySelector('figure[data-chart="conversations"]')?.getAttribute('data-points') === '2', null, { timeout: WAIT });

  // A phone: the same dashboard, one column, nothing wider than the screen.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const pp = await phone.newPage();
  pp.on('pageerror', (e) => errors.push('phone: ' + e.message));
  await pp.goto(dash);
  await pp.waitForFunction(() => document.body.dataset.ready, null, { timeout: WAIT });
  if ((await pp.getAttribute('body', 'data-ready')) !== 'true') fail('phone dashboard: ' + (await pp.locator('#charts').innerText()));
  const overflow = await pp.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) fail(`the phone dashboard is ${overflow}px wider than the screen`);
  await pp.locator('figure[data-chart="compare_csat"]').scrollIntoViewIfNeeded();
  if (shots) await pp.screenshot({ path: path.join(shots, 'insight-dashboard-phone.png') });

  // The explorer finds the live deposit by a word and shows the crop behind its amount.
  const ex = await context.newPage();
  ex.on('pageerror', (e) => errors.push(e.message));
  await ex.goto(base + '/explorer.html');
  await ex.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  await ex.fill('#q', want.word);
  await ex.click('#search button[type=submit]');
  await ex.locator(`#results button[data-conversation="${want.conv}"]`).click({ timeout: WAIT });
  await ex.waitForSelector(`body[data-open="${want.conv}"]`, { timeout: WAIT });
  const found = await ex.locator('#results button').count();
  if (found !== 1) fail(`"${want.word}" found ${found} conversations`);
  const crop = ex.locator('#d-facts [data-slot=amount] img.crop').first();
  await crop.waitFor({ timeout: WAIT });
  await ex.waitForFunction(() => { const i = document.querySelector('#d-facts [data-slot=amount] img.crop'); return i && i.complete && i.naturalWidth > 0; }, null, { timeout: WAIT });
  const size = await crop.evaluate((i) => `${i.naturalWidth}x${i.naturalHeight}`);
  log('amount:', (await ex.locator('#d-facts [data-slot=amount] .slot-value').innerText()), 'crop', size, 'from', await crop.evaluate((i) => i.closest('tr').dataset.stage));
  const summary = await ex.locator('#d-summary').innerText();
  log('summary:', summary);
  if (!summary.startsWith('Customer wants to deposit a check')) fail('explorer summary: ' + summary);
  if (!(await ex.locator('#d-timeline svg[data-chart=emotion] circle.point').count())) fail('no emotion timeline in the explorer');
  if (!(await ex.locator('#d-timeline li.handoff').count())) fail('the timeline does not mark the handoff');
  await shot(ex, 'explorer');

  // The agent console shows the same summary and timeline for the waiting customer.
  const agent = await context.newPage();
  agent.on('pageerror', (e) => errors.push(e.message));
  await agent.goto(base + '/agent.html');
  await agent.locator(`#queue button[data-conversation="${want.conv}"]`).click({ timeout: WAIT });
  await agent.locator('#timeline svg[data-chart=emotion]').waitFor({ timeout: WAIT });
  const asum = await agent.locator('#summary').innerText();
  if (asum !== summary) fail(`agent summary ${asum} differs from the explorer's`);
  if (shots) await agent.screenshot({ path: path.join(shots, 'insight-agent.png') });
  if (errors.length) fail('page errors: ' + errors.join('; '));
  log('ok');
} catch (e) {
  console.error('[insight] FAIL', e.message);
  if (globalThis.pageErrors?.length) console.error('[insight] page errors:', globalThis.pageErrors.join('; '));
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);

// Browser scenario for a product-fault video, run by TestWebFaultVideo (webfault_test.go): upload a
// fault video in the web chat, open the PDF report the reply links, then the pre-filled order page,
// and place the order. Environment: PARLEY_URL, PARLEY_CHROMIUM, PARLEY_SCREENSHOTS as for run.mjs;
// VIDEO is the fault video, EXPECT_CODE the code its display shows. Exit status 0: every assertion held.
import { chromium } from 'playwright-core';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const shots = process.env.PARLEY_SCREENSHOTS || '';
const WAIT = 30000;
const fail = (msg) => { throw new Error(msg); };
const log = (...a) => console.log('[fault]', ...a);
const shot = async (page, name) => { if (shots) await page.screenshot({ path: path.join(shots, `fault-${name}.png`) }); };

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
let code = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  await page.selectOption('#pack', 'appliances');
  await page.setInputFiles('#file', process.env.VIDEO);
  await page.locator('#attachments .attachment').waitFor({ timeout: WAIT });
  await page.click('#send');
  await page.waitForFunction(() => document.querySelectorAll('li.msg.bot[data-reply-for]').length > 0, null, { timeout: WAIT });
  const reply = page.locator('li.msg.bot[data-reply-for]').last();
  const text = (await reply.innerText()).replace(/\s+/g, ' ');
  log('reply:', text);
  if (!text.includes(process.env.EXPECT_CODE)) fail(`the reply does not name ${process.env.EXPECT_CODE}`);
  await shot(page, 'reply');

  // The report: a PDF document part.
  const docs = reply.locator('.part-document a.doc');
  if (await docs.count() < 2) fail('the reply has fewer than two documents');
  const href = await docs.first().getAttribute('href');
  const pdf = await page.evaluate(async (u) => { const r = await fetch(u); return [r.status, new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]; }, href);
  if (pdf[0] !== 200 || pdf[1] !== '%PDF-') fail(`report ${href}: ${pdf}`);
  log('report:', href, pdf[1]);

  // The order page, pre-filled with the parts of the likely cause.
  const link = reply.locator('.part-link a[href*="/order.html"]');
  if (!(await link.count())) fail('no order link');
  const [order] = await Promise.all([context.waitForEvent('page'), link.first().click()]);
  await order.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  const rows = await order.locator('#lines tr').count();
  if (!rows) fail('the order page lists no parts');
  log('order page:', (await order.locator('#lines').innerText()).replace(/\s+/g, ' '), 'total', await order.locator('#total').innerText());
  await order.fill('#name', 'Ada Lovelace');
  await order.fill('#address', '12 St James Square, London');
  await order.click('#place');
  await order.waitForSelector('body[data-order]', { timeout: WAIT });
  log('status:', await order.locator('#status').innerText());
  await shot(order, 'order');
  if (errors.length) fail('page errors: ' + errors.join('; '));
  log('ok');
} catch (e) {
  code = 1;
  console.error('[fault] FAIL:', e.message);
} finally {
  await browser.close();
}
process.exit(code);

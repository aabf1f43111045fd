// Browser scenario for staff sign-in, run by TestStaffPagesInChromium (staff_test.go): the agent
// console and dashboard refuse an anonymous visitor (sent to the sign-in page, the API answers 401),
// and work after signing in: the queue, the conversation with its card number masked for an agent,
// a reply (which needs the CSRF token), the dashboard, and signing out. Environment: PARLEY_URL,
// PARLEY_CHROMIUM, PARLEY_SCREENSHOTS as for run.mjs; EMAIL and PASSWORD of an agent; CONV a
// conversation waiting for a person whose customer wrote the card number CARD.
import { chromium } from 'playwright-core';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const shots = process.env.PARLEY_SCREENSHOTS || '';
const WAIT = 30000;
const fail = (msg) => { throw new Error(msg); };
const log = (...a) => console.log('[staff]', ...a);
const shot = async (page, name) => { if (shots) await page.screenshot({ path: path.join(shots, `staff-${name}.png`), fullPage: true }); };
const { EMAIL, PASSWORD, CONV, CARD } = process.env;

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
let code = 0;
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));

  // Anonymous: every staff page lands on the sign-in page and the staff API refuses.
  for (const p of ['/agent.html', '/dashboard.html', '/explorer.html']) {
    await page.goto(base + p);
    await page.waitForSelector('#login', { timeout: WAIT });
    const u = new URL(page.url());
    if (u.pathname !== '/login.html' || u.searchParams.get('next') !== p) fail(`anonymous ${p} ended at ${page.url()}`);
    if (await page.locator('#queue, #stats, #results').count()) fail(`anonymous ${p} shows staff content`);
  }
  const anon = await page.evaluate(async () => (await fetch('/v1/handoffs')).status);
  if (anon !== 401) fail(`anonymous GET /v1/handoffs: ${anon}`);
  log('anonymous visitor sent to sign-in; API answers', anon);
  await shot(page, 'login');

  // A wrong password is refused on the page.
  await page.goto(base + '/login.html?next=/agent.html');
  await page.fill('#email', EMAIL);
  await page.fill('#password', 'not the password');
  await page.click('#submit');
  await page.waitForFunction(() => /Wrong email or password/.test(document.querySelector('#login-status').textContent), null, { timeout: WAIT });
  if (!page.url().includes('/login.html')) fail('a wrong password left the sign-in page');

  // Sign in: back to the console, the queue lists the waiting conversation.
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL('**/agent.html', { timeout: WAIT }), page.click('#submit')]);
  const who = await page.locator('#signed-in').innerText({ timeout: WAIT });
  if (!who.includes(EMAIL)) fail(`signed in as ${who}`);
  const cookies = await context.cookies();
  const sess = cookies.find((c) => c.name === 'parley_session');
  if (!sess || !sess.httpOnly || sess.sameSite !== 'Strict') fail('session cookie: ' + JSON.stringify(sess));
  if (await page.evaluate(() => document.cookie.includes('parley_session'))) fail('the session cookie is readable by scripts');
  await page.locator(`#queue button[data-conversation="${CONV}"]`).click({ timeout: WAIT });
  await page.waitForFunction(() => document.querySelectorAll('#history li.msg.user').length > 0, null, { timeout: WAIT });
  const history = await page.locator('#history').innerText();
  if (history.includes(CARD)) fail('the agent sees the full card number');
  if (!/•+1111/.test(history)) fail('the masked card number is not shown: ' + history);
  log('conversation open, card shown as', history.match(/•+1111/)[0]);

  // A reply goes out (the page sends the CSRF token) and shows in the history.
  await page.fill('#reply-text', 'I am looking at your card now.');
  await page.click('#reply button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#reply-status').textContent === 'Sent.', null, { timeout: WAIT });
  await page.waitForFunction(() => /looking at your card/.test(document.querySelector('#history').textContent), null, { timeout: WAIT });
  const forged = await page.evaluate(async (id) => (await fetch(`/v1/conversations/${id}/agent-reply`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'forged' }) })).status, CONV);
  if (forged !== 403) fail(`a reply without the CSRF token: ${forged}`);
  log('reply sent; one without the CSRF token refused with', forged);
  await shot(page, 'console');

  // The dashboard works for the signed-in agent.
  await page.goto(base + '/dashboard.html');
  await page.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  if (!page.url().endsWith('/dashboard.html')) fail('dashboard ended at ' + page.url());
  const charts = await page.locator('figure.chart').count();
  if (!charts) fail('no charts on the dashboard');
  log('dashboard drew', charts, 'charts');
  await shot(page, 'dashboard');

  // Signing out ends the session: the console sends us to sign in again.
  await Promise.all([page.waitForURL('**/login.html**', { timeout: WAIT }), page.click('#sign-out')]);
  await page.goto(base + '/agent.html');
  await page.waitForSelector('#login', { timeout: WAIT });
  if (!page.url().includes('/login.html')) fail('after signing out the console opened');

  // The customer web chat on this keyed install: opened with the tenant's publishable key, which
  // moves into a cookie, it talks as usual; without the key the API refuses it.
  const customer = await browser.newContext({ viewport: { width: 420, height: 800 } });
  const chat = await customer.newPage();
  chat.on('pageerror', (e) => errors.push(e.message));
  const bare = await chat.request.post(base + '/v1/conversations', { data: {} });
  if (bare.status() !== 401) fail(`the customer API without a key: ${bare.status()}`);
  await chat.goto(base + '/?key=' + process.env.PK);
  if (new URL(chat.url()).searchParams.has('key')) fail('the key stays in the address: ' + chat.url());
  await chat.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  await chat.fill('#text', 'I lost my card');
  await chat.press('#text', 'Enter');
  await chat.waitForFunction(() => document.querySelectorAll('li.msg.bot[data-reply-for]').length > 0, null, { timeout: WAIT });
  log('web chat with the publishable key:', (await chat.locator('li.msg.bot[data-reply-for]').first().innerText()).replace(/\s+/g, ' ').slice(0, 80));
  await shot(chat, 'chat');
  if (errors.length) fail('page errors: ' + errors.join('; '));
  log('ok');
} catch (e) {
  console.error('[staff] FAIL', e.message);
  if (errors.length) console.error('[staff] page errors:', errors.join('; '));
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);

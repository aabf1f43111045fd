// A video call with on-device expressions: the fake camera (FAKE_VIDEO) plays a face, the chat reads
// it with the edge WebAssembly and sends only scores and a small thumbnail over the live socket.
// Prints the conversation, the frame counter and every message the page sent on the socket in one
// thumbnail period (WINDOW_MS, default 30 s) from the first report: its type, bytes and time.
// PACK and MESSAGE, when set, choose the pack and send a message before the camera starts.
import { chromium } from 'playwright-core';

const windowMS = Number(process.env.WINDOW_MS || 30000);
const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  await page.addInitScript(() => {
    const sent = [];
    globalThis.__sent = sent;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (d) {
      let type = 'binary';
      if (typeof d === 'string') { try { type = JSON.parse(d).type; } catch { type = 'text'; } }
      sent.push({ type, bytes: typeof d === 'string' ? new TextEncoder().encode(d).length : d.byteLength, at: performance.now(),
        thumbnail: typeof d === 'string' && d.includes('"thumbnail"'), cues: typeof d === 'string' && d.includes('"affect_cue"') });
      return send.call(this, d);
    };
  });
  await page.goto(process.env.PARLEY_URL + '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#pack', process.env.PACK || 'bank');
  if (process.env.MESSAGE) {
    // a message first, so the conversation is in a flow when the camera starts
    await page.fill('#text', process.env.MESSAGE);
    await page.press('#text', 'Enter');
    await page.locator('li.msg.bot').first().waitFor({ timeout: 60000 });
  }
  await page.click('#cam');
  await page.waitForFunction(() => globalThis.__sent.some((m) => m.type === 'edge'), null, { timeout: 60000 });
  const first = await page.evaluate(() => globalThis.__sent.find((m) => m.type === 'edge').at);
  await page.waitForFunction(([f, w]) => performance.now() >= f + w, [first, windowMS], { timeout: windowMS + 30000, polling: 200 });
  const out = await page.evaluate(([f, w]) => ({
    conversation: decodeURIComponent((/#c=([^&]+)/.exec(location.hash) || [])[1] || ''),
    frames: Number(document.body.dataset.frames),
    label: document.getElementById('frames').textContent,
    raw_video: document.body.dataset.rawVideo || '',
    window_ms: w,
    sent: globalThis.__sent.filter((m) => m.at >= f && m.at < f + w),
  }), [first, windowMS]);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}

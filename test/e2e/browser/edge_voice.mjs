// A live voice call with on-device speech detection: the fake microphone (FAKE_AUDIO, looped) says
// one thing in a long silence; the chat finds the speech with the edge WebAssembly and sends only
// its segments up the socket. Prints the bytes the page sent (binary audio, JSON) against the raw
// audio it captured, and the conversation.
import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}`] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  // Count what the page sends on its WebSockets.
  await page.addInitScript(() => {
    const up = { binary: 0, text: 0, binaryMessages: 0 };
    globalThis.__up = up;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (d) {
      if (typeof d === 'string') up.text += new TextEncoder().encode(d).length;
      else { up.binary += d.byteLength; up.binaryMessages++; }
      return send.call(this, d);
    };
  });
  await page.goto(process.env.PARLEY_URL + '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#pack', 'bank');
  await page.click('#live');
  await page.waitForSelector('body[data-live=ready][data-mic=on]', { timeout: 60000 });
  await page.locator('li.msg.bot').first().waitFor({ timeout: 60000 });
  // Let the silence after the speech run, then end the call.
  const seconds = Number(process.env.LISTEN_SECONDS || 6);
  await page.waitForFunction((s) => Number(document.body.dataset.audioRaw || 0) >= s * 32000, seconds, { timeout: 60000 });
  const out = await page.evaluate(() => ({
    conversation: decodeURIComponent((/#c=([^&]+)/.exec(location.hash) || [])[1] || ''),
    vad: document.body.dataset.vad || '',
    audio_sent: Number(document.body.dataset.audioSent || 0),
    audio_raw: Number(document.body.dataset.audioRaw || 0),
    up: globalThis.__up,
    transcript: (document.querySelector('li.msg.user.live[data-transcript]') || {}).dataset?.transcript || '',
  }));
  await page.click('#live-end');
  await page.waitForFunction(() => !document.body.dataset.live, null, { timeout: 10000 });
  await page.waitForTimeout(1000); // the last report reaches the server
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}

// A video call with on-device expressions: the fake camera (FAKE_VIDEO) plays a face, the chat reads
// it with the edge WebAssembly and sends only scores; prints the conversation and the frame counter.
import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('page:', m.text()); });
  await page.goto(process.env.PARLEY_URL + '/');
  await page.waitForSelector('body[data-ready="true"]');
  await page.selectOption('#pack', 'bank');
  await page.click('#cam');
  await page.waitForFunction(() => Number(document.body.dataset.frames || 0) >= 25 && /on this device/.test(document.getElementById('frames').textContent), null, { timeout: 60000 });
  await page.waitForTimeout(1500);
  const out = await page.evaluate(() => ({
    conversation: decodeURIComponent((/#c=([^&]+)/.exec(location.hash) || [])[1] || ''),
    frames: Number(document.body.dataset.frames),
    label: document.getElementById('frames').textContent,
  }));
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}

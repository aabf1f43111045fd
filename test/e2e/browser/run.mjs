// Browser scenarios for Parley's web chat, run by the Go tests in test/e2e (web_test.go), which start
// the server and pass its URL. Usage: node run.mjs SCENARIO. Environment:
//   PARLEY_URL        server base URL (required)
//   PARLEY_CHROMIUM   browser binary (default /usr/bin/chromium)
//   PARLEY_SCREENSHOTS directory for screenshots (default: none)
//   FAKE_AUDIO        WAV file the fake microphone plays
//   FAKE_VIDEO        Y4M file the fake camera plays (camera scenario)
//   EXPECT_AFFECT     camera scenario: "rise" (the face lowers its brows) or "calm" (it rests)
//   SPEECH_SECONDS    how long the speech in FAKE_AUDIO lasts
//   IMAGE             picture to upload (chat scenario)
//   VIDEO             optional short WebM clip to upload (chat scenario)
//   EXPECT_TRANSCRIPT regular expression the transcript must match (voice scenarios)
// Exit status 0 means every assertion held.
import { chromium } from 'playwright-core';
import path from 'node:path';

const base = process.env.PARLEY_URL;
const scenario = process.argv[2];
const shots = process.env.PARLEY_SCREENSHOTS || '';
const WAIT = 60000; // per step (a check photo read under -race on a busy machine takes tens of seconds); the Go test bounds the whole run

function fail(msg) { throw new Error(msg); }
function log(...a) { console.log(`[${scenario}]`, ...a); }

async function shot(page, name) {
  if (!shots) return;
  const file = path.join(shots, `${scenario}-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  log('screenshot', file);
}

async function launch() {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];
  // %noloop: the fake microphone says its line once, then stays silent.
  if (process.env.FAKE_AUDIO) args.push(`--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}%noloop`);
  if (process.env.FAKE_VIDEO) args.push(`--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`);
  return chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true, args });
}

// openChat opens the chat, failing the run on any uncaught page error.
async function openChat(context, hash = '') {
  const page = await context.newPage();
  page.on('console', (m) => { if (['error', 'warning'].includes(m.type())) log('console', m.type(), m.text()); });
  page.on('pageerror', (e) => { page.errors.push(e); log('page error', e.message); });
  page.errors = [];
  await page.goto(base + '/' + hash);
  await page.waitForSelector('body[data-ready=true]', { timeout: WAIT });
  return page;
}

// waitReply waits for Parley's reply number `after` (0-based) to a customer message and returns its text.
async function waitReply(page, after) {
  await page.waitForFunction((n) => document.querySelectorAll('li.msg.bot[data-reply-for]').length > n, after, { timeout: WAIT });
  const r = page.locator('li.msg.bot[data-reply-for]').nth(after);
  const text = (await r.innerText()).trim();
  if (!text) fail('empty reply');
  return { locator: r, text };
}

async function noErrors(page) {
  if (page.errors.length) fail('uncaught page errors: ' + page.errors.map((e) => e.message).join('; '));
  const failed = await page.locator('li.msg.failed').count();
  if (failed) fail(`${failed} message(s) failed to send: ` + await page.locator('li.msg.failed .meta').first().innerText());
}

const scenarios = {
  // chat: text turn with the amount slot, an image upload, reopening on a phone, the dashboard.
  async chat(browser) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const page = await openChat(context);
    await page.selectOption('#pack', 'bank');
    await page.fill('#text', 'I want to deposit a check for $1,250.75');
    await page.press('#text', 'Enter');
    const first = await waitReply(page, 0);
    log('reply:', first.text.replace(/\s+/g, ' '));
    const slot = page.locator('#slots li[data-slot=amount]');
    await slot.waitFor({ timeout: WAIT });
    await page.waitForFunction(() => /1,250\.75/.test(document.querySelector('#slots li[data-slot=amount] .slot-value')?.textContent || ''), null, { timeout: WAIT });
    const slotText = (await slot.innerText()).replace(/\s+/g, ' ');
    log('amount slot:', slotText);
    if (!(await slot.locator('.chip[data-modality=text]').count())) fail('amount slot shows no text evidence chip');
    const conv = await page.evaluate(() => document.body.dataset.conversation);
    if (!conv) fail('no conversation id');
    await shot(page, 'text');

    // Image upload: the picture shows in the thread and the server answers.
    await page.setInputFiles('#file', process.env.IMAGE);
    await page.locator('#attachments .attachment').waitFor({ timeout: WAIT });
    await page.click('#send');
    const img = page.locator('li.msg.user img.upload').last();
    await img.waitFor({ timeout: WAIT });
    await page.waitForFunction(() => {
      const li = [...document.querySelectorAll('li.msg.user')].pop();
      return li && li.dataset.messageId && !li.classList.contains('pending');
    }, null, { timeout: WAIT });
    const second = await waitReply(page, 1);
    log('reply to image:', second.text.replace(/\s+/g, ' '));
    // Once stored, the thread shows the server's copy (/v1/blobs/{sha256}) instead of the local file.
    await page.waitForFunction(() => {
      const i = [...document.querySelectorAll('li.msg.user img.upload')].pop();
      return i && i.src.includes('/v1/blobs/') && i.complete && i.naturalWidth === 320;
    }, null, { timeout: WAIT });
    log('stored image:', await img.getAttribute('src'));
    await noErrors(page);
    await shot(page, 'image');

    let replies = 2;
    if (process.env.VIDEO) {
      // A short clip: it plays in the thread from the server's copy, and Parley answers.
      await page.setInputFiles('#file', process.env.VIDEO);
      await page.click('#send');
      const third = await waitReply(page, replies++);
      log('reply to video:', third.text.replace(/\s+/g, ' '));
      const dur = await page.locator('li.msg.user video.upload').last().evaluate((v) => new Promise((res) => {
        const done = () => res(v.src.includes('/v1/blobs/') ? v.duration : -1);
        if (v.readyState >= 1 && v.src.includes('/v1/blobs/')) done(); else { v.onloadedmetadata = done; v.onerror = () => res(-2); }
      }));
      log('video seconds:', dur);
      if (!(dur > 1)) fail(`uploaded video did not load from the server (${dur})`);
    }

    // Frustrated words move the frustration meter and the reply style.
    await page.fill('#text', "This is ridiculous, I already told you that twice!");
    await page.press('#text', 'Enter');
    await waitReply(page, replies++);
    await page.waitForFunction(() => Number(document.querySelector('[data-affect=frustration] [role=meter]')?.getAttribute('aria-valuenow')) > 0, null, { timeout: WAIT });
    log('frustration meter:', await page.locator('[data-affect=frustration] [role=meter]').getAttribute('aria-valuenow'),
      'style:', (await page.locator('#st-style').innerText()).replace(/\s+/g, ' ') || '(default)');
    // Issue 5's adaptation: a frustrated customer gets slower, simpler replies, shown as badges.
    await page.locator('#st-style .badge', { hasText: 'slower' }).waitFor({ timeout: WAIT });
    await shot(page, 'affect');

    // Handoff: the customer asks for a person, an agent answers from the console, the customer sees it.
    await page.click('#handoff');
    await page.waitForFunction(() => /person/.test(document.getElementById('st-status').textContent), null, { timeout: WAIT });
    const agent = await context.newPage();
    agent.on('pageerror', (e) => log('agent page error', e.message));
    await agent.goto(base + '/agent.html');
    await agent.locator(`#queue button[data-conversation="${conv}"]`).click({ timeout: WAIT });
    await agent.waitForFunction(() => (document.getElementById('summary').textContent || '').length > 10, null, { timeout: WAIT });
    log('handoff summary:', (await agent.locator('#summary').innerText()).replace(/\s+/g, ' ').slice(0, 200));
    const answer = 'Hi, this is Dana from the bank. I will finish the deposit with you.';
    await agent.fill('#reply-text', answer);
    await agent.click('#reply button[type=submit]');
    await agent.waitForFunction(() => document.getElementById('reply-status').textContent === 'Sent.', null, { timeout: WAIT });
    await shot(agent, 'agent');
    await page.locator('li.msg.agent', { hasText: 'Dana from the bank' }).waitFor({ timeout: WAIT });
    await noErrors(page);
    await shot(page, 'handoff');

    // The same conversation reopened on a phone-sized screen keeps its history and state.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p2 = await openChat(phone, '#c=' + encodeURIComponent(conv));
    await p2.waitForFunction(() => document.querySelectorAll('li.msg.bot[data-reply-for]').length >= 2, null, { timeout: WAIT });
    const thread = await p2.locator('#thread').innerText();
    if (!thread.includes('$1,250.75')) fail('reopened conversation lacks the first message');
    await shot(p2, 'phone');
    await p2.click('#toggle-panel');
    await p2.locator('#slots li[data-slot=amount]').waitFor({ state: 'visible', timeout: WAIT });
    await p2.locator('#state-panel').evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished))); // the slide-in
    await shot(p2, 'phone-panel');
    await noErrors(p2);

    // The dashboard reads /v1/stats.
    const dash = await context.newPage();
    await dash.goto(base + '/dashboard.html');
    await dash.locator('.stat').first().waitFor({ timeout: WAIT });
    log('dashboard:', (await dash.locator('#stats').innerText()).replace(/\s+/g, ' ').slice(0, 300));
    await shot(dash, 'dashboard');
  },

  // voicenote: hold the record button while the fake microphone speaks; the note is sent as WAV.
  async voicenote(browser) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const page = await openChat(context);
    await page.selectOption('#pack', 'bank');
    const hold = (Number(process.env.SPEECH_SECONDS) || 3) + 0.8;
    const btn = page.locator('#record');
    await btn.hover();
    await page.mouse.down();
    await page.waitForSelector('body[data-recording=true]', { timeout: WAIT });
    await page.waitForTimeout(hold * 1000); // the fake microphone speaks in real time
    await page.mouse.up();
    const note = page.locator('li.msg.user.voice').first();
    await note.waitFor({ timeout: WAIT });
    await page.waitForFunction(() => document.querySelector('li.msg.user.voice')?.dataset.messageId, null, { timeout: WAIT });
    const reply = await waitReply(page, 0);
    log('reply:', reply.text.replace(/\s+/g, ' '));
    if (process.env.EXPECT_REPLY && !new RegExp(process.env.EXPECT_REPLY, 'i').test(reply.text)) {
      fail(`reply "${reply.text}" does not match /${process.env.EXPECT_REPLY}/`);
    }
    const dur = await note.locator('audio').evaluate((a) => new Promise((res) => {
      if (a.readyState >= 1) res(a.duration); else { a.onloadedmetadata = () => res(a.duration); a.load(); }
    }));
    log('recorded note seconds:', dur.toFixed(2));
    if (!(dur > hold - 1.5)) fail(`voice note is ${dur}s, expected about ${hold}s`);
    if (process.env.EXPECT_TRANSCRIPT) {
      await page.waitForFunction(() => document.querySelector('li.msg.user.voice')?.dataset.transcript, null, { timeout: WAIT });
      const tr = await note.getAttribute('data-transcript');
      log('transcript:', tr);
      if (!new RegExp(process.env.EXPECT_TRANSCRIPT, 'i').test(tr)) fail(`transcript "${tr}" does not match /${process.env.EXPECT_TRANSCRIPT}/`);
    }
    await noErrors(page);
    await shot(page, 'note');
  },

  // live: a live call hears the fake microphone, shows the transcript, plays reply audio, then the
  // camera sends frames over the same socket.
  async live(browser) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const page = await openChat(context);
    await page.selectOption('#pack', 'bank');
    await page.click('#live');
    await page.waitForSelector('body[data-live=ready][data-mic=on]', { timeout: WAIT });
    await page.locator('li.msg.user.live[data-transcript]').first().waitFor({ timeout: WAIT });
    const transcript = await page.locator('li.msg.user.live[data-transcript]').first().getAttribute('data-transcript');
    log('live transcript:', transcript);
    if (process.env.EXPECT_TRANSCRIPT && !new RegExp(process.env.EXPECT_TRANSCRIPT, 'i').test(transcript)) {
      fail(`live transcript "${transcript}" does not match /${process.env.EXPECT_TRANSCRIPT}/`);
    }
    const reply = await waitReply(page, 0);
    log('live reply:', reply.text.replace(/\s+/g, ' '));
    // The utterance is announced on the socket and on the events stream; it must show once.
    const spoken = await page.locator('li.msg.user.live').count();
    if (spoken !== 1) fail(`one utterance shows as ${spoken} customer messages`);
    await page.waitForSelector('li.msg.bot[data-audio]', { timeout: WAIT });
    const audio = page.locator('li.msg.bot[data-audio] audio.live-audio, li.msg.bot[data-audio] .live-audio audio').first();
    const dur = await audio.evaluate((a) => new Promise((res) => {
      if (a.readyState >= 1) res(a.duration); else { a.onloadedmetadata = () => res(a.duration); a.onerror = () => res(-1); a.load(); }
    }));
    log('reply audio seconds:', dur.toFixed(2));
    if (!(dur > 0.2)) fail('reply audio did not decode');
    await shot(page, 'voice');

    // Barge-in: the second utterance starts while the reply plays; the server says stop_playback
    // and the page stops the audio at once.
    await page.waitForSelector('body[data-barge-in]', { timeout: WAIT });
    const barge = await page.evaluate(() => document.body.dataset.bargeIn);
    if (barge !== 'stopped') fail(`stop_playback arrived while the page was ${barge}, not playing the reply`);
    await page.waitForFunction(() => document.body.dataset.playing === 'false', null, { timeout: 2000 });
    log('barge-in: playback stopped');
    // The interruption is a customer turn of its own; let it finish before the call ends.
    await waitReply(page, 1);

    await page.click('#cam');
    await page.waitForFunction(() => Number(document.body.dataset.frames || 0) >= 5, null, { timeout: WAIT });
    log('camera frames sent:', await page.evaluate(() => document.body.dataset.frames));
    if (await page.locator('#live-bar').isHidden()) fail('live call dropped while sending camera frames');
    await shot(page, 'camera');
    await page.click('#live-end');
    await page.waitForFunction(() => !document.body.dataset.live, null, { timeout: WAIT });
    await noErrors(page);
  },

  // camera: the fake camera plays a face (FAKE_VIDEO). With EXPECT_AFFECT=rise the face lowers its
  // brows after its first seconds: the confusion meter rises, the details panel names the cue and
  // the next reply's style changes. With EXPECT_AFFECT=calm it rests: the meters stay low and the
  // style stays the default.
  async camera(browser) {
    const rise = process.env.EXPECT_AFFECT === 'rise';
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const page = await openChat(context);
    await page.selectOption('#pack', 'telecom');
    await page.fill('#text', 'my internet is down');
    await page.press('#text', 'Enter');
    await waitReply(page, 0);
    const meterValue = (name) => page.evaluate((n) => Number(document.querySelector(`[data-affect=${n}] [role=meter]`)?.getAttribute('aria-valuenow') || 0), name);
    const styleText = async () => (await page.locator('#st-style').innerText()).replace(/\s+/g, ' ').trim();
    log('style before the camera:', (await styleText()) || '(default)');
    await page.click('#cam');
    await page.waitForFunction(() => Number(document.body.dataset.frames || 0) >= 5, null, { timeout: WAIT });
    const t0 = Date.now();
    let peak = { confusion: 0, frustration: 0 };
    if (rise) {
      await page.waitForFunction(() => Number(document.querySelector('[data-affect=confusion] [role=meter]')?.getAttribute('aria-valuenow')) >= 50, null, { timeout: 40000 });
      log(`confusion meter at ${await meterValue('confusion')}% after ${((Date.now() - t0) / 1000).toFixed(1)} s of camera, frustration ${await meterValue('frustration')}%`);
      const cue = page.locator('#affect-why li[data-source=face-cue]', { hasText: 'brows lowered' }).first();
      await cue.waitFor({ timeout: WAIT });
      log('details panel:', (await page.locator('#affect-why').innerText()).replace(/\s+/g, ' '));
      await shot(page, 'confused');
    } else {
      // the rendered face rests for the whole video: watch the meters for 12 s
      while (Date.now() - t0 < 12000) {
        peak = { confusion: Math.max(peak.confusion, await meterValue('confusion')), frustration: Math.max(peak.frustration, await meterValue('frustration')) };
        await page.waitForTimeout(400);
      }
      log(`resting face: meters peaked at confusion ${peak.confusion}%, frustration ${peak.frustration}% over 12 s (${await page.evaluate(() => document.body.dataset.frames)} frames)`);
      if (peak.confusion >= 30 || peak.frustration >= 30) fail(`a resting face moved the meters to confusion ${peak.confusion}%, frustration ${peak.frustration}%`);
    }
    await page.fill('#text', 'what do I do now');
    await page.press('#text', 'Enter');
    await waitReply(page, 1);
    if (rise) {
      await page.locator('#st-style .badge', { hasText: 'visual' }).waitFor({ timeout: WAIT });
      await page.locator('#st-style .badge', { hasText: 'simpler' }).waitFor({ timeout: WAIT });
    } else if (await page.locator('#st-style .badge').count()) {
      fail('a resting face changed the reply style: ' + await styleText());
    }
    log('style after the camera:', (await styleText()) || '(default)');
    await page.click('#live-end');
    await page.waitForFunction(() => !document.body.dataset.live, null, { timeout: WAIT });
    await noErrors(page);
  },
};

const run = scenarios[scenario];
if (!base || !run) {
  console.error('usage: PARLEY_URL=http://127.0.0.1:PORT node run.mjs ' + Object.keys(scenarios).join('|'));
  process.exit(2);
}
const browser = await launch();
let code = 0;
try {
  await run(browser);
  log('ok');
} catch (e) {
  code = 1;
  console.error(`[${scenario}] FAIL: ${e.message}`);
  for (const ctx of browser.contexts()) {
    for (const p of ctx.pages()) {
      try {
        await shot(p, 'failure-' + ctx.pages().indexOf(p));
        const thread = await p.locator('#thread').innerText({ timeout: 1000 });
        console.error(`[${scenario}] thread:`, thread.replace(/\s+/g, ' ').slice(-1500));
      } catch { /* page gone */ }
    }
  }
} finally {
  await browser.close();
}
process.exit(code);

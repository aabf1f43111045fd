// On-device expressions in Chromium with a fake camera (FAKE_VIDEO): the page loads the edge
// WebAssembly and the face models, reads frames of the camera, scores them with the WebAssembly and
// prints, per frame, the lossless PNG of the pixels it scored, the scores, and the bytes a live call
// would send up (the scores as JSON, a 96-pixel thumbnail every 30 s) against the raw frame.
import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${process.env.FAKE_VIDEO}`] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') console.error('page:', m.text()); });
  await page.goto(process.env.PARLEY_URL + '/');
  await page.waitForSelector('body[data-ready="true"]');
  const out = await page.evaluate(async () => {
    const { loadFace } = await import('/edge.js');
    const t0 = performance.now();
    const edge = await loadFace();
    if (!edge) return { loaded: false };
    const loadMS = performance.now() - t0;
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const video = document.createElement('video');
    video.muted = true; video.srcObject = stream;
    await video.play();
    await new Promise((r) => setTimeout(r, 300));
    const c = document.createElement('canvas');
    c.width = video.videoWidth; c.height = video.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    const frames = [];
    for (let i = 0; i < 3; i++) {
      g.drawImage(video, 0, 0);
      const px = g.getImageData(0, 0, c.width, c.height);
      const t = performance.now();
      const faces = edge.expression(px.data, c.width, c.height);
      const ms = performance.now() - t;
      const png = await new Promise((r) => c.toBlob(r, 'image/png'));
      const bytes = new Uint8Array(await png.arrayBuffer());
      // the live socket's message, as edge.js's faceReporter builds it
      const report = JSON.stringify({ type: 'edge', report: { observations: (faces || []).slice(0, 1).map((f) => ({ kind: 'emotion',
        confidence: Math.round(Math.min(1, f.score) * 100) / 100,
        value: Object.fromEntries(Object.entries(f.expression).map(([k, v]) => [k, Math.round(v * 100) / 100]).filter(([, v]) => v > 0)),
        offset_ms: 123456 + 1000 * i })).concat([{ kind: 'affect_cue', confidence: 0.93, offset_ms: 123456 + 1000 * i, text: 'brows lowered for 12 s',
        // the landmark cues at their largest: every cue moved
        value: { confusion: 0.44, frustration: 0.12, brow_lower: 0.55, brow_raise: 0.21, lip_press: 0.33, head_tilt: 0.8, gaze_away: 0.14 } }]),
        bytes: [{ kind: 'video', sent: 180, raw: 123456 }] } });
      frames.push({ ms, faces, png: btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')), report_bytes: report.length });
      await new Promise((r) => setTimeout(r, 150));
    }
    const th = document.createElement('canvas');
    const k = 96 / Math.max(c.width, c.height);
    th.width = Math.round(c.width * k); th.height = Math.round(c.height * k);
    th.getContext('2d').drawImage(video, 0, 0, th.width, th.height);
    const thumb = await new Promise((r) => th.toBlob(r, 'image/jpeg', 0.4));
    stream.getTracks().forEach((t) => t.stop());
    return { loaded: true, load_ms: loadMS, width: c.width, height: c.height, frames, thumbnail_bytes: thumb.size };
  });
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}

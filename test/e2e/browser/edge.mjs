// The edge WebAssembly in Chromium: the chat page loads it, judges a sharp and a blurred check photo
// drawn on a canvas, and prints what it decided as JSON (the Go test compares with the server's code).
import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  const page = await browser.newPage();
  const wasm = [];
  page.on('response', (r) => { if (r.url().includes('/edge/parley.wasm')) wasm.push({ encoding: r.headers()['content-encoding'] || '', cache: r.headers()['cache-control'] || '' }); });
  await page.goto(process.env.PARLEY_URL + '/');
  await page.waitForSelector('body[data-ready="true"]');
  const out = await page.evaluate(async () => {
    const { loadEdge } = await import('/edge.js');
    const edge = await loadEdge();
    if (!edge) return { loaded: false };
    const photo = async (blur) => {
      const c = document.createElement('canvas');
      c.width = 2000; c.height = 1300;
      const g = c.getContext('2d');
      g.fillStyle = '#2a2a2a'; g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = '#e1e1e1'; g.fillRect(200, 250, 1600, 750);
      g.fillStyle = '#1e1e1e';
      let seed = 7;
      const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
      for (let line = 0; line < 8; line++) {
        for (let x = 260; x < 1500; x += 22 + rnd(12)) g.fillRect(x, 310 + line * 80, 6 + rnd(10), 18 + rnd(14));
      }
      let src = c;
      if (blur) {
        const b = document.createElement('canvas');
        b.width = c.width; b.height = c.height;
        const bg = b.getContext('2d');
        bg.filter = `blur(${blur}px)`;
        bg.drawImage(c, 0, 0);
        src = b;
      }
      const blob = await new Promise((r) => src.toBlob(r, 'image/jpeg', 0.95));
      return new Uint8Array(await blob.arrayBuffer());
    };
    const res = {};
    for (const [name, blur] of [['sharp', 0], ['blurred', 8]]) {
      const bytes = await photo(blur);
      const t0 = performance.now();
      const j = edge.judgePhoto(bytes);
      res[name] = { ms: performance.now() - t0, readable: j.report.readable, instruction: j.report.instruction || '', sharpness: j.report.sharpness,
        raw: bytes.length, upload: j.upload ? j.upload.length : 0, photo: btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join('')) };
    }
    // local speech detection: 8 s at 16 kHz with two voiced bursts; only they come back
    const rate = 16000, pcm = new Int16Array(8 * rate);
    for (let i = 0; i < pcm.length; i++) {
      const t = i / rate;
      let v = (Math.random() - 0.5) * 100;
      if ((t >= 2 && t < 3) || (t >= 5 && t < 5.8)) {
        for (let h = 1; h <= 8; h++) v += (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t)) * 5000 / h * Math.sin(2 * Math.PI * 150 * h * t);
      }
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    edge.speechStart(rate);
    let segments = [], last = null;
    for (let i = 0; i < pcm.length; i += 320) {
      last = edge.speechWrite(pcm.subarray(i, i + 320));
      segments = segments.concat(last.segments);
    }
    last = edge.speechFlush();
    segments = segments.concat(last.segments);
    res.speech = { segments: segments.map((s) => [s.start_ms, s.end_ms, s.pcm.length]), sent: last.sent, raw: last.raw };
    return { loaded: true, ...res };
  });
  out.wasm = wasm;
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}

// The Content-Security-Policy in Chromium: each page of the web client loads under the server's
// policy, does its usual start-up work (the chat page also loads the edge WebAssembly), and no
// part of it is refused. Prints one JSON report; the Go test judges it.
import { chromium } from 'playwright-core';

const base = process.env.PARLEY_URL;
const pages = ['/', '/agent.html', '/dashboard.html', '/explorer.html'];
const browser = await chromium.launch({ executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });

// watch records CSP refusals: the console's reports and securitypolicyviolation events.
async function watch(page, into) {
  page.on('console', (m) => {
    const t = m.text();
    if (/Content Security Policy|Refused to/i.test(t)) into.console.push(t);
  });
  page.on('pageerror', (e) => into.errors.push(String(e)));
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || ''}:${e.lineNumber || 0}`);
    });
  });
}

const report = { pages: [], control: null };
try {
  for (const path of pages) {
    const page = await browser.newPage();
    const r = { path, csp: '', status: 0, console: [], errors: [], violations: [], ready: false, edge: null };
    await watch(page, r);
    const resp = await page.goto(base + path, { waitUntil: 'load' });
    r.status = resp.status();
    r.csp = resp.headers()['content-security-policy'] || '';
    if (path === '/') {
      r.ready = await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 }).then(() => true, () => false);
      // The edge WebAssembly needs 'wasm-unsafe-eval': load it the way the chat does.
      r.edge = await page.evaluate(async () => {
        const { loadEdge } = await import('/edge.js');
        const e = await loadEdge();
        return !!e;
      });
    } else {
      await page.waitForLoadState('networkidle', { timeout: 15000 }).catch(() => {});
      r.ready = true;
    }
    await page.waitForTimeout(500);
    r.violations = await page.evaluate(() => window.__cspViolations);
    report.pages.push(r);
    await page.close();
  }
  // Control: an inline script is refused and seen, so a silent page means a clean page.
  const page = await browser.newPage();
  const c = { console: [], errors: [], violations: [] };
  await watch(page, c);
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true;';
    document.body.append(s);
  });
  await page.waitForTimeout(300);
  c.violations = await page.evaluate(() => window.__cspViolations);
  c.inlineRan = await page.evaluate(() => window.__inlineRan === true);
  report.control = c;
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));

'use strict';
// Drives Debian's Chromium (/usr/bin/chromium, headless) through the chat
// page of `fastws serve` (cmd/fastws/chat/index.html) as a user would:
// waits until it says it is connected, joins the lobby, sends a long
// message without spaces (the chat's longest, 2000 characters) and checks
// that it wraps inside the log instead of widening the page, then prints
// "ready" and waits for the server to shut down: the page must say so
// (with the close code) and disable its input. Prints one JSON line with
// what it saw; exits 1 if a check failed. chat-driver.js tests the chat
// itself.
//
// Usage: node demo-page-driver.js http://127.0.0.1:PORT/ USER_DATA_DIR
// Like chromium-driver.js, it lets the browser reach nothing but 127.0.0.1.

const { chromium } = require('playwright-core');

const [url, userDataDir] = process.argv.slice(2);
if (!url || !url.startsWith('http://127.0.0.1:') || !userDataDir) {
  process.stderr.write('usage: node demo-page-driver.js http://127.0.0.1:PORT/ USER_DATA_DIR\n');
  process.exit(2);
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

async function main() {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, timeout: 30000,
    viewport: { width: 480, height: 800 },
  });
  try {
    await context.route('**/*', (route) => {
      if (new URL(route.request().url()).hostname === '127.0.0.1') return route.continue();
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => process.stderr.write(`console.${m.type()}: ${m.text()}\n`));
    page.on('pageerror', (err) => process.stderr.write(`page error: ${err.stack || err}\n`));
    await page.goto(url, { timeout: 30000 });
    const seen = {};
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('connected'), null, { timeout: 30000 });
    await page.fill('#name', 'demo');
    await page.fill('#room', 'lobby');
    await page.click('#join-button');
    await page.waitForFunction(() => document.getElementById('status').textContent.endsWith(' as demo in lobby'), null, { timeout: 30000 });
    const long = 'x'.repeat(2000);
    await page.fill('#msg', long);
    await page.press('#msg', 'Enter');
    await page.waitForFunction((n) => [...document.querySelectorAll('#log .msg .text')].some((d) => d.textContent.length === n), long.length, { timeout: 30000 });
    seen.wraps = await page.evaluate(() => {
      const log = document.getElementById('log');
      return log.scrollWidth <= log.clientWidth && document.documentElement.scrollWidth <= window.innerWidth;
    });
    process.stdout.write('ready\n');
    // The status as it first turns "down", caught by a MutationObserver:
    // a moment later the page is reconnecting and says so instead.
    Object.assign(seen, await page.evaluate(() => new Promise((resolve) => {
      const s = document.getElementById('status');
      const check = () => {
        if (s.className !== 'down') return false;
        resolve({
          status: s.textContent,
          inputDisabled: document.getElementById('msg').disabled && document.getElementById('send').disabled,
        });
        return true;
      };
      if (!check()) {
        new MutationObserver((_, mo) => { if (check()) mo.disconnect(); })
          .observe(s, { attributes: true, childList: true, characterData: true, subtree: true });
      }
    })));
    seen.log = await page.evaluate(() => [...document.querySelectorAll('#log > div')].map((d) => d.textContent));
    const ok = seen.wraps && seen.inputDisabled && seen.status.includes('1001');
    await new Promise((resolve) => process.stdout.write(JSON.stringify(seen) + '\n', resolve));
    return ok ? 0 : 1;
  } finally {
    await context.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`demo-page-driver: ${err.stack || err}\n`);
  process.exit(3);
});

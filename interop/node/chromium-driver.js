'use strict';
// Drives Debian's Chromium (/usr/bin/chromium, headless) with
// playwright-core: opens URL, a page that runs the browser's echo list
// against the fastws server that served it, waits for the page to set
// window.interopResult, prints it as one JSON line on stdout, and exits 1
// if any item failed. The browser's console and errors go to stderr.
//
// Usage: node chromium-driver.js URL USER_DATA_DIR [TIMEOUT_MS]
// URL must be on 127.0.0.1 (http or https: for https, FASTWS_SPKI names
// the base64 SHA-256 of the test certificate's public key, which Chromium
// then trusts); USER_DATA_DIR a new empty directory. Every
// request to any other host is aborted, and names other than 127.0.0.1
// do not resolve, so the browser reaches nothing but the test server.

const { chromium } = require('playwright-core');

const [url, userDataDir, timeoutArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg || 120000);
if (!url || !/^https?:\/\/127\.0\.0\.1:/.test(url) || !userDataDir) {
  process.stderr.write('usage: node chromium-driver.js http[s]://127.0.0.1:PORT/ USER_DATA_DIR [TIMEOUT_MS]\n');
  process.exit(2);
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
if (process.env.FASTWS_SPKI) {
  FLAGS.push(`--ignore-certificate-errors-spki-list=${process.env.FASTWS_SPKI}`);
}

function log(line) {
  process.stderr.write(line + '\n');
}

async function main() {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    timeout: 30000,
    handleSIGTERM: true,
    handleSIGINT: true,
    handleSIGHUP: true,
  });
  try {
    await context.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      if (host === '127.0.0.1') return route.continue();
      log(`blocked a request to ${route.request().url()}`);
      return route.abort('blockedbyclient');
    });
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => log(`page error: ${err.stack || err}`));
    await page.goto(url, { timeout: 30000 });
    await page.waitForFunction(() => window.interopResult !== undefined, null, { timeout: timeoutMs, polling: 100 });
    const result = await page.evaluate(() => window.interopResult);
    const failed = !Array.isArray(result.results) || result.results.some((r) => !r.pass);
    await new Promise((resolve) => process.stdout.write(JSON.stringify(result) + '\n', resolve));
    return failed ? 1 : 0;
  } finally {
    await context.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`chromium-driver: ${err.stack || err}`);
    process.exit(3);
  },
);

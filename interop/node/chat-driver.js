'use strict';
// Drives Debian's Chromium (/usr/bin/chromium, headless) through the chat
// page of `fastws serve` (cmd/fastws/chat/index.html) as two people would:
// page A (alice) opens URL_A and page B (bob) opens URL_B, the same
// server or two nodes of one cluster. It checks, in order:
//   - a name with markup is refused, and the error shows as text;
//   - both join one room: each sees the other's join notice, and both
//     member lists show both names;
//   - each sees the other's message, markup in it shown as text and run
//     nowhere; the live panel shows the server's stats;
//   - it prints "drop" and the test cuts every chat connection on the
//     server side: both pages say so, reconnect, rejoin the room and talk
//     again;
//   - bob leaves with the Leave button, joins again, then closes his
//     page: alice sees both leave notices and her member list shrink.
// Screenshots go to SHOT_DIR, and each path is printed on stderr. The
// last line on stdout is one JSON object with what was seen; the exit
// status is 1 if a check failed.
//
// Usage: node chat-driver.js URL_A URL_B USER_DATA_DIR SHOT_DIR
// Like chromium-driver.js, it lets the browser reach nothing but 127.0.0.1.

const path = require('path');
const { chromium } = require('playwright-core');

const [urlA, urlB, userDataDir, shotDir] = process.argv.slice(2);
const local = (u) => typeof u === 'string' && u.startsWith('http://127.0.0.1:');
if (!local(urlA) || !local(urlB) || !userDataDir || !shotDir) {
  process.stderr.write('usage: node chat-driver.js http://127.0.0.1:PORT/ http://127.0.0.1:PORT/ USER_DATA_DIR SHOT_DIR\n');
  process.exit(2);
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
const WAIT = { timeout: 30000 };
const ROOM = 'test-room';
const EVIL = 'hi bob <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & bye';

const seen = { screenshots: [] };
let step = 'start';

async function open(context, label, url) {
  const page = await context.newPage();
  page.on('console', (m) => process.stderr.write(`${label} console.${m.type()}: ${m.text()}\n`));
  page.on('pageerror', (err) => process.stderr.write(`${label} page error: ${err.stack || err}\n`));
  await page.goto(url, WAIT);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('connected'), null, WAIT);
  return page;
}

async function join(page, name) {
  await page.fill('#name', name);
  await page.fill('#room', ROOM);
  await page.click('#join-button');
}

// memberList waits until page's member list is exactly names.
async function memberList(page, names) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('#members li')].map((li) => li.textContent);
    return JSON.stringify(got) === JSON.stringify(want);
  }, names, WAIT);
}

// logLine waits for a line of page's log whose text is text.
async function logLine(page, text, selector = '#log > div') {
  await page.waitForFunction(([sel, want]) => [...document.querySelectorAll(sel)].some((d) => d.textContent === want), [selector, text], WAIT);
}

async function countLines(page, text) {
  return page.evaluate((want) => [...document.querySelectorAll('#log > div')].filter((d) => d.textContent === want).length, text);
}

// message waits for name's message text in page's log, as text.
async function message(page, name, text) {
  await page.waitForFunction(([n, t]) => [...document.querySelectorAll('#log .msg')].some((d) =>
    d.querySelector('.name').textContent === n && d.querySelector('.text').textContent === t), [name, text], WAIT);
}

async function inRoom(page, name) {
  await page.waitForFunction((want) => document.getElementById('status').textContent.endsWith(want), ` as ${name} in ${ROOM}`, WAIT);
}

async function shot(page, name) {
  const file = path.join(shotDir, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  seen.screenshots.push(file);
  process.stderr.write(`screenshot ${file}\n`);
}

// noMarkupRan checks that nothing of EVIL became an element or ran.
async function noMarkupRan(page) {
  return page.evaluate(() => window.pwned === undefined && document.querySelectorAll('#log script, #log img, #members *:not(li)').length === 0);
}

async function main() {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', headless: true, args: FLAGS, timeout: 30000,
    viewport: { width: 900, height: 700 },
  });
  try {
    await context.route('**/*', (route) => {
      if (new URL(route.request().url()).hostname === '127.0.0.1') return route.continue();
      return route.abort('blockedbyclient');
    });
    step = 'open';
    const a = await open(context, 'A', urlA);
    const b = await open(context, 'B', urlB);
    for (const p of context.pages()) if (p !== a && p !== b) await p.close(); // the persistent context's blank tab

    step = 'refused name';
    await join(b, '<img src=x onerror="window.pwned = 3">');
    await logLine(b, 'error: name: no < or > (markup) please');

    step = 'join';
    await join(a, 'alice');
    await inRoom(a, 'alice');
    await memberList(a, ['alice']);
    await join(b, 'bob');
    await inRoom(b, 'bob');
    await memberList(b, ['alice', 'bob']);
    await memberList(a, ['alice', 'bob']);
    await logLine(a, `bob joined ${ROOM}`);

    step = 'talk';
    await a.fill('#msg', EVIL);
    await a.press('#msg', 'Enter');
    await message(b, 'alice', EVIL);
    await message(a, 'alice', EVIL);
    await b.fill('#msg', 'hi alice');
    await b.click('#send');
    await message(a, 'bob', 'hi alice');
    seen.markupInert = (await noMarkupRan(a)) && (await noMarkupRan(b));
    await a.waitForFunction(() => /^\d+$/.test(document.getElementById('stat-connections').textContent), null, WAIT);
    seen.stats = await a.evaluate(() => Object.fromEntries([...document.querySelectorAll('#stats dd')].map((d) => [d.id, d.textContent])));
    await shot(a, 'chat-alice');
    await shot(b, 'chat-bob');

    step = 'reconnect';
    await new Promise((resolve) => process.stdout.write('drop\n', resolve));
    for (const [p, name] of [[a, 'alice'], [b, 'bob']]) {
      await p.waitForFunction(() => [...document.querySelectorAll('#log .sys')].some((d) => d.textContent.startsWith('closed (')), null, WAIT);
      await inRoom(p, name);
    }
    seen.dropNotice = await a.evaluate(() => [...document.querySelectorAll('#log .sys')].map((d) => d.textContent).find((t) => t.startsWith('closed (')));
    await memberList(a, ['alice', 'bob']);
    await memberList(b, ['alice', 'bob']);
    await b.fill('#msg', 'back again');
    await b.press('#msg', 'Enter');
    await message(a, 'bob', 'back again');
    await shot(a, 'chat-alice-reconnected');

    step = 'leave';
    const leftLine = `bob left ${ROOM}`;
    const before = await countLines(a, leftLine);
    await b.click('#leave-button');
    await memberList(a, ['alice']);
    await a.waitForFunction(([t, n]) => [...document.querySelectorAll('#log > div')].filter((d) => d.textContent === t).length > n, [leftLine, before], WAIT);
    await b.waitForFunction(() => document.getElementById('members-title').textContent === 'Not in a room' && document.getElementById('msg').disabled, null, WAIT);
    await join(b, 'bob');
    await memberList(a, ['alice', 'bob']);
    await b.close();
    await memberList(a, ['alice']);
    await a.waitForFunction(([t, n]) => [...document.querySelectorAll('#log > div')].filter((d) => d.textContent === t).length > n + 1, [leftLine, before], WAIT);
    await shot(a, 'chat-alice-alone');
    seen.log = await a.evaluate(() => [...document.querySelectorAll('#log > div')].map((d) => d.textContent));
    seen.ok = seen.markupInert;
    step = 'done';
    await new Promise((resolve) => process.stdout.write(JSON.stringify(seen) + '\n', resolve));
    return seen.ok ? 0 : 1;
  } finally {
    await context.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`chat-driver: at step "${step}": ${err.stack || err}\n`);
  process.stdout.write(JSON.stringify({ ...seen, failedAt: step, error: String(err.message || err) }) + '\n', () => process.exit(3));
});

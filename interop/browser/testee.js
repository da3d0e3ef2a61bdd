'use strict';
// The browser as a conformance-testee client: the protocol of the Autobahn
// testsuite's fuzzing server (getCaseCount, runCase, updateReports),
// against the server that served this page. Every message is echoed with
// its type. When done, window.interopResult holds the outcome for the
// test driver; the verdicts are the suite's, on the server.

const base = 'ws://' + location.host;
const agent = new URLSearchParams(location.search).get('agent') || 'chromium';

function run(url) {
  return new Promise((resolve) => {
    let first;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => {
      if (first === undefined && typeof e.data === 'string') first = e.data;
      try {
        ws.send(e.data);
      } catch (err) {
        // the connection is closing
      }
    };
    ws.onclose = () => resolve(first);
  });
}

async function main() {
  const count = Number(await run(base + '/getCaseCount'));
  if (!Number.isInteger(count) || count <= 0) throw new Error('bad case count ' + count);
  for (let i = 1; i <= count; i++) {
    document.getElementById('status').textContent = 'case ' + i + ' of ' + count;
    await run(base + '/runCase?case=' + i + '&agent=' + encodeURIComponent(agent));
  }
  await run(base + '/updateReports?agent=' + encodeURIComponent(agent));
  return count;
}

main().then(
  (count) => {
    window.interopResult = { results: [{ name: 'testee', pass: true, detail: count + ' cases run' }] };
  },
  (err) => {
    window.interopResult = { results: [{ name: 'testee', pass: false, detail: String(err) }] };
  },
);

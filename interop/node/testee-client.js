'use strict';
// A conformance-testee client on Node's ws: asks BASE/getCaseCount for the
// number of cases, connects to BASE/runCase?case=N&agent=AGENT for each and
// echoes every message with its type until the connection ends, then asks
// BASE/updateReports?agent=AGENT. This is the protocol of the Autobahn
// testsuite's fuzzing server, which fastws's conformance suite speaks.
//
// Usage: node testee-client.js ws://127.0.0.1:PORT AGENT

const WebSocket = require('ws');

const [base, agent] = process.argv.slice(2);
if (!base || !base.startsWith('ws://127.0.0.1:') || !agent) {
  process.stderr.write('usage: node testee-client.js ws://127.0.0.1:PORT AGENT\n');
  process.exit(2);
}

// ws 8.18+ refuses messages of more than 16384 fragments by default (1008,
// a policy limit); the suite sends one of 65536.
const options = { maxPayload: 64 << 20, maxFragments: 1 << 20, handshakeTimeout: 10000, perMessageDeflate: false };

// run connects to url, echoes until the connection ends, and resolves
// with the first text message seen (for getCaseCount).
function run(url) {
  return new Promise((resolve) => {
    let first;
    const ws = new WebSocket(url, options);
    ws.on('message', (data, isBinary) => {
      if (first === undefined && !isBinary) first = data.toString();
      ws.send(data, { binary: isBinary });
    });
    ws.on('error', () => {}); // a case may fail the connection on purpose
    ws.on('close', () => resolve(first));
  });
}

async function main() {
  const count = Number(await run(`${base}/getCaseCount`));
  if (!Number.isInteger(count) || count <= 0) throw new Error(`bad case count ${count}`);
  for (let i = 1; i <= count; i++) {
    await run(`${base}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`);
  }
  await run(`${base}/updateReports?agent=${encodeURIComponent(agent)}`);
  process.stdout.write(JSON.stringify({ cases: count }) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`testee-client: ${err.stack || err}\n`);
    process.exit(1);
  },
);

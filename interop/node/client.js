'use strict';
// Node ws as the CLIENT of an echo server that speaks the interop echo
// protocol (see interop/doc.go): runs the interop echo list against it,
// checking every echo byte for byte, prints one JSON object
//   {"peer": "...", "results": [{"name", "pass", "detail"}]}
// on stdout and exits 1 if any item failed.
//
// Usage: node client.js ws://127.0.0.1:PORT
// The list runs on BASE/main; close-by-server opens BASE/server-close.

const crypto = require('node:crypto');
const WebSocket = require('ws');

const ITEM_TIMEOUT_MS = 30000;
const MiB = 1 << 20;

const base = process.argv[2];
if (!base || !base.startsWith('ws://127.0.0.1:')) {
  process.stderr.write('usage: node client.js ws://127.0.0.1:PORT\n');
  process.exit(2);
}

// withTimeout rejects if promise has not settled within ms.
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Peer wraps a ws connection with a queue of received messages, the pings
// received and how the connection closed.
class Peer {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.waiters = [];
    this.pings = [];
    this.closed = null;
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        for (const w of this.waiters.splice(0)) {
          w.reject(new Error(`connection closed (${code} "${reason}") while waiting for a message`));
        }
        resolve(this.closed);
      });
    });
    ws.on('message', (data, isBinary) => {
      const msg = { data: Buffer.isBuffer(data) ? data : Buffer.concat(data), isBinary };
      const w = this.waiters.shift();
      if (w) w.resolve(msg);
      else this.messages.push(msg);
    });
    ws.on('ping', (data) => this.pings.push(Buffer.from(data)));
    ws.on('error', (err) => process.stderr.write(`ws error: ${err.stack || err}\n`));
  }

  static open(url) {
    return withTimeout(new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 64 * MiB, handshakeTimeout: 10000 });
      const peer = new Peer(ws);
      ws.once('open', () => resolve(peer));
      ws.once('error', reject);
    }), ITEM_TIMEOUT_MS, `the handshake with ${url}`);
  }

  next() {
    if (this.messages.length > 0) return Promise.resolve(this.messages.shift());
    if (this.closed) return Promise.reject(new Error(`connection closed (${this.closed.code})`));
    return withTimeout(new Promise((resolve, reject) => this.waiters.push({ resolve, reject })),
      ITEM_TIMEOUT_MS, 'a message');
  }

  send(data, options) {
    return new Promise((resolve, reject) => {
      this.ws.send(data, options, (err) => (err ? reject(err) : resolve()));
    });
  }
}

// expectMessage checks that msg has the wanted type and exactly the wanted
// bytes, and says where it differs otherwise.
function expectMessage(msg, want, wantBinary) {
  if (msg.isBinary !== wantBinary) {
    throw new Error(`got a ${msg.isBinary ? 'binary' : 'text'} message, want ${wantBinary ? 'binary' : 'text'}`);
  }
  if (!msg.data.equals(want)) {
    let i = 0;
    while (i < msg.data.length && i < want.length && msg.data[i] === want[i]) i++;
    throw new Error(`payload differs: got ${msg.data.length} bytes, want ${want.length}; first difference at byte ${i}`);
  }
  return `${want.length} bytes echoed intact`;
}

async function echo(peer, payload, binary) {
  const want = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  await peer.send(payload, { binary });
  return expectMessage(await peer.next(), want, binary);
}

// randomText returns about n bytes of random UTF-8 text mixing one- to
// four-byte characters.
function randomText(n, asciiOnly) {
  const alphabet = Array.from(asciiOnly ? 'abcdefghijklmnopqrstuvwxyz0123456789 ' : 'abcdefghijklmnopqrstuvwxyz0123456789 éüßñ✓€日本語🚀😀');
  const picks = crypto.randomBytes(n);
  let s = '';
  let size = 0;
  for (let i = 0; size < n; i++) {
    const ch = alphabet[picks[i % n] % alphabet.length];
    const len = Buffer.byteLength(ch);
    if (size + len > n) break;
    s += ch;
    size += len;
  }
  return s + 'x'.repeat(n - size);
}

function awaitPong(peer, payload) {
  return withTimeout(new Promise((resolve) => {
    const onPong = (data) => {
      if (Buffer.from(data).equals(payload)) {
        peer.ws.off('pong', onPong);
        resolve();
      }
    };
    peer.ws.on('pong', onPong);
  }), ITEM_TIMEOUT_MS, 'the pong');
}

const items = [
  ['text', (p) => echo(p, 'hello, fastws', false)],
  ['text-utf8', (p) => echo(p, 'héllo wörld ✓ 日本語 🚀', false)],
  ['binary', (p) => echo(p, Buffer.from(Array.from({ length: 256 }, (_, i) => i)), true)],
  ['empty-text', (p) => echo(p, '', false)],
  ['empty-binary', (p) => echo(p, Buffer.alloc(0), true)],
  ['binary-125', (p) => echo(p, crypto.randomBytes(125), true)],
  ['binary-126', (p) => echo(p, crypto.randomBytes(126), true)],
  ['binary-65535', (p) => echo(p, crypto.randomBytes(65535), true)],
  ['binary-65536', (p) => echo(p, crypto.randomBytes(65536), true)],
  ['text-65536', (p) => echo(p, randomText(65536, true), false)],
  ['random-1MiB', (p) => echo(p, crypto.randomBytes(MiB), true)],
  ['random-16MiB', (p) => echo(p, crypto.randomBytes(16 * MiB), true)],
  ['text-1MiB', (p) => echo(p, randomText(MiB, false), false)],
  ['pipelined-1000', async (p) => {
    const sent = [];
    for (let i = 0; i < 1000; i++) {
      const binary = i % 2 === 1;
      let data;
      if (binary) {
        data = Buffer.alloc(4 + (i % 5), i % 251);
        data.writeUInt32BE(i, 0);
      } else {
        data = Buffer.from(`pipelined-${i}-${'x'.repeat(i % 7)}`);
      }
      sent.push({ data, binary });
      p.ws.send(data, { binary });
    }
    for (let i = 0; i < sent.length; i++) {
      const msg = await p.next();
      try {
        expectMessage(msg, sent[i].data, sent[i].binary);
      } catch (err) {
        throw new Error(`message ${i}: ${err.message}`);
      }
    }
    return '1000 messages echoed in order';
  }],
  ['fragmented-text-sent', async (p) => {
    const parts = ['frag-', 'mént', 'ed ✓'];
    parts.forEach((part, i) => p.ws.send(part, { binary: false, fin: i === parts.length - 1 }));
    return expectMessage(await p.next(), Buffer.from(parts.join('')), false) + ' (sent as 3 frames)';
  }],
  ['fragmented-binary-sent', async (p) => {
    const parts = [crypto.randomBytes(70000), crypto.randomBytes(1), Buffer.alloc(0), crypto.randomBytes(20000)];
    parts.forEach((part, i) => p.ws.send(part, { binary: true, fin: i === parts.length - 1 }));
    return expectMessage(await p.next(), Buffer.concat(parts), true) + ' (sent as 4 frames)';
  }],
  ['fragmented-received', (p) => echo(p, 'fragment-me:' + randomText(40000, false), false)],
  ['ping-by-client', async (p) => {
    const payload = Buffer.from('ping-from-client');
    const pong = awaitPong(p, payload);
    p.ws.ping(payload);
    await pong;
    return 'pong carried the ping payload';
  }],
  ['ping-125-by-client', async (p) => {
    const payload = crypto.randomBytes(125);
    const pong = awaitPong(p, payload);
    p.ws.ping(payload);
    await pong;
    return 'pong carried the 125-byte ping payload';
  }],
  ['ping-by-server', async (p) => {
    const payload = 'ping-from-server';
    await p.send(`ping-me:${payload}`, { binary: false });
    const detail = expectMessage(await p.next(), Buffer.from(`pong-received:${payload}`), false);
    if (!p.pings.some((b) => b.equals(Buffer.from(payload)))) {
      throw new Error(`the server reported our pong but no ping with payload "${payload}" arrived`);
    }
    return `ping "${payload}" received and answered; ${detail}`;
  }],
  ['close-by-client', async (p) => {
    p.ws.close(4001, 'bye-from-client');
    const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the closing handshake');
    if (c.code !== 4001) throw new Error(`the server answered our close 4001 with ${c.code} "${c.reason}"`);
    return `server answered ${c.code} "${c.reason}"`;
  }],
  ['close-by-server', async () => {
    const p = await Peer.open(`${base}/server-close`);
    await p.send('close:4002:bye-from-server', { binary: false });
    const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the server to close');
    if (c.code !== 4002 || c.reason !== 'bye-from-server') {
      throw new Error(`closed with ${c.code} "${c.reason}", want 4002 "bye-from-server"`);
    }
    return `closed with ${c.code} "${c.reason}"`;
  }],
];

async function main() {
  const results = [];
  let peer = null;
  try {
    peer = await Peer.open(`${base}/main`);
  } catch (err) {
    results.push({ name: 'connect', pass: false, detail: String(err.message || err) });
  }
  for (const [name, run] of items) {
    if (!peer) break;
    const started = Date.now();
    try {
      const detail = await withTimeout(Promise.resolve().then(() => run(peer)), ITEM_TIMEOUT_MS, name);
      results.push({ name, pass: true, detail: `${detail} (${Date.now() - started} ms)` });
    } catch (err) {
      results.push({ name, pass: false, detail: String(err.message || err) });
    }
  }
  const failed = results.some((r) => !r.pass);
  const out = JSON.stringify({ peer: `ws ${require('ws/package.json').version} on node ${process.version}`, results });
  process.stdout.write(out + '\n', () => process.exit(failed ? 1 : 0));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(3);
});

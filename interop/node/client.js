'use strict';
// Node ws as the CLIENT of an echo server that speaks the interop echo
// protocol (see interop/doc.go): runs the interop echo list against it,
// checking every echo byte for byte, prints one JSON object
//   {"peer": "...", "results": [{"name", "pass", "detail"}],
//    "connections": [{"path", "extensions", "agreed"}]}
// on stdout and exits 1 if any item failed. connections says, for each
// connection, the Sec-WebSocket-Extensions the server answered and the
// permessage-deflate terms ws applies (null for none).
//
// Usage: node client.js BASE [CONFIG]
// BASE is ws://127.0.0.1:PORT[/PREFIX]. The list runs on BASE/main;
// close-by-server opens BASE/server-close. CONFIG, JSON, selects the
// deflate list instead (see interop/doc.go):
//   {"list": "deflate", "deflate": PERMESSAGEDEFLATE, "full": BOOL, "big": BOOL}
// where PERMESSAGEDEFLATE is ws's perMessageDeflate option (null: true,
// ws's defaults), full selects the full list rather than the short one
// and big adds random-16MiB; the compression probe opens BASE/probe.

const crypto = require('node:crypto');
const WebSocket = require('ws');

const ITEM_TIMEOUT_MS = 30000;
const MiB = 1 << 20;

const base = process.argv[2];
if (!base || !base.startsWith('ws://127.0.0.1:')) {
  process.stderr.write('usage: node client.js ws://127.0.0.1:PORT[/PREFIX] [CONFIG]\n');
  process.exit(2);
}
const config = process.argv[3] ? JSON.parse(process.argv[3]) : {};
const deflateList = config.list === 'deflate';
// The perMessageDeflate option of every connection: ws's default (true)
// for the echo list.
const perMessageDeflate = deflateList && config.deflate !== null && config.deflate !== undefined ? config.deflate : true;

// connections records what each connection negotiated.
const connections = [];

// agreedTerms returns the permessage-deflate terms ws applies on ws, as
// its PerMessageDeflate picks them (a window not given is 15 bits), or
// null without permessage-deflate.
function agreedTerms(ws) {
  const pmd = ws._extensions['permessage-deflate'];
  if (!pmd) return null;
  const p = pmd.params;
  const bits = (v) => (typeof v === 'number' ? v : 15);
  return {
    server_no_context_takeover: !!p.server_no_context_takeover,
    client_no_context_takeover: !!p.client_no_context_takeover,
    server_max_window_bits: bits(p.server_max_window_bits),
    client_max_window_bits: bits(p.client_max_window_bits),
  };
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
      const ws = new WebSocket(url, { maxPayload: 64 * MiB, handshakeTimeout: 10000, perMessageDeflate });
      const peer = new Peer(ws);
      let extensions = '';
      ws.once('upgrade', (res) => { extensions = res.headers['sec-websocket-extensions'] || ''; });
      ws.once('open', () => {
        connections.push({ path: new URL(url).pathname, extensions, agreed: agreedTerms(ws) });
        resolve(peer);
      });
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

// jsonText returns n bytes of compressible JSON-like ASCII text:
// `[{"id":…,"name":"user-…",…},…` cut at n.
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'fastws', 'deflate', 'window', 'context'];
function jsonText(n) {
  const parts = ['['];
  let size = 1;
  const pick = (k) => crypto.randomInt(k);
  while (size < n) {
    const id = pick(100000);
    const rec = `{"id":${id},"name":"user-${id}","tags":["${WORDS[pick(8)]}","${WORDS[pick(8)]}"],"active":${pick(2) === 1},"score":${pick(1000)}},`;
    parts.push(rec);
    size += rec.length;
  }
  return parts.join('').slice(0, n);
}

// pipelinedMixed is message i of pipelined-1000-mixed: text for even i,
// binary for odd i, (37·i mod 400) bytes of `{"seq":I,…}` repeated.
function pipelinedMixed(i) {
  const unit = `{"seq":${i},"name":"item-${i}","ok":true}`;
  const n = (37 * i) % 400;
  const data = Buffer.from(unit.repeat(Math.floor(n / unit.length) + 1).slice(0, n));
  return { data, binary: i % 2 === 1 };
}

async function sendAll(p, messages) {
  for (const m of messages) p.ws.send(m.data, { binary: m.binary });
  for (let i = 0; i < messages.length; i++) {
    const msg = await p.next();
    try {
      expectMessage(msg, messages[i].data, messages[i].binary);
    } catch (err) {
      throw new Error(`message ${i}: ${err.message}`);
    }
  }
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

// The deflate list (see interop/doc.go): the items it shares with the echo
// list, and its own.
const common = new Map(items);
const deflateItems = [
  ['text', common.get('text')],
  ['text-utf8', common.get('text-utf8')],
  ['empty-text', common.get('empty-text')],
  ['empty-binary', common.get('empty-binary')],
  ['json-127', (p) => echo(p, jsonText(127), false)],
  ['json-128', (p) => echo(p, jsonText(128), false)],
  ['json-binary-129', (p) => echo(p, Buffer.from(jsonText(129)), true)],
  ['binary', common.get('binary')],
  ['binary-65536', common.get('binary-65536')],
  ['json-64KiB', (p) => echo(p, jsonText(64 * 1024), false)],
  ['json-1MiB', (p) => echo(p, jsonText(MiB), false)],
  ['random-1MiB', common.get('random-1MiB')],
  ['random-16MiB', common.get('random-16MiB')],
  ['text-utf8-64KiB', (p) => echo(p, randomText(64 * 1024, false), false)],
  ['json-repeated-3', async (p) => {
    const data = Buffer.from(jsonText(5000));
    await sendAll(p, [0, 1, 2].map(() => ({ data, binary: false })));
    return '3 × 5000 bytes echoed intact';
  }],
  ['uncompressed-json', async (p) => {
    const text = 'uncompressed:' + jsonText(64 * 1024);
    await p.send(text, { binary: false, compress: false });
    return expectMessage(await p.next(), Buffer.from(text), false) + ' (sent uncompressed)';
  }],
  [`pipelined-${config.full ? 1000 : 100}-mixed`, async (p) => {
    const n = config.full ? 1000 : 100;
    await sendAll(p, Array.from({ length: n }, (_, i) => pipelinedMixed(i)));
    return `${n} messages of 0 to 399 bytes echoed in order`;
  }],
  ['fragmented-text-sent', common.get('fragmented-text-sent')],
  ['fragmented-json-sent', async (p) => {
    const parts = [jsonText(25000), jsonText(25000), jsonText(25000), jsonText(25000)];
    parts.forEach((part, i) => p.ws.send(part, { binary: false, fin: i === parts.length - 1 }));
    return expectMessage(await p.next(), Buffer.from(parts.join('')), false) + ' (sent as 4 frames)';
  }],
  ['fragmented-binary-sent', common.get('fragmented-binary-sent')],
  ['fragmented-received', common.get('fragmented-received')],
  ['ping-by-client', common.get('ping-by-client')],
  ['ping-by-server', common.get('ping-by-server')],
  ['compression-probe', async () => {
    // The server checks what this message was on the wire.
    const p = await Peer.open(`${base}/probe`);
    const text = jsonText(64 * 1024);
    await p.send(text, { binary: false });
    const detail = expectMessage(await p.next(), Buffer.from(text), false);
    p.ws.close(1000);
    const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the closing handshake');
    if (c.code !== 1000) throw new Error(`the server answered our close 1000 with ${c.code} "${c.reason}"`);
    return detail;
  }],
  ['close-by-client', common.get('close-by-client')],
  ['close-by-server', common.get('close-by-server')],
].filter(([name]) => (config.full || name !== 'json-1MiB') && (config.big || name !== 'random-16MiB'));

async function main() {
  const results = [];
  let peer = null;
  try {
    peer = await Peer.open(`${base}/main`);
  } catch (err) {
    results.push({ name: 'connect', pass: false, detail: String(err.message || err) });
  }
  for (const [name, run] of deflateList ? deflateItems : items) {
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
  const out = JSON.stringify({ peer: `ws ${require('ws/package.json').version} on node ${process.version}`, results, connections });
  process.stdout.write(out + '\n', () => process.exit(failed ? 1 : 0));
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(3);
});

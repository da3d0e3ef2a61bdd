'use strict';
// The browser's echo list: the items of the interop echo list (see
// interop/doc.go) that a page can run with the WebSocket API, against the
// fastws server that served the page. A browser cannot send fragments or
// pings, but it receives fragmented messages and answers pings. Every echo
// is checked byte for byte; the outcome is left in window.interopResult as
// {peer, results: [{name, pass, detail}], connections: [{path, extensions}]}
// for the driver to read, connections giving each connection's
// ws.extensions.
//
// With ?variants=A,B (and optionally &full=A&big=A) the page runs the
// browser's deflate list instead, once per variant, on /A/main, /A/probe
// and /A/server-close, then /B/...; result names are VARIANT/ITEM. full
// selects the full list for the variants named, big adds random-16MiB.

(() => {
  const ITEM_TIMEOUT_MS = 30000;
  const MiB = 1 << 20;
  const origin = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
  const query = new URLSearchParams(location.search);
  const listOf = (key) => (query.get(key) || '').split(',').filter((v) => v !== '');
  const encoder = new TextEncoder();
  const connections = [];

  function log(line) {
    document.getElementById('log').textContent += line + '\n';
    console.log(line);
  }

  function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  // Peer wraps a WebSocket with a queue of received messages (as bytes,
  // text re-encoded as UTF-8) and how the connection closed.
  class Peer {
    constructor(ws) {
      this.ws = ws;
      this.messages = [];
      this.waiters = [];
      this.closed = null;
      ws.binaryType = 'arraybuffer';
      this.closedPromise = new Promise((resolve) => {
        ws.onclose = (ev) => {
          this.closed = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
          for (const w of this.waiters.splice(0)) {
            w.reject(new Error(`connection closed (${ev.code} "${ev.reason}") while waiting for a message`));
          }
          resolve(this.closed);
        };
      });
      ws.onmessage = (ev) => {
        const isBinary = typeof ev.data !== 'string';
        const msg = { isBinary, data: isBinary ? new Uint8Array(ev.data) : encoder.encode(ev.data) };
        const w = this.waiters.shift();
        if (w) w.resolve(msg);
        else this.messages.push(msg);
      };
    }

    static open(url) {
      return withTimeout(new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const peer = new Peer(ws);
        ws.onopen = () => {
          connections.push({ path: new URL(url).pathname, extensions: ws.extensions });
          resolve(peer);
        };
        ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
      }), ITEM_TIMEOUT_MS, `the handshake with ${url}`);
    }

    next() {
      if (this.messages.length > 0) return Promise.resolve(this.messages.shift());
      if (this.closed) return Promise.reject(new Error(`connection closed (${this.closed.code})`));
      return withTimeout(new Promise((resolve, reject) => this.waiters.push({ resolve, reject })),
        ITEM_TIMEOUT_MS, 'a message');
    }
  }

  function randomBytes(n) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
    return b;
  }

  // randomText returns n bytes of random UTF-8 text, mixing one- to
  // four-byte characters unless asciiOnly.
  function randomText(n, asciiOnly) {
    const alphabet = Array.from(asciiOnly ? 'abcdefghijklmnopqrstuvwxyz0123456789 ' : 'abcdefghijklmnopqrstuvwxyz0123456789 éüßñ✓€日本語🚀😀');
    const sizes = alphabet.map((ch) => encoder.encode(ch).length);
    const picks = randomBytes(n);
    const out = [];
    let size = 0;
    for (let i = 0; size < n; i++) {
      const k = picks[i % n] % alphabet.length;
      if (size + sizes[k] > n) break;
      out.push(alphabet[k]);
      size += sizes[k];
    }
    return out.join('') + 'x'.repeat(n - size);
  }

  function expectMessage(msg, want, wantBinary) {
    if (msg.isBinary !== wantBinary) {
      throw new Error(`got a ${msg.isBinary ? 'binary' : 'text'} message, want ${wantBinary ? 'binary' : 'text'}`);
    }
    const got = msg.data;
    let i = 0;
    while (i < got.length && i < want.length && got[i] === want[i]) i++;
    if (i !== got.length || got.length !== want.length) {
      throw new Error(`payload differs: got ${got.length} bytes, want ${want.length}; first difference at byte ${i}`);
    }
    return `${want.length} bytes echoed intact`;
  }

  // echo sends text (a string) or binary (a Uint8Array, sent as its
  // ArrayBuffer) and checks the echo.
  async function echo(p, payload) {
    const binary = typeof payload !== 'string';
    p.ws.send(binary ? payload.buffer : payload);
    return expectMessage(await p.next(), binary ? payload : encoder.encode(payload), binary);
  }

  // jsonText returns n bytes of compressible JSON-like ASCII text:
  // `[{"id":…,"name":"user-…",…},…` cut at n.
  const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'fastws', 'deflate', 'window', 'context'];
  function jsonText(n) {
    const parts = ['['];
    let size = 1;
    const pick = (k) => Math.floor(Math.random() * k);
    while (size < n) {
      const id = pick(100000);
      const rec = `{"id":${id},"name":"user-${id}","tags":["${WORDS[pick(8)]}","${WORDS[pick(8)]}"],"active":${pick(2) === 1},"score":${pick(1000)}},`;
      parts.push(rec);
      size += rec.length;
    }
    return parts.join('').slice(0, n);
  }

  // pipelinedMixed is message i of pipelined-N-mixed: text for even i,
  // binary for odd i, (37·i mod 400) bytes of `{"seq":I,…}` repeated.
  function pipelinedMixed(i) {
    const unit = `{"seq":${i},"name":"item-${i}","ok":true}`;
    const n = (37 * i) % 400;
    const s = unit.repeat(Math.floor(n / unit.length) + 1).slice(0, n);
    return i % 2 === 1 ? { data: encoder.encode(s), binary: true } : { data: s, binary: false };
  }

  // sendAll sends messages ({data: string or Uint8Array, binary}) and then
  // checks their echoes in order.
  async function sendAll(p, messages) {
    for (const m of messages) p.ws.send(m.binary ? m.data.buffer : m.data);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      try {
        expectMessage(await p.next(), m.binary ? m.data : encoder.encode(m.data), m.binary);
      } catch (err) {
        throw new Error(`message ${i}: ${err.message}`);
      }
    }
  }

  // echoItems is the echo list for the server at base.
  const echoItems = (base) => [
    ['text', (p) => echo(p, 'hello, fastws')],
    ['text-utf8', (p) => echo(p, 'héllo wörld ✓ 日本語 🚀')],
    ['binary', (p) => echo(p, Uint8Array.from({ length: 256 }, (_, i) => i))],
    ['empty-text', (p) => echo(p, '')],
    ['empty-binary', (p) => echo(p, new Uint8Array(0))],
    ['binary-125', (p) => echo(p, randomBytes(125))],
    ['binary-126', (p) => echo(p, randomBytes(126))],
    ['binary-65535', (p) => echo(p, randomBytes(65535))],
    ['binary-65536', (p) => echo(p, randomBytes(65536))],
    ['text-65536', (p) => echo(p, randomText(65536, true))],
    ['random-1MiB', (p) => echo(p, randomBytes(MiB))],
    ['random-16MiB', (p) => echo(p, randomBytes(16 * MiB))],
    ['text-1MiB', (p) => echo(p, randomText(MiB, false))],
    ['pipelined-1000', async (p) => {
      const sent = [];
      for (let i = 0; i < 1000; i++) {
        if (i % 2 === 1) {
          const b = new Uint8Array(4 + (i % 5)).fill(i % 251);
          new DataView(b.buffer).setUint32(0, i);
          sent.push({ data: b, binary: true });
          p.ws.send(b.buffer);
        } else {
          const s = `pipelined-${i}-${'x'.repeat(i % 7)}`;
          sent.push({ data: encoder.encode(s), binary: false });
          p.ws.send(s);
        }
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
    ['fragmented-received', (p) => echo(p, 'fragment-me:' + randomText(40000, false))],
    ['ping-by-server', async (p) => {
      const payload = 'ping-from-server';
      p.ws.send(`ping-me:${payload}`);
      return expectMessage(await p.next(), encoder.encode(`pong-received:${payload}`), false);
    }],
    ['close-by-client', async (p) => {
      p.ws.close(4001, 'bye-from-client');
      const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the closing handshake');
      if (c.code !== 4001 || !c.wasClean) {
        throw new Error(`the server answered our close 4001 with ${c.code} "${c.reason}" (clean: ${c.wasClean})`);
      }
      return `server answered ${c.code} "${c.reason}"`;
    }],
    ['close-by-server', async () => {
      const p = await Peer.open(`${base}/server-close`);
      p.ws.send('close:4002:bye-from-server');
      const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the server to close');
      if (c.code !== 4002 || c.reason !== 'bye-from-server' || !c.wasClean) {
        throw new Error(`closed with ${c.code} "${c.reason}" (clean: ${c.wasClean}), want a clean 4002 "bye-from-server"`);
      }
      return `closed with ${c.code} "${c.reason}"`;
    }],
  ];

  // deflateItems is the browser's deflate list (see interop/doc.go) for
  // the server at base: the items it shares with the echo list, and its
  // own.
  function deflateItems(base, full, big) {
    const common = new Map(echoItems(base));
    const n = full ? 1000 : 100;
    return [
      ['text', common.get('text')],
      ['text-utf8', common.get('text-utf8')],
      ['empty-text', common.get('empty-text')],
      ['empty-binary', common.get('empty-binary')],
      ['json-127', (p) => echo(p, jsonText(127))],
      ['json-128', (p) => echo(p, jsonText(128))],
      ['json-binary-129', (p) => echo(p, encoder.encode(jsonText(129)))],
      ['binary', common.get('binary')],
      ['binary-65536', common.get('binary-65536')],
      ['json-64KiB', (p) => echo(p, jsonText(64 * 1024))],
      ['json-1MiB', (p) => echo(p, jsonText(MiB))],
      ['random-1MiB', common.get('random-1MiB')],
      ['random-16MiB', common.get('random-16MiB')],
      ['text-utf8-64KiB', (p) => echo(p, randomText(64 * 1024, false))],
      ['json-repeated-3', async (p) => {
        const data = jsonText(5000);
        await sendAll(p, [0, 1, 2].map(() => ({ data, binary: false })));
        return '3 × 5000 bytes echoed intact';
      }],
      // A page cannot send uncompressed; the fastws server echoes this
      // one uncompressed.
      ['uncompressed-json', (p) => echo(p, 'uncompressed:' + jsonText(64 * 1024))],
      [`pipelined-${n}-mixed`, async (p) => {
        await sendAll(p, Array.from({ length: n }, (_, i) => pipelinedMixed(i)));
        return `${n} messages of 0 to 399 bytes echoed in order`;
      }],
      ['fragmented-received', common.get('fragmented-received')],
      ['ping-by-server', common.get('ping-by-server')],
      ['compression-probe', async () => {
        // The server checks what this message was on the wire.
        const p = await Peer.open(`${base}/probe`);
        const text = jsonText(64 * 1024);
        const detail = await echo(p, text);
        p.ws.close(1000);
        const c = await withTimeout(p.closedPromise, ITEM_TIMEOUT_MS, 'the closing handshake');
        if (c.code !== 1000 || !c.wasClean) {
          throw new Error(`the server answered our close 1000 with ${c.code} "${c.reason}" (clean: ${c.wasClean})`);
        }
        return detail;
      }],
      ['close-by-client', common.get('close-by-client')],
      ['close-by-server', common.get('close-by-server')],
    ].filter(([name]) => (full || name !== 'json-1MiB') && (big || name !== 'random-16MiB'));
  }

  // runList runs items on base/main, naming the results prefix+name.
  async function runList(base, items, prefix, results) {
    let peer = null;
    try {
      peer = await Peer.open(`${base}/main`);
    } catch (err) {
      results.push({ name: `${prefix}connect`, pass: false, detail: String(err.message || err) });
    }
    for (const [item, fn] of items) {
      if (!peer) break;
      const name = prefix + item;
      const started = performance.now();
      try {
        const detail = await withTimeout(Promise.resolve().then(() => fn(peer)), ITEM_TIMEOUT_MS, name);
        results.push({ name, pass: true, detail: `${detail} (${Math.round(performance.now() - started)} ms)` });
        log(`PASS ${name}: ${detail}`);
      } catch (err) {
        results.push({ name, pass: false, detail: String(err.message || err) });
        log(`FAIL ${name}: ${err.message || err}`);
      }
    }
  }

  async function run() {
    const results = [];
    const variants = listOf('variants');
    if (variants.length === 0) {
      await runList(origin, echoItems(origin), '', results);
      return results;
    }
    const full = listOf('full');
    const big = listOf('big');
    for (const v of variants) {
      const base = `${origin}/${v}`;
      await runList(base, deflateItems(base, full.includes(v), big.includes(v)), `${v}/`, results);
    }
    return results;
  }

  run().then(
    (results) => { window.interopResult = { peer: navigator.userAgent, results, connections }; },
    (err) => { window.interopResult = { peer: navigator.userAgent, results: [{ name: 'run', pass: false, detail: String(err) }], connections }; },
  );
})();

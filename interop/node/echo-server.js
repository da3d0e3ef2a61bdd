'use strict';
// Node ws as an echo SERVER speaking the interop echo protocol (see
// interop/doc.go). It listens on 127.0.0.1, prints the port it got as the
// first line of stdout, then one JSON line per finished connection:
//   {"event": "close", "path": "/main", "code": 4001, "reason": "bye-from-client",
//    "extensions": "...", "agreed": {...}}
// with the close code and reason the client's close frame carried (1005
// for none, 1006 if the connection ended without one), the
// Sec-WebSocket-Extensions the server answered and the permessage-deflate
// terms ws applied (null for none), and
//   {"event": "error", "path": ..., "error": ...}
// for anything that went wrong on a connection.
//
// Usage: node echo-server.js [PORT [VARIANTS]]   (PORT 0 or nothing: any free port)
// Without VARIANTS one server takes every path, without permessage-deflate
// (ws's server default). VARIANTS, JSON, maps names to ws's
// perMessageDeflate option (null: true, ws's defaults); the server then
// serves /NAME/... with that option, and nothing else.

const http = require('node:http');
const WebSocket = require('ws');

const PING_TIMEOUT_MS = 10000;
const port = Number(process.argv[2] || 0);
const variants = process.argv[3] ? JSON.parse(process.argv[3]) : null;

function report(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// thirds splits s into three parts at character boundaries, none empty
// when s has at least three characters.
function thirds(s) {
  const chars = Array.from(s);
  const a = Math.floor(chars.length / 3);
  const b = Math.floor((2 * chars.length) / 3);
  return [chars.slice(0, a).join(''), chars.slice(a, b).join(''), chars.slice(b).join('')];
}

function handle(ws, path, data, isBinary) {
  if (!isBinary) {
    const s = data.toString('utf8');
    if (s.startsWith('close:')) {
      const [, code, ...reason] = s.split(':');
      ws.close(Number(code), reason.join(':'));
      return;
    }
    if (s.startsWith('ping-me:')) {
      const text = s.slice('ping-me:'.length);
      const payload = Buffer.from(text);
      const onPong = (got) => {
        if (!Buffer.from(got).equals(payload)) return;
        clearTimeout(timer);
        ws.off('pong', onPong);
        ws.send(`pong-received:${text}`);
      };
      const timer = setTimeout(() => {
        ws.off('pong', onPong);
        report({ event: 'error', path, error: `no pong for ping "${text}" within ${PING_TIMEOUT_MS} ms` });
        ws.send(`pong-missing:${text}`);
      }, PING_TIMEOUT_MS);
      ws.on('pong', onPong);
      ws.ping(payload);
      return;
    }
    if (s.startsWith('fragment-me:')) {
      const parts = thirds(s);
      parts.forEach((part, i) => ws.send(part, { binary: false, fin: i === parts.length - 1 }));
      return;
    }
  }
  ws.send(data, { binary: isBinary });
}

// agreedTerms returns the permessage-deflate terms ws applies on ws (a
// window not given is 15 bits, as its PerMessageDeflate has it), or null.
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

const kExtensions = Symbol('extensions');

function fail(err) {
  process.stderr.write(`server error: ${err.stack || err}\n`);
  process.exit(1);
}

// serve runs the echo protocol on wss's connections.
function serve(wss) {
  wss.on('error', fail);
  wss.on('headers', (headers, req) => {
    const line = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
    req[kExtensions] = line ? line.slice(line.indexOf(':') + 1).trim() : '';
  });
  wss.on('connection', (ws, req) => {
    const path = req.url;
    const negotiated = { extensions: req[kExtensions] || '', agreed: agreedTerms(ws) };
    ws.on('message', (data, isBinary) => handle(ws, path, data, isBinary));
    ws.on('close', (code, reason) => report({ event: 'close', path, code, reason: reason.toString('utf8'), ...negotiated }));
    ws.on('error', (err) => report({ event: 'error', path, error: String(err.message || err) }));
  });
}

// ws 8.18+ refuses messages of more than 16384 fragments by default, with
// 1008: a policy limit, not a protocol rule. The conformance suite sends a
// 4 MiB message in 64-byte fragments (65536 of them), so this test server
// allows up to 2^20, as a server tested for conformance would.
const limits = { maxPayload: 64 << 20, maxFragments: 1 << 20 };

if (!variants) {
  const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port, ...limits });
  wss.on('listening', () => process.stdout.write(`${wss.address().port}\n`));
  serve(wss);
} else {
  const byName = new Map();
  for (const [name, option] of Object.entries(variants)) {
    const wss = new WebSocket.WebSocketServer({ noServer: true, ...limits, perMessageDeflate: option === null ? true : option });
    serve(wss);
    byName.set(name, wss);
  }
  const server = http.createServer((req, res) => {
    res.writeHead(404);
    res.end();
  });
  server.on('upgrade', (req, socket, head) => {
    const wss = byName.get(req.url.split('/')[1]);
    if (!wss) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.on('error', fail);
  server.listen(port, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}

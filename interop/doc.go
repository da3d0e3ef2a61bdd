// Package interop tests fastws against independent WebSocket
// implementations: Node's ws, Python's websockets and Chromium's WebSocket.
// It holds tests only; this file documents what they share.
//
// For Node and Python the tests run in both directions: a fastws server
// (net/http and Upgrade) in the test process with the peer's client script
// (node/client.js, python/client.py) against it, and the peer's echo
// server script (node/echo-server.js, python/echo_server.py) with a fastws
// client in the test process against it. Chromium, headless and driven by
// node/chromium-driver.js through playwright-core, loads browser/index.html
// from a fastws server and runs browser/echolist.js against the same
// origin.
//
// The peers are installed by scripts/install-peers.sh. Without them the
// tests skip, naming what is missing; with FASTWS_REQUIRE_PEERS=1 in the
// environment (as make test sets) a missing peer fails the test instead.
//
// # The conformance suite against the peers
//
// conformance_test.go runs the whole conformance suite (package
// conformance) against Node's and Python's echo servers and, through the
// testee protocol, against Node's, Python's and Chromium's clients
// (node/testee-client.js, python/testee_client.py, browser/testee.html).
// No case may fail, except the peers' known deviations, listed with their
// reason: Chromium echoes close codes that may not be sent
// (chromiumDeviations), and websockets 10.4 cannot compress with an 8-bit
// window (pythonDeviations). These runs skip under -race; make test runs
// them without it. The NON-STRICT verdicts the peers get are the ones their projects
// document for the Autobahn testsuite (websockets fails the connection
// before echoing the valid message that precedes a bad frame, 3.2, 4.x,
// 5.15, and does not fail fast on UTF-8 in 6.4.3 and 6.4.4; ws checks UTF-8
// at the end of a message, 6.4.x; Chromium closes with 1002 instead of
// 1007 on invalid UTF-8).
//
// # The echo protocol
//
// Every echo server here, fastws's and the peers', does this on each
// connection:
//
//   - it echoes every data message with its type and payload;
//   - it echoes a text message that begins "fragment-me:" as a fragmented
//     message of three frames (split at character boundaries);
//   - on the text message "ping-me:P" it pings the client with payload P
//     and, once the pong carrying P is back, sends the text
//     "pong-received:P";
//   - on the text message "close:CODE:REASON" it closes the connection with
//     that code and reason;
//   - it records the close code and reason each connection's client closed
//     with (the peers print them as JSON lines on stdout).
//
// The fastws server also echoes binary messages of 64 KiB or more through
// NextWriter in 50,000-byte writes, so that its streamed, fragmented writes
// meet every peer; other messages go back with WriteMessage, in one frame.
//
// # The echo list
//
// Every client runs the same list on the path /main, in this order, under
// these names: text, text-utf8, binary, empty-text, empty-binary,
// binary-125, binary-126, binary-65535, binary-65536, text-65536,
// random-1MiB, random-16MiB, text-1MiB, pipelined-1000 (all sent, then all
// read, in order), fragmented-text-sent, fragmented-binary-sent (the client
// sends fragments), fragmented-received ("fragment-me:"), ping-by-client
// and ping-125-by-client (the pong must carry the ping's payload),
// ping-by-server ("ping-me:"), close-by-client (the client closes with 4001
// "bye-from-client" and the server must see exactly that), and
// close-by-server (on a second connection, /server-close, the client sends
// "close:4002:bye-from-server" and must see exactly that close). A browser
// cannot send fragments or pings, so its list leaves out the items that
// would need them.
//
// # The fastws client in the browser
//
// TestWasmClientInChromium compiles this package's tests and package
// fastws's for js/wasm (one go test -c), and has Chromium load them with
// Go's wasm_exec.js from browser/wasm.html, served by a fastws echo
// server with the binaries. The page runs wasm_js_test.go's tests, the
// fastws client on the browser's WebSocket against that server, and the
// browser example of package fastws, and reports each test's --- PASS
// or --- FAIL line; every one must have passed, by name. The tests run
// the echo list as the browser's list (wasmEchoList: the items that read
// frames or watch pings read whole messages instead, and NextWriter is
// an item of its own), then subprotocols, permessage-deflate chosen by
// the browser, the server's close codes as *CloseError, contexts and
// deadlines on reads and writes, NextReader and NextWriter, Stream, and
// an error naming the limit for each thing the browser cannot do. The
// server's records of every connection are checked as for the other
// clients.
//
// # permessage-deflate
//
// The tests named *Deflate (deflate_*_test.go) run the same peers with
// permessage-deflate (RFC 7692), in both directions for ws and websockets
// and with Chromium as the client, once per variant: a way of negotiating
// it, given by the fastws side's CompressionOptions, the peer's own
// configuration (ws's perMessageDeflate option, the keyword arguments of
// websockets's PerMessageDeflateFactory; Chromium has none) and the
// Sec-WebSocket-Extensions value both must end up with. The variants
// cover each peer's defaults; server_no_context_takeover and
// client_no_context_takeover asked for by either side, and both; window
// sizes asked for by the peer (8, 9, 12 and 15 for ws; 9, 12 and 15 where
// websockets compresses, whose zlib refuses 8, and 8, 12 and 15 where it
// inflates) and imposed by fastws; the smaller of two windows winning;
// everything at once; an offer fastws declines (a client window fastws
// wants but the client did not offer to bound: no compression); and
// compressing every message, the empty ones too (Threshold -1). Chromium,
// which offers "permessage-deflate; client_max_window_bits", gets the
// default, a server without context takeover and a 10-bit window, a client
// without context takeover and a 9-bit window, and an 8-bit server window
// compressing everything. The tables (nodeClientVariants,
// nodeServerVariants, pythonClientVariants, pythonServerVariants,
// chromiumVariants) say exactly what is negotiated.
//
// A peer server serves every variant at once, each under /NAME (its
// configuration chosen by the path: ws with one WebSocketServer per
// variant, websockets through process_extensions); a peer client runs once
// per variant, against one fastws server that serves every variant under
// /NAME; Chromium runs every variant in one page. Variants run three at a
// time.
//
// Each connection's negotiated extension is checked on both sides: the
// fastws side's Conn.Extensions, and what the peer reports (the header it
// received or sent, and the terms it applies: no context takeover and the
// window bits of each side, read from ws's and websockets's extension
// objects; for Chromium, ws.extensions). Both must equal the variant's
// value once the parameters are put in a canonical order.
//
// The deflate list runs on PREFIX/main, in this order: text, text-utf8,
// empty-text, empty-binary, json-127, json-128 and json-binary-129 (JSON-
// like text either side of fastws's 128-byte threshold), binary,
// binary-65536, json-64KiB, json-1MiB, random-1MiB (compressed, more than
// fastws's 1 MiB frame: a fragmented compressed message), random-16MiB,
// text-utf8-64KiB, json-repeated-3 (one 5000-byte message three times:
// back-references into the previous message, as far as the window
// allows), uncompressed-json ("uncompressed:" and 64 KiB of JSON, sent
// uncompressed where the client can: fastws.Uncompressed, ws's compress:
// false; a fastws server echoes a text beginning "uncompressed:" with
// fastws.Uncompressed), pipelined-1000-mixed or pipelined-100-mixed (text
// and binary of 0 to 399 bytes, all sent, then all read),
// fragmented-text-sent, fragmented-json-sent, fragmented-binary-sent,
// fragmented-received (read whole: ReadFrame on a compressed connection
// would hand over compressed frames), ping-by-client, ping-by-server,
// compression-probe, close-by-client and close-by-server. Every variant
// runs the short list: without json-1MiB and random-16MiB, and with
// pipelined-100-mixed. The full list (json-1MiB, pipelined-1000-mixed) runs
// for each peer's defaults and, for ws and websockets, for their smallest
// windows without context takeover; random-16MiB runs for the defaults. (Under the race detector a
// compressed 16 MiB random message takes seconds, and many times that with
// small windows; the items that do not depend on the variant would only
// repeat themselves.) A browser's deflate list leaves out the fragments and
// pings it cannot send.
//
// compression-probe checks that compression happened, on a connection of
// its own, PREFIX/probe, whose first message is read frame by frame with
// ReadFrame and inflated by the test, not by fastws. A fastws client sends
// "fragment-me:" and 64 KiB of JSON-like text, counting the bytes that
// took on the wire (fastws compressed: less than half), and reads the
// peer's fragmented echo raw: RSV1 on its first frame and on no other,
// compressed to less than half, back-references within the server's
// negotiated window (internal/flatecheck), intact once inflated. A peer
// client sends 64 KiB of JSON-like text, which the fastws server checks
// the same way (against the client's window) before echoing it, counting
// the bytes its echo took on the wire. Where the offer is declined, the
// probe checks the opposite: no RSV1, nothing compressed.
package interop

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
// No case may fail, except Chromium's known deviations, listed with their
// reason in chromiumDeviations: Chromium echoes close codes that may not be
// sent. The NON-STRICT verdicts the peers get are the ones their projects
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
package interop

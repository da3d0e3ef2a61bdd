// Package testee holds the peer WebSocket libraries' testees for the
// fastws conformance suite: echo servers and echo clients written with the
// public API of gorilla/websocket and coder/websocket, the way those
// projects run the Autobahn testsuite against themselves.
//
// Servers are http.Handlers (serve them with [Listen]); clients implement
// [Client] and are driven through the testee protocol by [RunClient].
// Everything listens and dials on 127.0.0.1 only.
package testee

// MaxMessageSize is the read limit of the testees that set one: large
// enough for the suite's biggest message (16 MiB, category 9).
const MaxMessageSize = 64 << 20

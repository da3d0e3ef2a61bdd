// Package fastws is a WebSocket library (RFC 6455): server and client
// handshakes, and a connection with a raw frame API and a message API.
//
// Servers upgrade from net/http with [Upgrade], or from a raw net.Conn with
// [Accept], whose request parser allocates nothing. Clients connect with
// [Dial], over TCP or TLS, directly or through an HTTP proxy.
//
// A [Conn] is safe for one reading goroutine and any number of writing
// goroutines at once. Its frame API ([Conn.ReadFrame], [Conn.WriteFrame])
// shows frames as they are on the wire, payload zero-copy; its message API
// ([Conn.AppendMessage], [Conn.ReadMessage], [Conn.NextReader],
// [Conn.WriteMessage], [Conn.NextWriter]) reassembles fragments and streams.
// Pings are answered and the closing handshake completed automatically
// unless switched off.
//
// # One reader, many writers
//
// The sender/receiver split other WebSocket libraries express with two
// types is, in Go, how a connection is already used: one goroutine owns
// the reading side (ReadMessage, NextReader, ReadFrame, or a Stream's
// Read) while any number of goroutines write (WriteMessage, NextWriter,
// WriteFrame, Ping, Close, or a Stream's Write). Writes are whole frames
// under a wire lock and whole messages under a message lock, so they never
// interleave, and control frames (pongs, pings, close) may go out between
// the frames of a message being streamed. Pongs a Ping waits for, and the
// peer's close, are seen by the reading goroutine, which is why Ping and
// Close expect one to be running (Close reads by itself when none is).
//
// # Streams
//
// NewStream turns a Conn into a net.Conn byte stream for codecs that expect
// one (lines, gob, JSON, net/rpc, TLS, multiplexers), with out-of-band
// events for what a byte stream cannot carry.
//
// Every rule of the protocol is enforced by the sans-I/O core in package
// wsframe, which fastws drivers share. A peer that breaks one gets a close
// frame with the code RFC 6455 calls for (1002, 1007, 1009, ...), and the
// caller an error that names the rule; errors.Is and errors.As see through
// every error fastws returns.
package fastws

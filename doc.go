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
// Every rule of the protocol is enforced by the sans-I/O core in package
// wsframe, which fastws drivers share. A peer that breaks one gets a close
// frame with the code RFC 6455 calls for (1002, 1007, 1009, ...), and the
// caller an error that names the rule; errors.Is and errors.As see through
// every error fastws returns.
package fastws

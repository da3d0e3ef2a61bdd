// Package fastws is a WebSocket library (RFC 6455, with permessage-deflate
// from RFC 7692): server and client handshakes, and a connection with a
// message API, a raw frame API and a byte-stream adapter.
//
// # Getting a connection
//
// A server upgrades a net/http request with [Upgrade], or serves a raw
// net.Conn with [Accept], whose request parser allocates nothing. A client
// connects with [Dial], over TCP or TLS, directly or through an HTTP proxy.
// All three return a [*Conn]; their options ([AcceptOptions],
// [DialOptions]) embed the connection's own ([ConnOptions]). The zero value
// of every options type is ready to use, and a nil pointer means the
// defaults.
//
// By default a server accepts requests without an Origin header (they do
// not come from browsers) and browser requests from its own host, and
// refuses others with 403; [AcceptOptions].OriginPatterns or CheckOrigin
// widen that. permessage-deflate is off until [AcceptOptions].Compression
// or [DialOptions].Compression is set.
//
// # In the browser
//
// Compiled for js/wasm, [Dial] opens the connection with the browser's
// WebSocket API, and the Conn it returns has the same message API,
// contexts, deadlines and limits as anywhere else; [NewStream] works on
// it. The browser decides what a page cannot: TLS, proxies, HTTP/1.1 or
// HTTP/2, the request's headers and permessage-deflate
// ([Conn.Extensions] says what it agreed). What the browser's API cannot
// express fails with an error that says so, for which errors.Is(err,
// errors.ErrUnsupported) holds, rather than not compiling: the
// [DialOptions] that would override the browser's choices, raw frames,
// [Conn.Ping], close codes other than 1000 and 3000-4999, and the server
// side ([Accept], [Upgrade], [Server]).
//
// # Servers with a Handler
//
// A [Server] runs a [Handler] for each connection: OnOpen, OnMessage and
// OnClose (with a [CloseEvent] saying why it ended), and OnPing, OnPong
// and OnDrain for handlers that implement them. It serves a listener of
// its own ([Server.Serve]) or requests from net/http ([Server.ServeHTTP]),
// on epoll event loops on Linux, where an idle connection holds no
// goroutine and under 0.5 KiB, or on a goroutine per connection elsewhere
// and over TLS ([ServerOptions].Driver). The handler talks to a connection
// through its [Session], from any goroutine: writes are queued and never
// block, each queue is bounded ([ServerOptions].QueueLimit and
// QueuePolicy), and [Server.Shutdown] closes every connection with 1001
// and waits for the closing handshakes. On the loops handlers must not
// block, unless [ServerOptions].HandlerGoroutines is set.
//
// # What to read and write with
//
//   - Whole messages: [Conn.ReadMessage] returns a new slice the caller
//     owns; [Conn.AppendMessage] appends to a buffer the caller passes back
//     each time and allocates nothing in steady state. [Conn.WriteMessage]
//     sends one. This is what most programs want.
//   - A handler per message: [Conn.HandleMessages] reads until the
//     connection ends and calls a function with each message, which is
//     valid only during the call. On a socket the handler runs from inside
//     the connection's wait on the poller, the cheapest way to serve a
//     connection from its own goroutine.
//   - Streaming: [Conn.NextReader] and [Conn.NextWriter] read and write one
//     message of any size in constant memory.
//   - Raw frames: [Conn.ReadFrame] and [Conn.WriteFrame] show frames as
//     they are on the wire, FIN and opcode included, for proxies and
//     protocol work. A frame's payload is valid until the next read.
//   - A byte stream: [NewStream] turns a Conn into a net.Conn for code that
//     expects one (bufio.Scanner, encoding/gob, net/rpc, TLS, multiplexers),
//     with out-of-band events for pings, pongs and the peer's close.
//
// Text messages must be UTF-8 in both directions: the peer's are checked
// as they arrive (1007 if not), and a text message this side sends is
// checked before it leaves (an error, and nothing sent). Use [Binary] for
// other bytes.
//
// # Concurrency
//
// One goroutine may read (any of the read methods, or a Stream's Read)
// while any number of goroutines write (WriteMessage, NextWriter,
// WriteFrame, Ping, Close, or a Stream's Write). Writes are whole frames
// under a wire lock and whole messages under a message lock, so they never
// interleave; pongs, pings and close frames may go out between the frames
// of a message being streamed. Pings are answered and the peer's close
// frame echoed by the reading goroutine, so a connection that is written
// to should also have a reader running: [Conn.Ping] waits for its pong,
// and [Conn.Close] for the peer's close frame, through that reader (Close
// reads by itself when none is running). Misuse is an error, never a
// panic or a corrupted stream: a message reader or writer used after the
// next one began returns [ErrWriterClosed], a read from inside a
// HandleMessages handler returns an error, and two readers at once take
// turns.
//
// Every blocking method takes a context.Context. A read interrupted by its
// context or a deadline ([Conn.SetReadDeadline]) leaves the connection
// usable: the next read continues where it stopped. A write interrupted
// after it began closes the connection, because the peer would see a torn
// frame.
//
// # Limits and defaults
//
// Every limit has a default, documented on its option and changeable:
//
//   - [ConnOptions].MaxMessageSize: 16 MiB ([DefaultMaxMessageSize]); a
//     larger message is refused with 1009 from its header, before its
//     payload is read. Decompressed messages are held to the same limit.
//   - [ConnOptions].CloseTimeout: 5 s for the closing handshake
//     ([DefaultCloseTimeout]).
//   - Opening handshake: 10 s ([DefaultHandshakeTimeout]), request head
//     8 KiB ([DefaultMaxHeaderBytes], 431 past it) for Accept, response
//     head 16 KiB for Dial.
//   - Reading borrows an 8 KiB buffer ([DefaultReadBufferSize]) from a
//     shared pool while a read is in progress; an idle connection on a
//     socket holds none.
//
// # Errors and close codes
//
// errors.Is and errors.As see through every error fastws returns. The
// peer's close arrives as a [*CloseError] with its code and reason
// ([CloseStatus] extracts the code); a connection that ended without one
// reads as a CloseError with [CloseAbnormal] (1006). A peer that breaks a
// rule of the protocol gets a close frame with the code RFC 6455 calls for
// (1002 protocol error, 1007 invalid payload, 1009 too big), and the reader
// an error that names the rule (a *wsframe.ProtocolError or
// *wsframe.LimitError, matched with the sentinels in package wsframe such
// as wsframe.ErrInvalidUTF8 and wsframe.ErrMessageTooBig). Using a
// connection after it closed returns [ErrClosed], which is net.ErrClosed.
// A refused opening handshake is a [*HandshakeError] on both sides: the
// status, headers and start of the body the server sent.
//
// # Closing
//
// [Conn.Close] sends a close frame, waits for the peer's and closes the
// connection (a server at once, a client once the server has closed TCP, as
// RFC 6455 asks); [Conn.CloseNow] closes at once; [Conn.WriteClose] sends
// the close frame and leaves the rest to the reader, for programs that
// want every message up to the peer's close.
//
// # The protocol core
//
// Every rule of the protocol is enforced by the sans-I/O core in package
// wsframe (bytes in, events out), which every fastws driver shares; it can
// also be used on its own.
package fastws

package fastws

import (
	"net"
	"net/http"
)

// A Handler receives the events of the connections a Server accepts. The
// same Handler runs on either of the Server's drivers: the event loops on
// Linux, or a goroutine per connection (see Driver).
//
// For one connection the calls never overlap and come in order: OnOpen
// first, then OnMessage (and OnPing, OnPong, OnDrain when implemented) as
// events arrive, and OnClose exactly once, last. Calls for different
// connections may run at the same time.
//
// On the event-loop driver a handler runs on the loop by default, where
// every other connection of that loop waits for it: it must not block
// (no network calls, no waiting for locks held long, no sleeping). Work
// that blocks belongs on another goroutine, or set
// ServerOptions.HandlerGoroutines to run handlers off the loop. Writes
// through the Session never block, on either driver.
type Handler interface {
	// OnOpen is called once the opening handshake is done, before any
	// other call. req is the handshake's request, valid only during the
	// call; keep what you need in s.Data.
	OnOpen(s *Session, req *OpenRequest)

	// OnMessage is called with each message, in the order they arrived.
	// msg is borrowed: it is valid only until OnMessage returns, and the
	// Server reuses its memory afterwards. Use bytes.Clone (or append to
	// your own buffer) to keep it. Writing it back with s.WriteMessage is
	// safe, since the Session copies what it queues.
	OnMessage(s *Session, typ MessageType, msg []byte)

	// OnClose is called once, last, when the connection has ended, with
	// how it ended. The Session no longer sends anything.
	OnClose(s *Session, ev CloseEvent)
}

// A PingHandler is a Handler that wants the pings its connections receive.
// The pong has already been queued when OnPing runs (unless
// DisableAutoPong is set). payload is valid only during the call.
type PingHandler interface {
	OnPing(s *Session, payload []byte)
}

// A PongHandler is a Handler that wants the pongs its connections receive
// (including the answers to the Server's heartbeat). payload is valid only
// during the call.
type PongHandler interface {
	OnPong(s *Session, payload []byte)
}

// A DrainHandler is a Handler that wants to know when a congested
// connection can take more: OnDrain is called once its outbound queue has
// emptied after a write found it full (or more than half full). A
// producer that pauses when WriteMessage reports ErrQueueFull resumes
// here; this is what µWebSockets calls backpressure and drain.
type DrainHandler interface {
	OnDrain(s *Session)
}

// OpenRequest is the opening handshake as OnOpen sees it. It is valid
// only during OnOpen: the event-loop driver parses the request in memory
// it reuses, and an idle connection keeps none of it.
//
// What the event loops hand OnOpen is built on first use (the target, the
// header, the address), so that a handler that looks at none of it costs
// a connection no garbage: garbage per connection is what the collector's
// headroom turns into resident memory while idle connections pile up.
type OpenRequest struct {
	target string        // from head on first use, when empty
	head   []byte        // the raw request head, when fastws parsed it
	http   *http.Request // the request, when it came through net/http
	remote net.Addr      // from sess on first use, when nil
	sess   *Session
	header http.Header // built from head on first use
}

// Target returns the request target: the path and query as sent.
func (r *OpenRequest) Target() string {
	if r.target == "" && r.head != nil {
		r.target = requestTarget(r.head)
	}
	return r.target
}

// Path returns the path of the request target, without its query.
func (r *OpenRequest) Path() string {
	t := r.Target()
	for i := 0; i < len(t); i++ {
		if t[i] == '?' {
			return t[:i]
		}
	}
	return t
}

// Header returns the request's header lines.
func (r *OpenRequest) Header() http.Header {
	if r.http != nil {
		return r.http.Header
	}
	if r.header == nil {
		r.header = parseHeaderLines(r.head)
	}
	return r.header
}

// RemoteAddr returns the address of the client.
func (r *OpenRequest) RemoteAddr() net.Addr {
	if r.remote == nil && r.sess != nil {
		r.remote = r.sess.RemoteAddr()
	}
	return r.remote
}

// HTTPRequest returns the request as net/http parsed it when the
// connection was upgraded through Server.ServeHTTP, and nil when the
// Server parsed it itself (Server.Serve).
func (r *OpenRequest) HTTPRequest() *http.Request { return r.http }

// CloseCause says why a connection ended.
type CloseCause uint8

// The causes a CloseEvent reports.
const (
	// ClosedByPeer: the peer sent a close frame (its code and reason are
	// in the event) and the handshake completed.
	ClosedByPeer CloseCause = iota + 1
	// ClosedByServer: Session.Close started the closing handshake and it
	// completed (the code and reason are the ones sent).
	ClosedByServer
	// ClosedForProtocolError: the peer broke the protocol, or sent a
	// message over a limit; the code is the one sent to it (1002, 1007,
	// 1009, 1013 for a spent MemoryBudget) and Err says which rule.
	ClosedForProtocolError
	// ClosedByNetwork: the connection failed or the peer went away
	// without a close frame (code 1006); Err is the I/O error if any.
	ClosedByNetwork
	// ClosedForTimeout: a timeout ended it: the heartbeat's pong did not
	// come, the connection was idle too long, or the closing handshake
	// did not finish (code 1006).
	ClosedForTimeout
	// ClosedForShutdown: Server.Shutdown or Server.Close ended it (1001
	// was sent, when there was time for it).
	ClosedForShutdown
	// ClosedForCongestion: its outbound queue was full under
	// QueueClose (1008 was sent).
	ClosedForCongestion
)

var closeCauseNames = [...]string{
	ClosedByPeer:           "closed by peer",
	ClosedByServer:         "closed by server",
	ClosedForProtocolError: "protocol error",
	ClosedByNetwork:        "network error",
	ClosedForTimeout:       "timeout",
	ClosedForShutdown:      "shutdown",
	ClosedForCongestion:    "congestion",
}

func (c CloseCause) String() string {
	if int(c) < len(closeCauseNames) && closeCauseNames[c] != "" {
		return closeCauseNames[c]
	}
	return "CloseCause(" + itoa(int(c)) + ")"
}

// CloseEvent is how a connection ended, as OnClose is told.
type CloseEvent struct {
	Cause CloseCause
	// Code and Reason are the close frame that ended the connection: the
	// peer's, or the one this side sent; CloseAbnormal (1006) when no
	// close frame completed the handshake.
	Code   CloseCode
	Reason string
	// Err is the error behind a protocol error, a network error or a
	// timeout; nil otherwise.
	Err error
}

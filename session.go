package fastws

import (
	"errors"
	"fmt"
	"net"

	"github.com/fastws/fastws/wsframe"
)

// A Session is a connection as a Handler and the rest of a program see it
// on a Server: its methods may be called at any time, from any goroutine,
// and never block. Writes are queued for the connection and leave in
// order; the queue is bounded by ServerOptions.QueueLimit, with the
// ServerOptions.QueuePolicy deciding what a write into a full queue does.
type Session struct {
	// Data is the handler's own, one value per connection: set it in
	// OnOpen and read it in the later callbacks, which never overlap for
	// one Session. Other goroutines that use it need their own
	// synchronization.
	Data any

	// An idle event-loop connection is mostly its Session, so what
	// only some connections have (the subprotocol, the extensions) is
	// the driver's to keep.
	drv sessionDriver
}

// sessionDriver is what a driver does for a Session.
type sessionDriver interface {
	// write queues a data message (typ already checked), copying p.
	write(typ MessageType, p []byte) error
	// writePrepared queues a prepared message, sharing its frames.
	writePrepared(pm *PreparedMessage) error
	// ping queues a ping.
	ping(payload []byte) error
	// close queues a close frame after what is queued, and ends the
	// connection once the peer answers or the close timeout passes.
	close(code CloseCode, reason string, cause CloseCause) error
	// closeNow ends the connection at once.
	closeNow(cause CloseCause)
	// queued returns the bytes queued and not yet written, and dropped
	// the messages dropped under QueueDrop and QueueDropOldest.
	queued() int
	dropped() int64
	// remoteAddr is the peer's address.
	remoteAddr() net.Addr
	// negotiated returns the subprotocol and the extensions the
	// handshake settled on.
	negotiated() (protocol, extensions string)
}

// WriteMessage queues a message of type typ (Text or Binary, or'ed with
// Uncompressed to send it uncompressed on a connection with
// permessage-deflate) and returns without waiting for it to be sent. p is
// copied: the caller may reuse it at once.
//
// It returns ErrClosed once the connection is closing, ErrQueueFull when
// the outbound queue is full under QueueRefuse (nothing is queued),
// ErrQueueFullClose under QueueClose (the connection is being closed with
// 1008), ErrMemoryBudget when the Server's MemoryBudget is spent (the
// connection is being closed with 1013), and nil when the
// message was queued or, under QueueDrop, dropped and counted (under
// QueueDropOldest, older messages may have been dropped to make room). A text
// message must be valid UTF-8.
func (s *Session) WriteMessage(typ MessageType, p []byte) error {
	switch typ &^ Uncompressed {
	case Text:
		if !wsframe.ValidUTF8(p) {
			return fmt.Errorf("fastws: WriteMessage: %w", wsframe.ErrInvalidUTF8)
		}
	case Binary:
	default:
		return fmt.Errorf("fastws: WriteMessage: %v is not a data message type", typ)
	}
	return s.drv.write(typ, p)
}

// WritePrepared queues pm, as WriteMessage queues a message, with the
// same queue policy and errors. The connection sends the frame pm already
// holds where its settings allow (see PreparedMessage), so broadcasting
// one message to many Sessions encodes it once. On the event-loop driver
// a message written from outside the loop is sent by the loop, together
// with whatever else was queued for the connection in the meantime: a
// subscriber that receives many messages in one turn receives them in
// one write.
func (s *Session) WritePrepared(pm *PreparedMessage) error { return s.drv.writePrepared(pm) }

// Ping queues a ping with payload (at most 125 bytes). The pong reaches a
// PongHandler; the Server's heartbeat (ServerOptions.HeartbeatInterval)
// does this on a timer and closes connections whose pong does not come.
func (s *Session) Ping(payload []byte) error {
	if len(payload) > wsframe.MaxControlPayload {
		return fmt.Errorf("fastws: Ping: %w", wsframe.ErrControlTooLong)
	}
	return s.drv.ping(payload)
}

// Close starts the closing handshake with code and reason, after every
// message already queued, and returns without waiting. The connection
// ends when the peer answers, or after ConnOptions.CloseTimeout; OnClose
// then reports ClosedByServer. Writes after Close return ErrClosed.
func (s *Session) Close(code CloseCode, reason string) error {
	if err := wsframe.CheckClose(code, reason); err != nil {
		return fmt.Errorf("fastws: Close: %w", err)
	}
	return s.drv.close(code, reason, ClosedByServer)
}

// CloseNow ends the connection at once, without a closing handshake;
// what is queued is not sent.
func (s *Session) CloseNow() { s.drv.closeNow(ClosedByServer) }

// RemoteAddr returns the address of the peer.
func (s *Session) RemoteAddr() net.Addr { return s.drv.remoteAddr() }

// Subprotocol returns the subprotocol the handshake selected, or "".
func (s *Session) Subprotocol() string {
	p, _ := s.drv.negotiated()
	return p
}

// Extensions returns the Sec-WebSocket-Extensions value the handshake
// settled on, or "".
func (s *Session) Extensions() string {
	_, e := s.drv.negotiated()
	return e
}

// Queued returns how many bytes are queued for the connection and not yet
// written to it.
func (s *Session) Queued() int { return s.drv.queued() }

// Dropped returns how many messages were dropped under QueueDrop and
// QueueDropOldest.
func (s *Session) Dropped() int64 { return s.drv.dropped() }

// Errors a CloseEvent carries for the timeouts the event loops (Linux)
// find.
var (
	//lint:ignore U1000 used by the event loops (Linux)
	errTimedOut = errors.New("fastws: no pong to the heartbeat, or nothing received, in time")
	//lint:ignore U1000 used by the event loops (Linux)
	errCloseTimeout = errors.New("fastws: the peer did not finish the closing handshake in time")
)

// closeEventFor is how a connection whose reads ended with err ended,
// given the cause, code and reason of a close this side started (cause
// 0 when it started none).
func closeEventFor(err error, cause CloseCause, code CloseCode, reason string) CloseEvent {
	var ce *CloseError
	peerClosed := errors.As(err, &ce) && ce.Code != CloseAbnormal
	var pe *wsframe.ProtocolError
	switch {
	case cause == ClosedForTimeout:
		return CloseEvent{Cause: cause, Code: CloseAbnormal, Err: err}
	case cause != 0 && peerClosed:
		return CloseEvent{Cause: cause, Code: code, Reason: reason}
	case peerClosed:
		return CloseEvent{Cause: ClosedByPeer, Code: ce.Code, Reason: ce.Reason}
	case errors.As(err, &pe):
		return CloseEvent{Cause: ClosedForProtocolError, Code: pe.Code, Reason: pe.Rule, Err: err}
	case cause != 0:
		// This side closed and the peer never answered.
		return CloseEvent{Cause: cause, Code: CloseAbnormal, Err: err}
	}
	return CloseEvent{Cause: ClosedByNetwork, Code: CloseAbnormal, Err: err}
}

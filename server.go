package fastws

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Driver chooses how a Server runs its connections.
type Driver uint8

// The drivers.
const (
	// DriverAuto runs connections on event loops where the platform and
	// the listener allow it (Linux, a TCP or Unix socket without TLS),
	// and on goroutines otherwise.
	DriverAuto Driver = iota
	// DriverGoroutines runs each connection on a goroutine of its own,
	// over a Conn: any net.Conn, any platform.
	DriverGoroutines
	// DriverLoops runs connections on event loops, and fails where they
	// cannot run.
	DriverLoops
)

// ServerOptions configures a Server. The zero value is ready to use.
type ServerOptions struct {
	// AcceptOptions are the handshake's and the connections' options,
	// as for Accept and Upgrade.
	AcceptOptions

	// Driver chooses the event loops or a goroutine per connection.
	// DriverAuto, the default, takes the loops where it can.
	Driver Driver
	// Loops is how many event loops run connections. 0 means
	// GOMAXPROCS, for a server that has the machine to itself and runs
	// its handlers on the loops. Where other work shares the cores, fewer
	// loops cost less per message: each wakes up to more events at once
	// and none waits for a core. On 2 cores shared with a load generator,
	// one loop spent 0.75-0.79x the CPU per message of two and answered
	// 1.1-1.4x the messages/s (bench/results/echo-2026-12-03-loops.md);
	// nbio's default is NumCPU/4 pollers, at least one.
	Loops int

	// QueueLimit bounds the bytes queued for one connection and not yet
	// written (see Session.WriteMessage): at most QueueLimit plus one
	// message. While a connection's queue is at or over it, the Server
	// stops reading from that connection, so a peer that sends faster
	// than it reads is slowed down by TCP instead of having its answers
	// refused; QueuePolicy decides for writes made meanwhile (by other
	// goroutines, or a handler that answers one message with several).
	// 0 means DefaultQueueLimit (1 MiB).
	QueueLimit int
	// QueueMessages bounds the data messages queued for one connection,
	// as QueueLimit bounds their bytes: a queue is full when either is
	// reached. 0 means DefaultQueueMessages (4096).
	QueueMessages int
	// QueuePolicy is what a write into a full queue does; the default is
	// QueueRefuse.
	QueuePolicy QueuePolicy

	// HeartbeatInterval, when set, pings every connection that often;
	// a connection whose pong has not come HeartbeatTimeout after the
	// ping is closed, and OnClose reports ClosedForTimeout. 0 (the
	// default) sends no pings.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is how long a pong may take. 0 means
	// HeartbeatInterval.
	HeartbeatTimeout time.Duration
	// IdleTimeout, when set, closes a connection that has received
	// nothing (no message, no control frame) for that long. 0 (the
	// default) means none: an idle WebSocket is normal (see DESIGN.md).
	IdleTimeout time.Duration

	// HandlerGoroutines runs the handler's callbacks off the event loops:
	// each connection's on a goroutine of its own while it has any to
	// run, in order, with what the loop lends them (messages, payloads,
	// the request) copied first. Set it for handlers that block; by
	// default callbacks run on the loop and must not. The loop stops
	// reading a connection whose callbacks fall behind by QueueLimit
	// bytes. The goroutine driver always runs callbacks on the
	// connection's own goroutine, so it ignores this.
	HandlerGoroutines bool

	// ErrorLog receives what the Server cannot return to anyone: accept
	// errors it retries, and on the event loops a loop that missed its
	// turn because a handler blocked it. nil means log.Default().
	ErrorLog *log.Logger
}

func (o *ServerOptions) heartbeatTimeout() time.Duration {
	if o.HeartbeatTimeout > 0 {
		return o.HeartbeatTimeout
	}
	return o.HeartbeatInterval
}

// A Server accepts WebSocket connections and runs a Handler for each: on
// a listener it owns (Serve), or on requests that net/http routed to it
// (ServeHTTP). Shutdown closes every connection with a closing handshake,
// which http.Server.Shutdown cannot do for connections it handed over.
//
// In the browser (js/wasm) a page cannot accept connections: Serve
// returns an error and ServeHTTP answers 501 Not Implemented.
type Server struct {
	h       Handler
	ping    PingHandler  // h, when it implements it
	pong    PongHandler  // likewise
	drain   DrainHandler // likewise
	opts    ServerOptions
	maxMsg  int64 // the message size limit, resolved; 0 for none
	qlimits *queueLimits

	mu        sync.Mutex
	listeners map[net.Listener]func() // each with what stops its accepting, beyond closing it
	sessions  map[*Session]struct{}
	closing   bool
	idle      chan struct{} // closed when closing and sessions is empty
	loops     *loopGroup    // started by the first Serve that uses them

	stats serverCounters
}

// NewServer returns a Server that runs h for each connection. opts may be
// nil.
func NewServer(h Handler, opts *ServerOptions) *Server {
	s := &Server{h: h, listeners: map[net.Listener]func(){}, sessions: map[*Session]struct{}{}}
	if opts != nil {
		s.opts = *opts
	}
	switch s.maxMsg = s.opts.MaxMessageSize; {
	case s.maxMsg == 0:
		s.maxMsg = DefaultMaxMessageSize
	case s.maxMsg < 0:
		s.maxMsg = 0
	}
	s.qlimits = newQueueLimits(&s.opts)
	s.ping, _ = h.(PingHandler)
	s.pong, _ = h.(PongHandler)
	s.drain, _ = h.(DrainHandler)
	return s
}

// errLoopsUnavailable is DriverLoops where the loops cannot run.
var errLoopsUnavailable = errors.New("fastws: the event loops need Linux and a TCP or Unix listener (TLS runs on goroutines)")

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("fastws: Server closed")

// Serve accepts connections on ln, runs the opening handshake with
// fastws's own parser and serves each connection until Shutdown or Close,
// after which it returns ErrServerClosed. Any other error from ln.Accept
// that is not temporary ends it as well.
func (s *Server) Serve(ln net.Listener) error {
	if err := checkServerSide("Server.Serve"); err != nil {
		return err
	}
	loops := s.opts.Driver != DriverGoroutines && loopsSupported(ln)
	if s.opts.Driver == DriverLoops && !loops {
		return errLoopsUnavailable
	}
	if !s.addListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.removeListener(ln)
	if loops {
		return s.serveLoops(ln)
	}
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("fastws: Server: accept: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go s.acceptConn(nc)
	}
}

// acceptConn runs the handshake on a connection from Serve's listener
// and serves it on this goroutine.
func (s *Server) acceptConn(nc net.Conn) {
	c, err := Accept(nc, &s.opts.AcceptOptions)
	if err != nil {
		s.stats.handshakeFailures.Add(1)
		return
	}
	req := &OpenRequest{remote: nc.RemoteAddr()}
	if c.rbuf != nil {
		// Accept leaves the request head in the read buffer, before
		// the bytes that followed it.
		req.head = (*c.rbuf)[:c.rpos]
		req.target = requestTarget(req.head)
	}
	s.serveConn(c, req)
}

// ServeHTTP upgrades a request that net/http routed to the Server and
// serves the connection, so that a Server can sit behind a mux,
// middleware and a TLS-terminating proxy. On Linux a plain TCP or Unix
// connection is handed to the event loops once the handshake is done
// (unless Driver is DriverGoroutines); a TLS connection stays on the
// goroutine net/http gave it. A request that is not a valid upgrade is
// answered as Upgrade answers it.
//
// A WebSocket opened over HTTP/2 (RFC 8441, see Upgrade) is a stream of
// a connection net/http's goroutines serve for many requests, so it runs
// on the goroutine driver, on this handler's goroutine, whatever Driver
// says: the event loops serve HTTP/1.1 connections only.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkServerSide("Server.ServeHTTP"); err != nil {
		http.Error(w, err.Error(), http.StatusNotImplemented)
		return
	}
	if s.isClosing() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if extendedConnect(r) {
		stream, hs, err := takeOverStream(w, r, &s.opts.AcceptOptions)
		if err != nil {
			s.stats.handshakeFailures.Add(1)
			return
		}
		var remote net.Addr
		if a, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil { // numeric: no lookup
			remote = a
		}
		s.serveConn(newConn(stream, ServerSide, &s.opts.ConnOptions, hs), &OpenRequest{target: r.RequestURI, http: r, remote: remote})
		return
	}
	nc, hs, err := takeOver(w, r, &s.opts.AcceptOptions)
	if err != nil {
		s.stats.handshakeFailures.Add(1)
		return
	}
	req := &OpenRequest{target: r.RequestURI, http: r, remote: nc.RemoteAddr()}
	if s.opts.Driver != DriverGoroutines && s.adopt(nc, hs, req) {
		return
	}
	s.serveConn(newConn(nc, ServerSide, &s.opts.ConnOptions, hs), req)
}

// Shutdown stops accepting, sends every connection a close frame with
// 1001 (going away) after what is queued for it, and waits for their
// closing handshakes. When ctx ends first it closes the connections that
// are left and returns ctx's error. Serve returns ErrServerClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	idle, sessions := s.beginClose()
	for _, ss := range sessions {
		_ = ss.drv.close(CloseGoingAway, "server shutting down", ClosedForShutdown)
	}
	select {
	case <-idle:
		s.stopLoops()
		return nil
	case <-ctx.Done():
		s.closeAll()
		<-idle
		s.stopLoops()
		return ctx.Err()
	}
}

// Close stops accepting and closes every connection at once, without
// closing handshakes. OnClose reports ClosedForShutdown.
func (s *Server) Close() error {
	idle, _ := s.beginClose()
	s.closeAll()
	<-idle
	s.stopLoops()
	return nil
}

// stopLoops ends the event loops, once no session is left; connections
// still in their opening handshake are dropped.
func (s *Server) stopLoops() {
	s.mu.Lock()
	g := s.loops
	s.mu.Unlock()
	if g != nil {
		g.close()
	}
}

func (s *Server) beginClose() (idle <-chan struct{}, sessions []*Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closing {
		s.closing = true
		s.idle = make(chan struct{})
		for ln, stop := range s.listeners {
			ln.Close()
			if stop != nil {
				stop()
			}
		}
	}
	s.checkIdleLocked()
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	return s.idle, sessions
}

func (s *Server) closeAll() {
	s.mu.Lock()
	sessions := make([]*Session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.drv.closeNow(ClosedForShutdown)
	}
}

func (s *Server) checkIdleLocked() {
	if s.closing && len(s.sessions) == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) addListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.listeners[ln] = nil
	return true
}

// onClose registers what else stops accepting on ln when the Server
// closes; it reports false, having done nothing, when the Server is
// closing already.
//
//lint:ignore U1000 the event loops (Linux) use it
func (s *Server) onClose(ln net.Listener, stop func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.listeners[ln] = stop
	return true
}

func (s *Server) removeListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

// track records a new session; it reports false when the Server is
// closing, and the caller then closes the connection with 1001.
func (s *Server) track(ss *Session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions[ss] = struct{}{}
	s.stats.open.Add(1)
	s.stats.accepted.Add(1)
	return true
}

func (s *Server) untrack(ss *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[ss]; ok {
		delete(s.sessions, ss)
		s.stats.open.Add(-1)
	}
	s.checkIdleLocked()
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.ErrorLog != nil {
		s.opts.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// ServerStats are a Server's counters, as Stats reads them: a flat struct
// that expvar.Func or a metrics exporter can publish as it is.
type ServerStats struct {
	Open              int64 // connections open now
	Accepted          int64 // connections opened since the start
	HandshakeFailures int64 // handshakes refused or failed
	MessagesIn        int64 // messages received and handed to OnMessage
	MessagesOut       int64 // data messages written whole to connections (not those dropped from a queue or discarded when a connection ended)
	BytesQueued       int64 // bytes queued now, all connections together
	Dropped           int64 // messages dropped under QueueDrop and QueueDropOldest
	Refused           int64 // writes refused with ErrQueueFull
	CongestionCloses  int64 // connections closed under QueueClose
	Timeouts          int64 // connections closed by the heartbeat or IdleTimeout
}

type serverCounters struct {
	open, accepted, handshakeFailures    atomic.Int64
	messagesIn, messagesOut, bytesQueued atomic.Int64
	dropped, refused, congestionCloses   atomic.Int64
	timeouts                             atomic.Int64
}

// Stats returns the Server's counters.
func (s *Server) Stats() ServerStats {
	c := &s.stats
	return ServerStats{
		Open: c.open.Load(), Accepted: c.accepted.Load(), HandshakeFailures: c.handshakeFailures.Load(),
		MessagesIn: c.messagesIn.Load(), MessagesOut: c.messagesOut.Load(), BytesQueued: c.bytesQueued.Load(),
		Dropped: c.dropped.Load(), Refused: c.refused.Load(), CongestionCloses: c.congestionCloses.Load(),
		Timeouts: c.timeouts.Load(),
	}
}

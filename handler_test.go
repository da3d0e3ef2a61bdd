package fastws

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
	"github.com/fastws/fastws/wsframe"
)

// The Handler contract, run on every driver the platform has: the same
// tests, the same expectations.

// recorder is a Handler that records what it is told and checks the
// order of the calls for each Session.
type recorder struct {
	t       testing.TB
	onOpen  func(s *Session, req *OpenRequest)
	onMsg   func(s *Session, typ MessageType, msg []byte)
	opened  chan *Session
	closed  chan CloseEvent
	pongs   atomic.Int64
	drains  chan *Session
	overlap atomic.Bool
}

// sessionState is what recorder keeps in Session.Data.
type sessionState struct {
	in     atomic.Bool // a callback is running
	closed bool
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, opened: make(chan *Session, 64), closed: make(chan CloseEvent, 64), drains: make(chan *Session, 64)}
}

func (r *recorder) enter(s *Session) *sessionState {
	st, _ := s.Data.(*sessionState)
	if st == nil {
		r.t.Error("a callback before OnOpen, or Data lost")
		return &sessionState{}
	}
	if !st.in.CompareAndSwap(false, true) {
		r.overlap.Store(true)
	}
	if st.closed {
		r.t.Error("a callback after OnClose")
	}
	return st
}

func (r *recorder) leave(st *sessionState) { st.in.Store(false) }

func (r *recorder) OnOpen(s *Session, req *OpenRequest) {
	if s.Data != nil {
		r.t.Error("OnOpen called twice")
	}
	s.Data = &sessionState{}
	st := r.enter(s)
	defer r.leave(st)
	if r.onOpen != nil {
		r.onOpen(s, req)
	}
	r.opened <- s
}

func (r *recorder) OnMessage(s *Session, typ MessageType, msg []byte) {
	st := r.enter(s)
	defer r.leave(st)
	if r.onMsg != nil {
		r.onMsg(s, typ, msg)
		return
	}
	if err := s.WriteMessage(typ, msg); err != nil {
		r.t.Errorf("echo: %v", err)
	}
}

func (r *recorder) OnClose(s *Session, ev CloseEvent) {
	st := r.enter(s)
	st.closed = true
	r.leave(st)
	r.closed <- ev
}

func (r *recorder) OnPong(s *Session, _ []byte) {
	st := r.enter(s)
	defer r.leave(st)
	r.pongs.Add(1)
}

func (r *recorder) OnDrain(s *Session) {
	st := r.enter(s)
	defer r.leave(st)
	// Never block a callback on the test: a connection that congests and
	// drains many times (QueueDropOldest) would hold its callback lock
	// and deadlock Close. Tests wait for one drain; more are dropped.
	select {
	case r.drains <- s:
	default:
	}
}

func (r *recorder) waitClose(t testing.TB) CloseEvent {
	t.Helper()
	select {
	case ev := <-r.closed:
		return ev
	case <-time.After(testtime.Limit(10 * time.Second)):
		t.Fatal("OnClose was not called")
		return CloseEvent{}
	}
}

func (r *recorder) waitOpen(t testing.TB) *Session {
	t.Helper()
	select {
	case s := <-r.opened:
		return s
	case <-time.After(testtime.Limit(10 * time.Second)):
		t.Fatal("OnOpen was not called")
		return nil
	}
}

// rawClient connects a raw client to the server at url and returns it
// with its Session, once OnOpen has run.
func (r *recorder) rawClient(t testing.TB, url string) (*rawPeer, *Session) {
	t.Helper()
	p := dialRaw(t, strings.TrimPrefix(url, "ws://"), rawUpgrade("/"))
	p.upgraded()
	return p, r.waitOpen(t)
}

// driverLoopsWithGoroutines stands, in these tests only, for the loops
// with ServerOptions.HandlerGoroutines.
const driverLoopsWithGoroutines Driver = 100

// testDrivers are the drivers this platform runs.
var testDrivers = []struct {
	name   string
	driver Driver
}{{"goroutines", DriverGoroutines}}

// forEachDriver runs test once per driver.
func forEachDriver(t *testing.T, test func(t *testing.T, d Driver)) {
	for _, d := range testDrivers {
		t.Run(d.name, func(t *testing.T) { test(t, d.driver) })
	}
}

// startServer serves h on a loopback listener with driver d and returns
// the ws:// URL of its root; the test closes it.
func startServer(t *testing.T, d Driver, h Handler, opts *ServerOptions) (*Server, string) {
	t.Helper()
	leakcheck.Check(t)
	o := ServerOptions{}
	if opts != nil {
		o = *opts
	}
	o.Driver = d
	if d == driverLoopsWithGoroutines {
		o.Driver, o.HandlerGoroutines = DriverLoops, true
	}
	srv := NewServer(h, &o)
	ln := listen(t)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv, "ws://" + ln.Addr().String()
}

// dialSessions opens n clients to url, one after another, and returns
// them with the server's Sessions in the same order; the clients are
// closed when the test ends.
func dialSessions(t *testing.T, ctx context.Context, url string, rec *recorder, n int) ([]*Conn, []*Session) {
	t.Helper()
	var clients []*Conn
	var sessions []*Session
	for range n {
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		clients = append(clients, c)
		sessions = append(sessions, rec.waitOpen(t))
	}
	return clients, sessions
}

func TestHandlerEcho(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		var gotPath, gotHeader, gotTarget string
		rec.onOpen = func(s *Session, req *OpenRequest) {
			gotPath, gotTarget, gotHeader = req.Path(), req.Target(), req.Header().Get("X-Test")
			if req.RemoteAddr() == nil || s.RemoteAddr() == nil {
				t.Error("no remote address")
			}
		}
		_, url := startServer(t, d, rec, &ServerOptions{AcceptOptions: AcceptOptions{Subprotocols: []string{"chat"}}})
		ctx := testCtx(t)
		c, _, err := Dial(ctx, url+"/room/1?x=y", &DialOptions{Subprotocols: []string{"chat"}, Header: http.Header{"X-Test": {"hello"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		s := rec.waitOpen(t)
		if gotPath != "/room/1" || gotTarget != "/room/1?x=y" || gotHeader != "hello" {
			t.Errorf("OnOpen saw path %q target %q X-Test %q", gotPath, gotTarget, gotHeader)
		}
		if s.Subprotocol() != "chat" {
			t.Errorf("Subprotocol %q", s.Subprotocol())
		}
		for i, m := range []struct {
			typ MessageType
			p   []byte
		}{{Text, []byte("hello")}, {Binary, []byte{0, 1, 2}}, {Text, nil}, {Binary, bytes.Repeat([]byte("x"), 300<<10)}} {
			if err := c.WriteMessage(ctx, m.typ, m.p); err != nil {
				t.Fatal(err)
			}
			typ, got, err := c.ReadMessage(ctx)
			if err != nil || typ != m.typ || !bytes.Equal(got, m.p) {
				t.Fatalf("echo %d: %v %d bytes, %v", i, typ, len(got), err)
			}
		}
		if err := c.Close(CloseNormal, "bye"); err != nil {
			t.Fatal(err)
		}
		ev := rec.waitClose(t)
		if ev.Cause != ClosedByPeer || ev.Code != CloseNormal || ev.Reason != "bye" {
			t.Errorf("OnClose: %+v", ev)
		}
		if rec.overlap.Load() {
			t.Error("callbacks overlapped")
		}
	})
}

func TestHandlerServerCloses(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		rec.onMsg = func(s *Session, typ MessageType, msg []byte) {
			_ = s.WriteMessage(typ, msg)
			if err := s.Close(4000, "done"); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := s.WriteMessage(Text, []byte("late")); !errors.Is(err, ErrClosed) {
				t.Errorf("write after Close: %v, want ErrClosed", err)
			}
		}
		_, url := startServer(t, d, rec, nil)
		ctx := testCtx(t)
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		_ = c.WriteMessage(ctx, Text, []byte("last"))
		// What was queued before the close arrives before it.
		if _, msg, err := c.ReadMessage(ctx); err != nil || string(msg) != "last" {
			t.Fatalf("read %q, %v", msg, err)
		}
		if _, _, err := c.ReadMessage(ctx); CloseStatus(err) != 4000 {
			t.Fatalf("read: %v, want close 4000", err)
		}
		ev := rec.waitClose(t)
		if ev.Cause != ClosedByServer || ev.Code != 4000 || ev.Reason != "done" {
			t.Errorf("OnClose: %+v", ev)
		}
	})
}

func TestHandlerProtocolError(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, nil)
		p, _ := rec.rawClient(t, url)
		p.conn.Write(wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpText, Length: 0})) // unmasked
		if code := p.expectClose(); code != CloseProtocolError {
			t.Errorf("close code %v, want 1002", code)
		}
		ev := rec.waitClose(t)
		if ev.Cause != ClosedForProtocolError || ev.Code != CloseProtocolError || !errors.Is(ev.Err, wsframe.ErrUnmaskedFrame) {
			t.Errorf("OnClose: %+v", ev)
		}
	})
}

func TestHandlerNetworkError(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, nil)
		p, _ := rec.rawClient(t, url)
		p.send(wsframe.Header{Fin: false, Opcode: wsframe.OpText}, []byte("half a mess"))
		p.conn.Close()
		ev := rec.waitClose(t)
		if ev.Cause != ClosedByNetwork || ev.Code != CloseAbnormal {
			t.Errorf("OnClose: %+v", ev)
		}
	})
}

func TestHandlerHeartbeat(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		// A client that reads answers every ping and stays.
		rec := newRecorder(t)
		interval := 20 * time.Millisecond
		_, url := startServer(t, d, rec, &ServerOptions{HeartbeatInterval: interval, HeartbeatTimeout: testtime.Limit(2 * time.Second)})
		ctx := testCtx(t)
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		rec.waitOpen(t)
		go func() { _, _, _ = c.ReadMessage(ctx) }()
		deadline := time.Now().Add(testtime.Limit(10 * time.Second))
		for rec.pongs.Load() < 3 && time.Now().Before(deadline) {
			time.Sleep(interval)
		}
		if n := rec.pongs.Load(); n < 3 {
			t.Fatalf("%d pongs, want 3", n)
		}
		select {
		case ev := <-rec.closed:
			t.Fatalf("a client that answers was closed: %+v", ev)
		default:
		}

		// A peer that never reads nor answers is timed out.
		rec = newRecorder(t)
		srv, url := startServer(t, d, rec, &ServerOptions{HeartbeatInterval: interval, HeartbeatTimeout: 50 * time.Millisecond})
		rec.rawClient(t, url)
		ev := rec.waitClose(t)
		if ev.Cause != ClosedForTimeout || ev.Code != CloseAbnormal {
			t.Errorf("OnClose: %+v", ev)
		}
		if srv.Stats().Timeouts != 1 {
			t.Errorf("Stats: %+v", srv.Stats())
		}
	})
}

func TestHandlerIdleTimeout(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, &ServerOptions{IdleTimeout: 50 * time.Millisecond})
		// The idle clock starts on the server when the connection opens,
		// before rawClient returns: time from before the dial, or a busy
		// machine's handshake shortens what the test sees.
		start := time.Now()
		rec.rawClient(t, url)
		ev := rec.waitClose(t)
		if ev.Cause != ClosedForTimeout || time.Since(start) < 40*time.Millisecond {
			t.Errorf("OnClose after %v: %+v", time.Since(start), ev)
		}
	})
}

// A peer that never reads: the queue fills, and each policy does what it
// says; the queue never holds more than its limit plus one message.
func TestHandlerQueuePolicies(t *testing.T) {
	const limit = 256 << 10
	msg := make([]byte, 64<<10)
	for _, policy := range []QueuePolicy{QueueRefuse, QueueDrop, QueueClose} {
		t.Run([]string{"refuse", "drop", "close"}[policy], func(t *testing.T) {
			forEachDriver(t, func(t *testing.T, d Driver) {
				rec := newRecorder(t)
				srv, url := startServer(t, d, rec, &ServerOptions{QueueLimit: limit, QueuePolicy: policy})
				p, s := rec.rawClient(t, url)
				// Enough to fill the kernel's buffers and then the queue.
				var err error
				var full bool
				for i := 0; i < 4096 && !full; i++ {
					err = s.WriteMessage(Binary, msg)
					if q := s.Queued(); q > limit+len(msg) {
						t.Fatalf("%d bytes queued, more than the limit %d plus a message", q, limit)
					}
					switch policy {
					case QueueDrop:
						full = s.Dropped() > 0
					default:
						full = err != nil
					}
					if !full && i%16 == 15 {
						time.Sleep(time.Millisecond) // let the writer reach the socket
					}
				}
				if !full {
					t.Fatal("the queue never filled")
				}
				st := srv.Stats()
				switch policy {
				case QueueRefuse:
					if !errors.Is(err, ErrQueueFull) || st.Refused == 0 {
						t.Errorf("err %v, stats %+v", err, st)
					}
					s.CloseNow()
				case QueueDrop:
					if err != nil || st.Dropped == 0 {
						t.Errorf("err %v, stats %+v", err, st)
					}
					s.CloseNow()
				case QueueClose:
					if !errors.Is(err, ErrQueueFull) {
						t.Errorf("err %v", err)
					}
					// The close frame waits behind the queue the peer
					// never reads; the close timeout ends it.
					p.conn.Close()
				}
				ev := rec.waitClose(t)
				if policy == QueueClose && (ev.Cause != ClosedForCongestion || st.CongestionCloses != 1) {
					t.Errorf("OnClose: %+v, stats %+v", ev, st)
				}
			})
		})
	}
}

// A producer that pauses on ErrQueueFull resumes on OnDrain, and every
// message it sent arrives.
func TestHandlerDrain(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, &ServerOptions{QueueLimit: 64 << 10})
		ctx := testCtx(t)
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		s := rec.waitOpen(t)
		msg := make([]byte, 16<<10)
		// Fill the kernel's buffers and then the queue, with nobody
		// reading (bounded: 64 MiB at most).
		sent := 0
		for ; sent < 4096; sent++ {
			if err := s.WriteMessage(Binary, msg); errors.Is(err, ErrQueueFull) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if sent == 4096 {
			t.Fatal("the queue never filled")
		}
		// Read from now on; the producer resumes on each OnDrain.
		var target atomic.Int64
		target.Store(-1)
		read := make(chan int, 1)
		go func() {
			n := 0
			for int64(n) != target.Load() {
				if _, _, err := c.ReadMessage(ctx); err != nil {
					break
				}
				n++
			}
			read <- n
		}()
		const more = 100
		for resumed := 0; resumed < more; {
			err := s.WriteMessage(Binary, msg)
			if errors.Is(err, ErrQueueFull) {
				select {
				case <-rec.drains:
				case <-time.After(testtime.Limit(10 * time.Second)):
					t.Fatal("no OnDrain")
				}
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			sent++
			resumed++
		}
		target.Store(int64(sent))
		// The reader may be blocked on a message that is not coming if it
		// already read them all before target was set: one more ends it.
		_ = s.WriteMessage(Binary, msg)
		if n := <-read; n != sent {
			t.Fatalf("the client read %d messages of %d", n, sent)
		}
	})
}

func TestHandlerShutdown(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		srv, url := startServer(t, d, rec, nil)
		ctx := testCtx(t)
		const n = 5
		results := make(chan error, n)
		for range n {
			c, _, err := Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			rec.waitOpen(t)
			go func() {
				_, _, err := c.ReadMessage(ctx)
				results <- err
			}()
		}
		sctx, cancel := context.WithTimeout(ctx, testtime.Limit(10*time.Second))
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for range n {
			if err := <-results; CloseStatus(err) != CloseGoingAway {
				t.Errorf("client read %v, want 1001", err)
			}
			if ev := rec.waitClose(t); ev.Cause != ClosedForShutdown || ev.Code != CloseGoingAway {
				t.Errorf("OnClose: %+v", ev)
			}
		}
		if st := srv.Stats(); st.Open != 0 || st.Accepted != n {
			t.Errorf("Stats: %+v", st)
		}
	})
}

// Many goroutines write to many sessions at once while they echo.
func TestHandlerConcurrentWrites(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		rec.onMsg = func(*Session, MessageType, []byte) {}
		_, url := startServer(t, d, rec, nil)
		ctx := testCtx(t)
		const conns, writers, each = 4, 4, 50
		clients, sessions := dialSessions(t, ctx, url, rec, conns)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					for _, s := range sessions {
						if err := s.WriteMessage(Text, []byte{'a' + byte(w), byte('0' + i%10)}); err != nil {
							t.Errorf("write: %v", err)
							return
						}
					}
				}
			})
		}
		for _, c := range clients {
			last := map[byte]byte{}
			for range writers * each {
				_, msg, err := c.ReadMessage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// Each writer's messages arrive in its order.
				if prev, ok := last[msg[0]]; ok && msg[1] != '0'+(prev-'0'+1)%10 {
					t.Fatalf("writer %c: %c after %c", msg[0], msg[1], prev)
				}
				last[msg[0]] = msg[1]
			}
		}
		wg.Wait()
	})
}

// echoesTwo sends a short and a 100 KiB message and checks their echoes.
func echoesTwo(t *testing.T, ctx context.Context, c *Conn) {
	t.Helper()
	for _, m := range []string{"hi", strings.Repeat("x", 100<<10)} {
		if err := c.WriteMessage(ctx, Text, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, msg, err := c.ReadMessage(ctx); err != nil || string(msg) != m {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(m), len(msg), err)
		}
	}
}

// ServeHTTP runs the same Handler behind net/http, with the request, on
// each driver (the loops take the connection over once net/http has
// upgraded it).
func TestHandlerServeHTTP(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		leakcheck.Check(t)
		rec := newRecorder(t)
		var sawHTTP bool
		rec.onOpen = func(_ *Session, req *OpenRequest) {
			sawHTTP = req.HTTPRequest() != nil && req.Path() == "/ws" && req.Header().Get("X-Test") == "yes"
		}
		o := &ServerOptions{Driver: d}
		if d == driverLoopsWithGoroutines {
			o.Driver, o.HandlerGoroutines = DriverLoops, true
		}
		srv := NewServer(rec, o)
		mux := http.NewServeMux()
		mux.Handle("/ws", srv)
		hs := httptest.NewServer(mux)
		defer hs.Close()
		defer srv.Close()
		ctx := testCtx(t)
		c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", &DialOptions{Header: http.Header{"X-Test": {"yes"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		rec.waitOpen(t)
		if !sawHTTP {
			t.Error("OnOpen did not see the net/http request")
		}
		echoesTwo(t, ctx, c)
		_ = c.Close(CloseNormal, "")
		if ev := rec.waitClose(t); ev.Cause != ClosedByPeer {
			t.Errorf("OnClose: %+v", ev)
		}
	})
}

// A Server's MemoryBudget bounds what its connections gather and queue:
// past it, the connection that would spend more is closed with 1013, and
// everything taken is given back.
func TestHandlerMemoryBudget(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		budget := NewMemoryBudget(256 << 10)
		rec := newRecorder(t)
		rec.onMsg = func(*Session, MessageType, []byte) {}
		_, url := startServer(t, d, rec, &ServerOptions{QueueLimit: 4 << 20, AcceptOptions: AcceptOptions{ConnOptions: ConnOptions{MemoryBudget: budget}}})

		// Outbound: a peer that never reads.
		_, s := rec.rawClient(t, url)
		msg := make([]byte, 64<<10)
		var err error
		for i := 0; i < 1000 && err == nil; i++ {
			err = s.WriteMessage(Binary, msg)
		}
		if !errors.Is(err, ErrMemoryBudget) {
			t.Fatalf("writes ended with %v, want ErrMemoryBudget", err)
		}
		s.CloseNow()
		rec.waitClose(t)

		// Inbound: a message gathered past the budget.
		p, _ := rec.rawClient(t, url)
		for i := range 16 {
			op := wsframe.OpContinuation
			if i == 0 {
				op = wsframe.OpBinary
			}
			p.send(wsframe.Header{Fin: i == 15, Opcode: op}, msg)
		}
		if code := p.expectClose(); code != CloseTryAgainLater {
			t.Errorf("close code %v, want 1013", code)
		}
		rec.waitClose(t)
		deadline := time.Now().Add(testtime.Limit(5 * time.Second))
		for budget.InUse() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := budget.InUse(); n != 0 {
			t.Errorf("%d bytes still taken from the budget", n)
		}
	})
}

// A request that arrives a byte at a time is gathered and answered; one
// over MaxHeaderBytes gets 431.
func TestHandlerHandshakeInPieces(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, &ServerOptions{AcceptOptions: AcceptOptions{MaxHeaderBytes: 1024}})
		addr := strings.TrimPrefix(url, "ws://")
		p := dialRaw(t, addr, "")
		for _, b := range []byte(rawUpgrade("/bytes")) {
			if _, err := p.conn.Write([]byte{b}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Microsecond)
		}
		p.upgraded()
		rec.waitOpen(t)
		big := dialRaw(t, addr, rawUpgrade("/", "X-Big: "+strings.Repeat("b", 2000)))
		if resp := big.response(); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("a 2 KB request head got %s, want 431", resp.Status)
		}
	})
}

// ServeHTTP serves a WebSocket opened over HTTP/2 on the handler's own
// goroutine, whatever the driver: the Handler sees the same events.
func TestHandlerServeHTTP2(t *testing.T) {
	xconnect.Require(t)
	forEachDriver(t, func(t *testing.T, d Driver) {
		leakcheck.Check(t)
		rec := newRecorder(t)
		var proto string
		rec.onOpen = func(s *Session, req *OpenRequest) {
			proto = req.HTTPRequest().Proto + " " + req.Path() + " " + s.RemoteAddr().Network()
		}
		o := &ServerOptions{Driver: d}
		if d == driverLoopsWithGoroutines {
			o.Driver, o.HandlerGoroutines = DriverLoops, true
		}
		srv := NewServer(rec, o)
		hs := httptest.NewUnstartedServer(srv)
		hs.EnableHTTP2 = true
		hs.StartTLS()
		defer hs.Close()
		defer srv.Close()
		ctx := testCtx(t)
		c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(hs.URL, "https")+"/ws", &DialOptions{
			TLSConfig: &tls.Config{RootCAs: hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
			HTTP2:     HTTP2Only,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		rec.waitOpen(t)
		if proto != "HTTP/2.0 /ws tcp" {
			t.Errorf("OnOpen saw %q, want HTTP/2.0 /ws tcp", proto)
		}
		echoesTwo(t, ctx, c)
		_ = c.Close(CloseNormal, "")
		if ev := rec.waitClose(t); ev.Cause != ClosedByPeer {
			t.Errorf("OnClose: %+v", ev)
		}
	})
}

// A handler may write the message it was lent, whole or in part, as
// often as it likes and to any connection, and the message stays as it
// arrived for the rest of the call. Three messages sent back to back
// share the server's reads, where the loop lends them in place.
func TestHandlerWritesLentMessage(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		var other atomic.Pointer[Session]
		rec.onMsg = func(s *Session, typ MessageType, msg []byte) {
			orig := bytes.Clone(msg)
			for _, p := range [][]byte{msg, msg, msg[:len(msg)-100], msg[100:]} {
				if err := s.WriteMessage(typ, p); err != nil {
					t.Errorf("write: %v", err)
				}
			}
			if o := other.Load(); o != nil && o != s {
				if err := o.WriteMessage(typ, msg); err != nil {
					t.Errorf("write to the other session: %v", err)
				}
			}
			if !bytes.Equal(msg, orig) {
				t.Error("writing the message changed it")
			}
		}
		_, url := startServer(t, d, rec, nil)
		ctx := testCtx(t)
		clients, sessions := dialSessions(t, ctx, url, rec, 2)
		other.Store(sessions[1])
		msgs := [][]byte{randomLetters(1, 40<<10), randomLetters(2, 20<<10), randomLetters(3, 70<<10)}
		// Sent back to back, so that several frames share the server's
		// reads.
		for _, m := range msgs {
			if err := clients[0].WriteMessage(ctx, Binary, m); err != nil {
				t.Fatal(err)
			}
		}
		for i, m := range msgs {
			for j, want := range [][]byte{m, m, m[:len(m)-100], m[100:]} {
				typ, got, err := clients[0].ReadMessage(ctx)
				if err != nil || typ != Binary || !bytes.Equal(got, want) {
					t.Fatalf("message %d, write %d: %v of %d bytes (want %d), %v", i, j, typ, len(got), len(want), err)
				}
			}
			if _, got, err := clients[1].ReadMessage(ctx); err != nil || !bytes.Equal(got, m) {
				t.Fatalf("message %d at the other client: %d bytes, %v", i, len(got), err)
			}
		}
	})
}

package hub

import (
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// roomHandler subscribes every connection to "room" and forgets it when
// it closes: what a chat server's handler does with a Hub.
type roomHandler struct {
	h      *Hub
	opened chan *fastws.Session
	closed chan fastws.CloseEvent
}

func (r *roomHandler) OnOpen(s *fastws.Session, _ *fastws.OpenRequest) {
	r.h.Subscribe(s, "room")
	r.opened <- s
}

func (r *roomHandler) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = r.h.Publish("room", typ, msg)
}

func (r *roomHandler) OnClose(s *fastws.Session, ev fastws.CloseEvent) {
	r.h.UnsubscribeAll(s)
	select {
	case r.closed <- ev:
	default: // a test that closes many connections at once does not wait for each
	}
}

func forEachDriver(t *testing.T, test func(t *testing.T, d fastws.Driver)) {
	t.Run("goroutines", func(t *testing.T) { test(t, fastws.DriverGoroutines) })
	if runtime.GOOS == "linux" {
		t.Run("loops", func(t *testing.T) { test(t, fastws.DriverLoops) })
	}
}

func startRoom(t *testing.T, d fastws.Driver, opts fastws.ServerOptions) (*roomHandler, *fastws.Server, string) {
	t.Helper()
	leakcheck.Check(t)
	r := &roomHandler{h: New(), opened: make(chan *fastws.Session, 64), closed: make(chan fastws.CloseEvent, 256)}
	opts.Driver = d
	srv := fastws.NewServer(r, &opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, srv, "ws://" + ln.Addr().String() + "/"
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(30*time.Second))
	t.Cleanup(cancel)
	return ctx
}

func (r *roomHandler) waitOpen(t *testing.T) *fastws.Session {
	t.Helper()
	select {
	case s := <-r.opened:
		return s
	case <-time.After(testtime.Limit(10 * time.Second)):
		t.Fatal("no OnOpen")
		return nil
	}
}

// A subscriber that never reads costs its queue and nothing more: the
// others receive every message, in order, while its queue stays within
// its limit and drops its oldest messages.
func TestSlowSubscriberDoesNotHoldUpTheOthers(t *testing.T) {
	const limit, readers, total = 128 << 10, 3, 3000
	forEachDriver(t, func(t *testing.T, d fastws.Driver) {
		r, _, url := startRoom(t, d, fastws.ServerOptions{QueueLimit: limit, QueuePolicy: fastws.QueueDropOldest})
		ctx := testCtx(t)
		// The stalled peer: connected, never reading.
		stalled, _, err := fastws.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.CloseNow()
		slow := r.waitOpen(t)
		var conns []*fastws.Conn
		var live []*fastws.Session
		for range readers {
			c, _, err := fastws.Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			conns = append(conns, c)
			live = append(live, r.waitOpen(t))
		}
		var wg sync.WaitGroup
		errs := make(chan error, readers)
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range total {
					_, msg, err := c.ReadMessage(ctx)
					if err != nil {
						errs <- err
						return
					}
					if got := binary.BigEndian.Uint64(msg); got != uint64(n) {
						t.Errorf("message %d, want %d", got, n)
						return
					}
				}
			}()
		}
		msg := make([]byte, 2<<10)
		deadline := time.Now().Add(testtime.Limit(20 * time.Second))
		for n := range total {
			// A publisher at the pace of the readers that read (however
			// slow the machine), so that only the stalled one overflows.
			for _, s := range live {
				for s.Queued() > limit/4 && time.Now().Before(deadline) {
					time.Sleep(100 * time.Microsecond)
				}
			}
			binary.BigEndian.PutUint64(msg, uint64(n))
			if err := r.h.Publish("room", fastws.Binary, msg); err != nil {
				t.Fatal(err)
			}
			if q := slow.Queued(); q > limit+len(msg)+16 {
				t.Fatalf("the stalled subscriber has %d bytes queued", q)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		st := r.h.Stats()
		if slow.Dropped() == 0 || st.Dropped < slow.Dropped() {
			t.Errorf("stalled subscriber dropped %d, hub stats %+v", slow.Dropped(), st)
		}
		if st.Delivered != int64(total*(readers+1)) {
			t.Errorf("delivered %d, want %d: under QueueDropOldest every message is taken", st.Delivered, total*(readers+1))
		}
	})
}

// Under QueueClose the slow subscriber is closed with 1008 and forgotten,
// and the hub counts it.
func TestSlowSubscriberClosed(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d fastws.Driver) {
		opts := fastws.ServerOptions{QueueLimit: 64 << 10, QueuePolicy: fastws.QueueClose}
		opts.CloseTimeout = 200 * time.Millisecond
		r, _, url := startRoom(t, d, opts)
		ctx := testCtx(t)
		stalled, _, err := fastws.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer stalled.CloseNow()
		slow := r.waitOpen(t)
		msg := make([]byte, 8<<10)
		for i := 0; i < 20000 && r.h.Subscribers("room") > 0; i++ {
			_ = r.h.Publish("room", fastws.Binary, msg)
			if i%16 == 15 {
				time.Sleep(time.Millisecond)
			}
		}
		if r.h.TopicsOf(slow) != nil {
			t.Fatal("the slow subscriber was never closed")
		}
		if st := r.h.Stats(); st.SlowCloses != 1 {
			t.Errorf("stats %+v", st)
		}
		// The peer stays connected and never reads: the close frame
		// cannot reach it, and the close timeout ends the connection.
		select {
		case ev := <-r.closed:
			if ev.Cause != fastws.ClosedForCongestion {
				t.Errorf("OnClose %+v", ev)
			}
		case <-time.After(testtime.Limit(10 * time.Second)):
			t.Fatal("no OnClose")
		}
	})
}

// Connections close while messages are being published to them: the hub
// forgets them, nothing blocks, and the rest keep receiving.
func TestCloseDuringPublish(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d fastws.Driver) {
		r, _, url := startRoom(t, d, fastws.ServerOptions{})
		ctx := testCtx(t)
		const n = 8
		var conns []*fastws.Conn
		for range n {
			c, _, err := fastws.Dial(ctx, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			conns = append(conns, c)
			r.waitOpen(t)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 2000; i++ {
				_ = r.h.Publish("room", fastws.Text, []byte("tick"))
			}
		}()
		for _, c := range conns[:n/2] {
			_ = c.Close(fastws.CloseNormal, "")
		}
		select {
		case <-done:
		case <-time.After(testtime.Limit(20 * time.Second)):
			t.Fatal("publishing blocked")
		}
		for range n / 2 {
			select {
			case <-r.closed:
			case <-time.After(testtime.Limit(10 * time.Second)):
				t.Fatal("no OnClose")
			}
		}
		if got := r.h.Subscribers("room"); got != n/2 {
			t.Errorf("%d subscribers left, want %d", got, n/2)
		}
		_ = r.h.Publish("room", fastws.Text, []byte("last"))
		for _, c := range conns[n/2:] {
			for {
				_, msg, err := c.ReadMessage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if string(msg) == "last" {
					break
				}
			}
		}
	})
}

package hub

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// connPair returns the server's Conn and the client's for one
// connection over loopback.
func connPair(t *testing.T) (server, client *fastws.Conn) {
	t.Helper()
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := testCtx(t)
	accepted := make(chan *fastws.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		c, err := fastws.Accept(nc, nil)
		if err != nil {
			nc.Close()
		}
		accepted <- c
	}()
	client, _, err = fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.CloseNow(); client.CloseNow() })
	return server, client
}

func TestConnSubscriberDelivers(t *testing.T) {
	srvConn, cli := connPair(t)
	h := New()
	cs := NewConnSubscriber(srvConn, nil)
	defer cs.Close()
	h.Subscribe(cs, "t")
	for n := range 100 {
		h.PublishPrepared("t", seqMsg(t, 0, n))
	}
	ctx := testCtx(t)
	for n := range 100 {
		_, msg, err := cli.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint64(msg[8:]); got != uint64(n) {
			t.Fatalf("message %d, want %d", got, n)
		}
	}
	cs.Close()
	if err := cs.WritePrepared(seqMsg(t, 0, 0)); !errors.Is(err, fastws.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	h.PublishPrepared("t", seqMsg(t, 0, 0))
	if h.Subscribers("t") != 0 {
		t.Error("a closed ConnSubscriber is still subscribed")
	}
}

// A ConnSubscriber whose peer does not read keeps its queue within its
// limits by dropping the oldest messages; once the peer reads, what it
// gets is in order and ends with the newest.
func TestConnSubscriberDropsOldest(t *testing.T) {
	const limit = 64 << 10
	srvConn, cli := connPair(t)
	cs := NewConnSubscriber(srvConn, &ConnOptions{QueueLimit: limit, QueueMessages: 64, QueuePolicy: fastws.QueueDropOldest})
	defer cs.Close()
	msg := make([]byte, 4<<10)
	written := 0
	for ; written < 16384 && cs.Dropped() < 100; written++ {
		binary.BigEndian.PutUint64(msg, uint64(written))
		pm, _ := fastws.NewPreparedMessage(fastws.Binary, msg)
		if err := cs.WritePrepared(pm); err != nil {
			t.Fatal(err)
		}
		if q := cs.Queued(); q > limit+len(msg) {
			t.Fatalf("%d bytes queued", q)
		}
		if written%16 == 15 {
			time.Sleep(time.Millisecond)
		}
	}
	if cs.Dropped() < 100 {
		t.Fatal("the queue never filled")
	}
	ctx := testCtx(t)
	last := -1
	deadline := time.Now().Add(testtime.Limit(20 * time.Second))
	for last != written-1 && time.Now().Before(deadline) {
		_, got, err := cli.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := int(binary.BigEndian.Uint64(got))
		if n <= last {
			t.Fatalf("message %d after %d", n, last)
		}
		last = n
	}
	if last != written-1 {
		t.Fatalf("the newest message never came: last %d of %d", last, written)
	}
}

func TestConnSubscriberClosesWhenFull(t *testing.T) {
	srvConn, cli := connPair(t)
	cs := NewConnSubscriber(srvConn, &ConnOptions{QueueMessages: 8, QueuePolicy: fastws.QueueClose})
	defer cs.Close()
	h := New()
	h.Subscribe(cs, "t")
	msg := make([]byte, 16<<10)
	for i := 0; i < 20000 && h.Subscribers("t") > 0; i++ {
		_ = h.Publish("t", fastws.Binary, msg)
		if i%16 == 15 {
			time.Sleep(time.Millisecond)
		}
	}
	if h.Subscribers("t") != 0 || h.Stats().SlowCloses != 1 {
		t.Fatalf("not closed: %+v", h.Stats())
	}
	// The peer reads what had been sent, then the close frame with 1008.
	ctx := testCtx(t)
	for {
		_, _, err := cli.ReadMessage(ctx)
		if err == nil {
			continue
		}
		var ce *fastws.CloseError
		if !errors.As(err, &ce) || ce.Code != fastws.ClosePolicyViolation {
			t.Fatalf("read ended with %v, want a 1008 close", err)
		}
		break
	}
}

// A write that takes longer than WriteTimeout (the peer stopped reading
// and the socket is full) closes the connection, and the subscriber then
// refuses messages with ErrClosed.
func TestConnSubscriberWriteTimeout(t *testing.T) {
	srvConn, _ := connPair(t)
	cs := NewConnSubscriber(srvConn, &ConnOptions{WriteTimeout: 100 * time.Millisecond, QueueLimit: 64 << 20, QueueMessages: 1 << 20})
	defer cs.Close()
	pm, err := fastws.NewPreparedMessage(fastws.Binary, make([]byte, 256<<10))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(testtime.Limit(20 * time.Second))
	for time.Now().Before(deadline) {
		if err := cs.WritePrepared(pm); err != nil {
			if !errors.Is(err, fastws.ErrClosed) {
				t.Fatalf("WritePrepared: %v, want ErrClosed", err)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the connection was never closed")
}

package hub

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// rawReader connects to url's server with a minimal handshake and then
// reads and discards everything, allocating nothing per read, so that
// allocation counts are the server's.
func rawReader(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	go func() { _, _ = io.Copy(io.Discard, io.MultiReader(br, nc)) }()
	return nc
}

// Delivering a published message allocates nothing in steady state, on
// either driver: the message is encoded once, and each subscriber's share
// is a place in its queue and a copy into the loop's (or its writer
// goroutine's) write.
func TestDeliveryAllocatesNothing(t *testing.T) {
	if testtime.Race {
		t.Skip("allocation counts mean nothing under the race detector (sync.Pool drops items at random); make test's allocs step runs this without it")
	}
	forEachDriver(t, func(t *testing.T, d fastws.Driver) {
		const subs = 200
		r, _, url := startRoom(t, d, fastws.ServerOptions{})
		addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/")
		for range subs {
			rawReader(t, addr)
			r.waitOpen(t)
		}
		pm, err := fastws.NewPreparedMessage(fastws.Binary, make([]byte, 20))
		if err != nil {
			t.Fatal(err)
		}
		publish := func() {
			if n := r.h.Deliver("room", pm); n != subs {
				t.Fatalf("delivered to %d of %d", n, subs)
			}
			time.Sleep(50 * time.Microsecond) // a publisher at a rate
		}
		for range 200 {
			publish() // warm the pools and the queues' buffers
		}
		perPublish := testing.AllocsPerRun(500, publish)
		perDelivery := perPublish / subs
		t.Logf("%.4f allocations per delivery (%.1f per publish to %d subscribers)", perDelivery, perPublish, subs)
		if perDelivery > 0.01 {
			t.Errorf("%.3f allocations per delivery (%.1f per publish to %d subscribers)", perDelivery, perPublish, subs)
		}
	})
}

// A ConnSubscriber's delivery allocates nothing in steady state either:
// its writer starts without a closure, sends its queue a batch at a time
// and times the write with a timer made once.
func TestConnSubscriberDeliveryAllocatesNothing(t *testing.T) {
	if testtime.Race {
		t.Skip("allocation counts mean nothing under the race detector (sync.Pool drops items at random); make test's allocs step runs this without it")
	}
	leakcheck.Check(t)
	const subs = 100
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *fastws.Conn, subs)
	go func() {
		for range subs {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c, err := fastws.Accept(nc, nil)
			if err != nil {
				nc.Close()
				return
			}
			accepted <- c
		}
	}()
	h := New()
	for range subs {
		rawReader(t, ln.Addr().String())
		select {
		case c := <-accepted:
			cs := NewConnSubscriber(c, nil)
			t.Cleanup(func() { cs.Close(); c.CloseNow() })
			h.Subscribe(cs, "room")
		case <-time.After(testtime.Limit(10 * time.Second)):
			t.Fatal("accept timed out")
		}
	}
	pm, err := fastws.NewPreparedMessage(fastws.Binary, make([]byte, 20))
	if err != nil {
		t.Fatal(err)
	}
	publish := func() {
		if n := h.Deliver("room", pm); n != subs {
			t.Fatalf("delivered to %d of %d", n, subs)
		}
		time.Sleep(50 * time.Microsecond)
	}
	for range 200 {
		publish()
	}
	perPublish := testing.AllocsPerRun(500, publish)
	perDelivery := perPublish / subs
	t.Logf("%.4f allocations per delivery (%.1f per publish to %d subscribers)", perDelivery, perPublish, subs)
	if perDelivery > 0.01 {
		t.Errorf("%.3f allocations per delivery", perDelivery)
	}
}

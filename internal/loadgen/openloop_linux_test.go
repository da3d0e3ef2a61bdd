package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// echoServer serves a fastws echo on a loopback port; answer may change
// or delay each echo (i counts the connection's messages).
func echoServer(t *testing.T, answer func(c *fastws.Conn, i int, msg []byte) []byte) (addr string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				return
			}
			if msg = answer(c, i, msg); msg == nil {
				return
			}
			if c.WriteMessage(ctx, typ, msg) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func run(t *testing.T, cfg Config, limit int) (*Client, time.Duration) {
	t.Helper()
	c, err := Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	c.SetRecording(true)
	start := time.Now()
	if err := c.Start(limit, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c, time.Since(start)
}

// An open loop never sends faster than its rate, whatever the server's
// speed: 4 connections at 400 messages a second, 20 echoes each, take at
// least the 19 periods between a connection's first and last send.
func TestOpenLoopKeepsItsRate(t *testing.T) {
	addr := echoServer(t, func(_ *fastws.Conn, _ int, msg []byte) []byte { return msg })
	c, took := run(t, Config{Addr: addr, Path: "/echo", Conns: 4, Loops: 2, Size: 100, Rate: 400, KeepGoing: true}, 20)
	p := c.Progress()
	if p.Messages != 80 || p.Latency.Count() != 80 || p.Mismatches != 0 || len(p.Errors) != 0 {
		t.Fatalf("progress %+v", p)
	}
	if period := time.Second * 4 / 400; took < 19*period {
		t.Errorf("80 messages at 400/s in %v, under %v", took, 19*period)
	}
}

// Latency counts from when a message was due, not from when a busy
// connection could send it: one connection due every 5 ms to a server
// that takes 20 ms an echo falls further behind with every message, and
// the latencies show it.
func TestOpenLoopCountsTheWait(t *testing.T) {
	addr := echoServer(t, func(_ *fastws.Conn, _ int, msg []byte) []byte {
		time.Sleep(20 * time.Millisecond)
		return msg
	})
	c, _ := run(t, Config{Addr: addr, Conns: 1, Size: 10, Rate: 200}, 10)
	p := c.Progress()
	// The tenth message was due at 45 ms and its echo came no sooner
	// than 10 × 20 ms: at least 155 ms.
	if p.Messages != 10 || p.Latency.Quantile(1) < 150*time.Millisecond || p.Latency.Quantile(0) < 19*time.Millisecond {
		t.Fatalf("%d messages, latency min %v max %v", p.Messages, p.Latency.Quantile(0), p.Latency.Quantile(1))
	}
}

// KeepGoing counts what a failing server does and goes on with the
// connections that still work: an echo that differs is a mismatch, a
// connection the server closes is an error of its kind.
func TestKeepGoingCounts(t *testing.T) {
	addr := echoServer(t, func(_ *fastws.Conn, i int, msg []byte) []byte {
		if i == 2 {
			bad := append([]byte(nil), msg...)
			bad[len(bad)/2] ^= 1
			return bad
		}
		return msg
	})
	c, _ := run(t, Config{Addr: addr, Conns: 3, Size: 64, KeepGoing: true}, 5)
	p := c.Progress()
	if p.Messages != 15 || p.Mismatches != 3 {
		t.Fatalf("progress %+v", p)
	}

	closer := echoServer(t, func(c *fastws.Conn, i int, msg []byte) []byte {
		if i == 1 {
			return nil // the handler returns: the server closes
		}
		return msg
	})
	c, _ = run(t, Config{Addr: closer, Conns: 2, Size: 64, KeepGoing: true}, 5)
	p = c.Progress()
	if p.Messages != 2 || p.Errors["closed by the server"] != 2 || p.Open != 0 {
		t.Fatalf("progress %+v", p)
	}
}

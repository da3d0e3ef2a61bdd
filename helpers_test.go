package fastws

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// testCtx is the context every test operation runs under: nothing in a
// test may block longer than this.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(20*time.Second))
	t.Cleanup(cancel)
	return ctx
}

// listen opens a listener on 127.0.0.1 that the test closes.
func listen(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// acceptOne runs Accept on the next connection of ln and delivers the
// result.
func acceptOne(t testing.TB, ln net.Listener, opts *AcceptOptions) <-chan *Conn {
	ch := make(chan *Conn, 1)
	go func() {
		defer close(ch)
		nc, err := ln.Accept()
		if err != nil {
			t.Errorf("listener: %v", err)
			return
		}
		c, err := Accept(nc, opts)
		if err != nil {
			t.Errorf("Accept: %v", err)
			return
		}
		ch <- c
	}()
	return ch
}

// pair returns a server and a client Conn connected over loopback TCP,
// through Accept (raw) or Upgrade (net/http), and closes both at the end.
func pair(t testing.TB, viaHTTP bool, aopts *AcceptOptions, dopts *DialOptions) (server, client *Conn) {
	t.Helper()
	leakcheck.Check(t)
	ctx := testCtx(t)
	var url string
	var srvCh <-chan *Conn
	if viaHTTP {
		ch := make(chan *Conn, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := Upgrade(w, r, aopts)
			if err != nil {
				t.Errorf("Upgrade: %v", err)
				close(ch)
				return
			}
			ch <- c
		}))
		t.Cleanup(srv.Close)
		url = "ws" + srv.URL[len("http"):]
		srvCh = ch
	} else {
		ln := listen(t)
		srvCh = acceptOne(t, ln, aopts)
		url = "ws://" + ln.Addr().String()
	}
	if dopts == nil {
		dopts = &DialOptions{}
	}
	client, _, err := Dial(ctx, url+"/test", dopts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	server = <-srvCh
	if server == nil {
		client.CloseNow()
		t.FailNow()
	}
	t.Cleanup(func() {
		client.CloseNow()
		server.CloseNow()
	})
	return server, client
}

// echo serves messages back to the peer until the connection ends, and
// reports how it ended.
func echo(c *Conn) <-chan error {
	done := make(chan error, 1)
	go func() { done <- echoLoop(c) }()
	return done
}

// echoLoop serves messages back to the peer on this goroutine until the
// connection ends, as an application's echo handler would.
func echoLoop(c *Conn) error {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			return err
		}
		buf = msg
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return err
		}
	}
}

// sendSplit sends msg as one binary message in two writes, the second
// after pause, so that a reader is caught halfway through it.
func sendSplit(ctx context.Context, c *Conn, msg []byte, pause time.Duration) {
	go func() {
		w, _ := c.NextWriter(ctx, Binary)
		w.Write(msg[:len(msg)/2])
		time.Sleep(pause)
		w.Write(msg[len(msg)/2:])
		w.Close()
	}()
}

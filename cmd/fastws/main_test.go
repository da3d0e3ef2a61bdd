package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(20*time.Second))
	t.Cleanup(cancel)
	return ctx
}

// startEcho runs `fastws echo`'s server on a loopback port, with the
// default driver.
func startEcho(t *testing.T, sf *serverFlags) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newEchoServer(sf, fastws.DriverAuto)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return "ws://" + ln.Addr().String()
}

func defaultFlags() *serverFlags {
	return &serverFlags{maxMessage: fastws.DefaultMaxMessageSize, maxHeader: fastws.DefaultMaxHeaderBytes, handshakeTimeout: time.Second, compress: true}
}

func TestEchoKeepsTypes(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	ctx := testCtx(t)
	// Any origin is accepted: this is a test server.
	c, _, err := fastws.Dial(ctx, url, &fastws.DialOptions{Header: http.Header{"Origin": {"https://elsewhere.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		typ fastws.MessageType
		p   []byte
	}{{fastws.Text, []byte("héllo")}, {fastws.Binary, []byte{0, 1, 2}}, {fastws.Text, nil}, {fastws.Binary, bytes.Repeat([]byte{7}, 1<<20)}} {
		if err := c.WriteMessage(ctx, m.typ, m.p); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage(ctx)
		if err != nil || typ != m.typ || !bytes.Equal(got, m.p) {
			t.Fatalf("sent %v %d bytes, got %v %d bytes, %v", m.typ, len(m.p), typ, len(got), err)
		}
	}
	if err := c.Close(fastws.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
}

func TestEchoMaxMessage(t *testing.T) {
	leakcheck.Check(t)
	sf := defaultFlags()
	sf.maxMessage = 1000
	url := startEcho(t, sf)
	ctx := testCtx(t)
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.WriteMessage(ctx, fastws.Binary, make([]byte, 1001))
	if _, _, err := c.ReadMessage(ctx); fastws.CloseStatus(err) != fastws.CloseMessageTooBig {
		t.Fatalf("got %v, want close 1009", err)
	}
}

func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "1024": 1024, "2K": 2048, "1GiB": 1 << 30} {
		var s byteSize
		if err := s.Set(in); err != nil || int64(s) != want {
			t.Errorf("%q: %d %v", in, s, err)
		}
	}
	var s byteSize
	if s.Set("lots") == nil || s.Set("-1") == nil {
		t.Error("bad sizes accepted")
	}
	s = 64 << 20
	if s.String() != "64MiB" {
		t.Errorf("String %q", s.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the goroutines of one command.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sf := defaultFlags()
	srv := newDemoServer(sf)
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("new WebSocket(")) {
		t.Fatalf("page: %s", resp.Status)
	}

	ctx := testCtx(t)
	c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(ctx, fastws.Text, []byte("demo"))
	if _, msg, err := c.ReadMessage(ctx); err != nil || string(msg) != "demo" {
		t.Fatalf("echo: %q %v", msg, err)
	}
	c.Close(fastws.CloseNormal, "")

	// The page's own origin is accepted, another site's is not.
	for origin, want := range map[string]int{"http://" + ln.Addr().String(): 101, "http://evil.example": 403} {
		_, resp, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", &fastws.DialOptions{Header: http.Header{"Origin": {origin}}})
		if resp == nil || resp.StatusCode != want {
			t.Errorf("origin %s: %v %v, want %d", origin, resp, err, want)
		}
	}
}

// Both server commands bound request heads at 8 KiB (431 past it) and drop
// handshakes that do not complete in time.
func TestServersBoundHandshakes(t *testing.T) {
	leakcheck.Check(t)
	sf := defaultFlags()
	sf.handshakeTimeout = 300 * time.Millisecond
	echoAddr := strings.TrimPrefix(startEcho(t, sf), "ws://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newDemoServer(sf)
	go srv.Serve(ln)
	defer srv.Close()
	servers := map[string]string{"echo": echoAddr + "|/", "serve": ln.Addr().String() + "|/echo"}
	for name, target := range servers {
		addr, path, _ := strings.Cut(target, "|")
		status := func(padding int) int {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Pad: " + strings.Repeat("p", padding) + "\r\n\r\n"
			io.WriteString(conn, req)
			resp, err := http.ReadResponse(bufioReader(conn), nil)
			if err != nil {
				return 0
			}
			return resp.StatusCode
		}
		if got := status(7 << 10); got != 101 {
			t.Errorf("%s: 7 KiB head got %d, want 101", name, got)
		}
		if got := status(9 << 10); got != 431 {
			t.Errorf("%s: 9 KiB head got %d, want 431", name, got)
		}
		// Slow loris: half a request, then silence.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\n")
		start := time.Now()
		wait := testtime.Limit(10 * time.Second)
		conn.SetReadDeadline(time.Now().Add(wait))
		io.Copy(io.Discard, conn)
		if d := time.Since(start); d > wait/2 {
			t.Errorf("%s: slow client held for %v", name, d)
		}
		conn.Close()
	}
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// The commands negotiate permessage-deflate by default; -compress=false
// turns it off.
func TestCompressionByDefault(t *testing.T) {
	leakcheck.Check(t)
	ctx := testCtx(t)
	on := startEcho(t, defaultFlags())
	c, _, err := fastws.Dial(ctx, on, &fastws.DialOptions{Compression: &fastws.CompressionOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Extensions() == "" {
		t.Error("fastws echo did not accept permessage-deflate")
	}
	c.Close(fastws.CloseNormal, "")
	off := defaultFlags()
	off.compress = false
	c, _, err = fastws.Dial(ctx, startEcho(t, off), &fastws.DialOptions{Compression: &fastws.CompressionOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Extensions() != "" {
		t.Errorf("fastws echo -compress=false accepted %q", c.Extensions())
	}
	c.Close(fastws.CloseNormal, "")

	// connect offers it: a server that records what it was offered.
	offered := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offered <- r.Header.Get("Sec-WebSocket-Extensions")
		c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{Compression: &fastws.CompressionOptions{}})
		if err == nil {
			echoConn(c)
		}
	}))
	defer srv.Close()
	var out, errOut syncBuffer
	if code := run([]string{"connect", "ws" + strings.TrimPrefix(srv.URL, "http")}, strings.NewReader(strings.Repeat("compress me ", 50)+"\n"), &out, &errOut); code != 0 {
		t.Fatalf("connect: %d %s", code, errOut.String())
	}
	if got := <-offered; !strings.HasPrefix(got, "permessage-deflate") {
		t.Errorf("connect offered %q", got)
	}
	if out.String() != strings.Repeat("compress me ", 50)+"\n" {
		t.Errorf("echo %q", out.String())
	}
}

// Shutting the demo server down closes its WebSockets with 1001, after
// the closing handshake, rather than leaving them to time out.
func TestServeShutdownSaysGoingAway(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newDemoServer(defaultFlags())
	go srv.Serve(ln)
	defer srv.Close()
	ctx := testCtx(t)
	c, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String()+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage(ctx)
		read <- err
	}()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *fastws.CloseError
	if err := <-read; !errors.As(err, &ce) || ce.Code != fastws.CloseGoingAway || ce.Reason != "server shutting down" {
		t.Fatalf("the client read %v, want close 1001 (server shutting down)", err)
	}
}

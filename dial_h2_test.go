//go:build !js

package fastws

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/xconnect"
)

// tlsEcho is an echo server over TLS, offering HTTP/2 when h2 is set; it
// counts the TCP connections it accepts and records each request's
// protocol and method ("HTTP/2.0 CONNECT").
type tlsEcho struct {
	srv   *httptest.Server
	url   string
	tls   *tls.Config
	conns atomic.Int32

	mu      sync.Mutex
	seen    []string
	remotes []net.Addr // each Conn's RemoteAddr
}

func newTLSEcho(t *testing.T, h2 bool, opts *AcceptOptions) *tlsEcho {
	t.Helper()
	e := &tlsEcho{}
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.seen = append(e.seen, r.Proto+" "+r.Method)
		e.mu.Unlock()
		c, err := Upgrade(w, r, opts)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.remotes = append(e.remotes, c.RemoteAddr())
		e.mu.Unlock()
		<-echo(c)
		<-c.Done() // over HTTP/2 the stream ends when the handler returns
	}))
	e.srv.EnableHTTP2 = h2
	e.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			e.conns.Add(1)
		}
	}
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.url = "wss" + strings.TrimPrefix(e.srv.URL, "https")
	e.tls = &tls.Config{RootCAs: e.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	return e
}

func (e *tlsEcho) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// roundTrips sends each size of message as text or binary and checks the
// echo.
func roundTrips(t *testing.T, ctx context.Context, c *Conn) {
	t.Helper()
	for i, n := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		typ, msg := Binary, randomBytes(uint64(i), n)
		if i%2 == 0 {
			typ, msg = Text, bytes.Repeat([]byte("héllo "), n/7+1)[:0]
			msg = append(msg, strings.Repeat("a", n)...)
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			t.Fatalf("write %d bytes: %v", n, err)
		}
		gt, got, err := c.ReadMessage(ctx)
		if err != nil || gt != typ || !bytes.Equal(got, msg) {
			t.Fatalf("echo of %d bytes: type %v, %d bytes, %v", n, gt, len(got), err)
		}
	}
}

func TestDialHTTP2(t *testing.T) {
	xconnect.Require(t)
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "deflate"}[compress], func(t *testing.T) {
			leakcheck.Check(t)
			aopts := &AcceptOptions{Subprotocols: []string{"chat"}}
			dopts := &DialOptions{Subprotocols: []string{"chat"}, HTTP2: HTTP2Only}
			if compress {
				aopts.Compression = &CompressionOptions{}
				dopts.Compression = &CompressionOptions{}
			}
			e := newTLSEcho(t, true, aopts)
			dopts.TLSConfig = e.tls
			ctx := testCtx(t)
			c, resp, err := Dial(ctx, e.url+"/chat?room=1", dopts)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusOK {
				t.Errorf("response %s %s, want HTTP/2.0 200", resp.Proto, resp.Status)
			}
			if got := e.requests(); len(got) != 1 || got[0] != "HTTP/2.0 CONNECT" {
				t.Errorf("server saw %q, want one HTTP/2.0 CONNECT", got)
			}
			if a := c.RemoteAddr(); a == nil || a.String() != e.srv.Listener.Addr().String() || c.LocalAddr() == nil {
				t.Errorf("client's RemoteAddr %v, LocalAddr %v; want the server's %v and ours", a, c.LocalAddr(), e.srv.Listener.Addr())
			}
			if c.Subprotocol() != "chat" || strings.Contains(c.Extensions(), "permessage-deflate") != compress {
				t.Errorf("negotiated %q and %q", c.Subprotocol(), c.Extensions())
			}
			roundTrips(t, ctx, c) // the server's handler has recorded its Conn by now
			e.mu.Lock()
			if len(e.remotes) != 1 || e.remotes[0] == nil || e.remotes[0].String() != c.LocalAddr().String() {
				t.Errorf("server's RemoteAddr %v, want the client's %v", e.remotes, c.LocalAddr())
			}
			e.mu.Unlock()
			if err := c.Close(CloseNormal, "bye"); err != nil {
				t.Fatalf("close: %v", err)
			}
		})
	}
}

// TestDialHTTP2SharesConnection opens several WebSockets to one origin:
// they are streams of one TLS connection, and run side by side.
func TestDialHTTP2SharesConnection(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	e := newTLSEcho(t, true, nil)
	ctx := testCtx(t)
	const n = 4
	conns := make([]*Conn, n)
	for i := range conns {
		c, _, err := Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls})
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	if got := e.conns.Load(); got != 1 {
		t.Errorf("%d WebSockets took %d TLS connections, want 1", n, got)
	}
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			msg := randomBytes(uint64(i), 100000)
			for range 5 {
				if err := c.WriteMessage(ctx, Binary, msg); err != nil {
					t.Errorf("stream %d: %v", i, err)
					return
				}
				if _, got, err := c.ReadMessage(ctx); err != nil || !bytes.Equal(got, msg) {
					t.Errorf("stream %d: %d bytes, %v", i, len(got), err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		if err := c.Close(CloseNormal, ""); err != nil {
			t.Error(err)
		}
	}
}

// TestDialHTTP2FallsBack dials servers without HTTP/2: HTTP2Auto uses
// HTTP/1.1 on the same connection, HTTP2Only says why it cannot.
func TestDialHTTP2FallsBack(t *testing.T) {
	leakcheck.Check(t)
	e := newTLSEcho(t, false, nil)
	ctx := testCtx(t)
	c, resp, err := Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || e.conns.Load() != 1 {
		t.Errorf("answer %s after %d connections, want 101 after 1", resp.Status, e.conns.Load())
	}
	roundTrips(t, ctx, c)
	c.Close(CloseNormal, "")
	_, _, err = Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls, HTTP2: HTTP2Only})
	if !errors.Is(err, ErrHTTP2Unavailable) || !strings.Contains(err.Error(), `ALPN chose "http/1.1"`) {
		t.Errorf("HTTP2Only on an HTTP/1.1 server: %v", err)
	}
	_, _, err = Dial(ctx, "ws://127.0.0.1:1", &DialOptions{HTTP2: HTTP2Only})
	if err == nil || !strings.Contains(err.Error(), "needs a wss:// URL") {
		t.Errorf("HTTP2Only on ws://: %v", err)
	}
}

// TestDialHTTP2Refused checks that a refusal over HTTP/2 reads as one over
// HTTP/1.1: a *HandshakeError with the status, headers and body.
func TestDialHTTP2Refused(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	e := newTLSEcho(t, true, &AcceptOptions{OriginPatterns: []string{"good.example"}})
	ctx := testCtx(t)
	_, resp, err := Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls, HTTP2: HTTP2Only, Header: http.Header{"Origin": {"https://evil.example"}}})
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusForbidden || resp == nil || resp.ProtoMajor != 2 {
		t.Fatalf("refused origin: %v (response %v)", err, resp)
	}
	if len(he.Body) == 0 {
		t.Errorf("refusal without its body")
	}
	// The connection is still the pool's: a good request goes on it.
	c, _, err := Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls, HTTP2: HTTP2Only, Header: http.Header{"Origin": {"https://good.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close(CloseNormal, "")
	if got := e.conns.Load(); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
}

// TestHTTP2ReadDeadlines checks that a read interrupted by its context
// leaves an HTTP/2 WebSocket usable, on both sides, as on HTTP/1.1.
func TestHTTP2ReadDeadlines(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	served := make(chan error, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, nil)
		if err != nil {
			served <- err
			return
		}
		short, cancel := context.WithTimeout(r.Context(), 50*time.Millisecond)
		_, _, err = c.ReadMessage(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			served <- errors.Join(errors.New("server's interrupted read"), err)
			c.CloseNow()
			return
		}
		served <- echoLoop(c)
		<-c.Done()
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ctx := testCtx(t)
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{
		TLSConfig: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
		HTTP2:     HTTP2Only,
	})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, _, err = c.ReadMessage(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("client's interrupted read: %v", err)
	}
	if err := c.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(ctx); !os.IsTimeout(err) {
		t.Fatalf("read past the deadline: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	roundTrips(t, ctx, c)
	c.Close(CloseNormal, "")
	var ce *CloseError
	if err := <-served; !errors.As(err, &ce) || ce.Code != CloseNormal {
		t.Fatalf("server: %v", err)
	}
}

// A Stream runs over an HTTP/2 WebSocket as over any other: bytes
// written at one end come out at the other, in order, both ways.
func TestHTTP2Stream(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	e := newTLSEcho(t, true, nil)
	ctx := testCtx(t)
	c, _, err := Dial(ctx, e.url, &DialOptions{TLSConfig: e.tls, HTTP2: HTTP2Only})
	if err != nil {
		t.Fatal(err)
	}
	s := NewStream(c, Binary, nil)
	data := randomBytes(7, 1<<20)
	written := make(chan error, 1)
	go func() {
		for p := data; len(p) > 0; p = p[min(len(p), 70000):] {
			if _, err := s.Write(p[:min(len(p), 70000)]); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatalf("reading the echoed stream: %v", err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the stream's bytes came back changed")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

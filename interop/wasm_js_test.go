package interop

// The fastws client in the browser: these tests are compiled for js/wasm
// and run in headless Chromium by TestWasmClientInChromium (wasm_test.go),
// against its fastws server, whose origin the runner page passes in
// FASTWS_WASM_SERVER. Each connection goes to a path of its own, so the
// server's record of it can be checked from the native side.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/wsframe"
)

// wasmServerEnv names the variable that gives the wasm tests the test
// server's origin (ws://127.0.0.1:PORT); the runner page sets it.
const wasmServerEnv = "FASTWS_WASM_SERVER"

// wasmServer returns the test server's origin, or skips: outside the
// runner page there is none.
func wasmServer(t *testing.T) string {
	t.Helper()
	base := os.Getenv(wasmServerEnv)
	if base == "" {
		t.Skip(wasmServerEnv + " is not set: TestWasmClientInChromium runs this in a browser")
	}
	return base
}

// wasmDial opens /ws/name on the test server; the test's end closes it.
func wasmDial(t *testing.T, name string, opts *fastws.DialOptions) *fastws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()
	c, resp, err := fastws.Dial(ctx, wasmServer(t)+"/ws/"+name, opts)
	if err != nil {
		t.Fatalf("Dial /ws/%s: %v", name, err)
	}
	if resp != nil {
		t.Errorf("Dial returned a response (%v): a page never sees one", resp.Status)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func TestInBrowserEchoList(t *testing.T) {
	runList(t, &echoClient{base: wasmServer(t)}, wasmEchoList())
}

func TestInBrowserSubprotocol(t *testing.T) {
	c := wasmDial(t, "subprotocol", &fastws.DialOptions{Subprotocols: []string{"fastws.v2", "fastws.v1"}})
	if got := c.Subprotocol(); got != "fastws.v1" {
		t.Errorf("Subprotocol() = %q, want fastws.v1 (the only one the server speaks)", got)
	}
	if got := c.Extensions(); got != "" {
		t.Errorf("Extensions() = %q, want none: this path declines permessage-deflate", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()
	if err := roundTrip(ctx, c, fastws.Text, []byte("which protocol?")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// The browser offers permessage-deflate on its own terms; a server that
// accepts it shows in Extensions, and messages go through compressed.
func TestInBrowserDeflate(t *testing.T) {
	c := wasmDial(t, "deflate", nil)
	if ext := c.Extensions(); !strings.HasPrefix(ext, "permessage-deflate") {
		t.Errorf("Extensions() = %q, want the permessage-deflate the server accepted", ext)
	}
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()
	if err := roundTrip(ctx, c, fastws.Text, bytes.Repeat([]byte(`{"id":1,"name":"fastws"},`), 4000)); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// A close the server begins reaches the reader as the native Conn
// reports it: a *CloseError with the code and reason, and Done closes.
func TestInBrowserServerClose(t *testing.T) {
	for _, tc := range wasmServerCloses {
		t.Run(tc.name, func(t *testing.T) {
			c := wasmDial(t, "server-close-"+tc.name, nil)
			ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
			defer cancel()
			cmd := fmt.Sprintf("close:%d:%s", tc.code, tc.reason)
			if err := c.WriteMessage(ctx, fastws.Text, []byte(cmd)); err != nil {
				t.Fatalf("WriteMessage: %v", err)
			}
			typ, msg, err := c.ReadMessage(ctx)
			var ce *fastws.CloseError
			switch {
			case err == nil:
				t.Fatalf("got a %v message of %d bytes instead of the close", typ, len(msg))
			case !errors.As(err, &ce):
				t.Fatalf("ReadMessage: %v, want a *fastws.CloseError", err)
			case ce.Code != tc.code || ce.Reason != tc.reason:
				t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, tc.code, tc.reason)
			}
			t.Logf("ReadMessage: %v", err)
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatal("Done did not close after the server's close")
			}
			if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
				t.Errorf("Close after the server's close: %v, want nil (the handshake completed)", err)
			}
		})
	}
}

// A context or a deadline interrupts a blocked read and leaves the
// connection usable, as on a native Conn; a write's context is checked
// before anything leaves.
func TestInBrowserContext(t *testing.T) {
	c := wasmDial(t, "context", nil)
	usable := func(t *testing.T) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
		defer cancel()
		if err := roundTrip(ctx, c, fastws.Binary, []byte("still usable")); err != nil {
			t.Fatalf("after the interruption: %v", err)
		}
	}
	t.Run("deadline-exceeded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := c.ReadMessage(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadMessage: %v, want context.DeadlineExceeded", err)
		}
		t.Logf("ReadMessage returned after %v: %v", time.Since(start).Round(time.Millisecond), err)
		usable(t)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(100*time.Millisecond, cancel)
		defer timer.Stop()
		_, _, err := c.ReadMessage(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadMessage: %v, want context.Canceled", err)
		}
		usable(t)
	})
	t.Run("read-deadline", func(t *testing.T) {
		if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		_, _, err := c.ReadMessage(context.Background())
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ReadMessage: %v, want os.ErrDeadlineExceeded", err)
		}
		if err := c.SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		usable(t)
	})
	t.Run("write-cancelled-before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.WriteMessage(ctx, fastws.Text, []byte("never sent")); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteMessage: %v, want context.Canceled", err)
		}
		usable(t)
	})
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()
	if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// The browser never blocks a send: a server that reads nothing makes
// its send buffer grow, and a write then waits, as long as its context
// allows. The interrupted write closes the connection, as a native
// write interrupted after it began does.
func TestInBrowserWriteBoundedByContext(t *testing.T) {
	c := wasmDial(t, "stall", nil)
	p := randomBytes(mib)()
	for i := range 1024 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.WriteMessage(ctx, fastws.Binary, p)
		cancel()
		if err == nil {
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WriteMessage %d: %v, want context.DeadlineExceeded", i, err)
		}
		t.Logf("%d MiB sent to a server that reads nothing, then: %v", i, err)
		select {
		case <-c.Done():
		case <-time.After(itemTimeout):
			t.Fatal("the connection is still open after the interrupted write")
		}
		return
	}
	t.Fatal("1 GiB sent to a server that reads nothing without a write waiting")
}

func TestInBrowserNextReaderWriter(t *testing.T) {
	c := wasmDial(t, "nextreader", nil)
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()

	// A character split across two writes goes out whole.
	text := []byte("héllo, wörld ✓")
	cut := bytes.IndexRune(text, 'ö') + 1
	w, err := c.NextWriter(ctx, fastws.Text)
	if err != nil {
		t.Fatalf("NextWriter: %v", err)
	}
	for _, part := range [][]byte{text[:cut], text[cut:]} {
		if _, err := w.Write(part); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing the writer: %v", err)
	}
	readWhole(t, ctx, c, fastws.Text, text)

	// The server streams a binary echo of 64 KiB or more in frames of
	// 50,000 bytes; the browser delivers it as one message.
	big := randomBytes(200 << 10)()
	if err := c.WriteMessage(ctx, fastws.Binary, big); err != nil {
		t.Fatalf("WriteMessage: %v", err)
	}
	readWhole(t, ctx, c, fastws.Binary, big)
	if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// readWhole reads the next message with NextReader and checks it.
func readWhole(t *testing.T, ctx context.Context, c *fastws.Conn, typ fastws.MessageType, want []byte) {
	t.Helper()
	gotTyp, r, err := c.NextReader(ctx)
	if err != nil {
		t.Fatalf("NextReader: %v", err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	if err := sameMessage(gotTyp, got, typ, want); err != nil {
		t.Fatal(err)
	}
}

func TestInBrowserStream(t *testing.T) {
	t.Run("binary", func(t *testing.T) {
		s := fastws.NewStream(wasmDial(t, "stream-binary", nil), fastws.Binary, nil)
		var sent []byte
		for _, n := range []int{10 << 10, 100 << 10, 1} {
			p := randomBytes(n)()
			if _, err := s.Write(p); err != nil {
				t.Fatalf("Write: %v", err)
			}
			sent = append(sent, p...)
		}
		got := make([]byte, len(sent))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatalf("ReadFull: %v", err)
		}
		if !bytes.Equal(got, sent) {
			t.Fatal("the stream's bytes differ from those written")
		}
		// A deadline interrupts a Read and leaves the stream usable.
		if err := s.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Read(got[:1]); !os.IsTimeout(err) {
			t.Fatalf("Read past the deadline: %v, want a timeout", err)
		}
		if err := s.SetReadDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("again")); err != nil {
			t.Fatalf("Write after the timeout: %v", err)
		}
		if _, err := io.ReadFull(s, got[:5]); err != nil || string(got[:5]) != "again" {
			t.Fatalf("ReadFull after the timeout: %q, %v", got[:5], err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("text-lines", func(t *testing.T) {
		s := fastws.NewStream(wasmDial(t, "stream-text", nil), fastws.Text, nil)
		all := []byte("alpha\nbeta\ngamma\nδέλτα\n")
		cut := bytes.IndexRune(all, 'έ') + 1 // inside a character: the stream holds it back
		for _, part := range [][]byte{all[:8], all[8:cut], all[cut:]} {
			if _, err := s.Write(part); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		sc := bufio.NewScanner(s)
		var lines []string
		for len(lines) < 4 && sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if got := strings.Join(lines, "|"); got != "alpha|beta|gamma|δέλτα" {
			t.Fatalf("lines %q (%v), want alpha|beta|gamma|δέλτα", got, sc.Err())
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// Each thing the browser cannot do fails with an error that names it
// and the browser, matching errors.ErrUnsupported.
func TestInBrowserUnsupported(t *testing.T) {
	c := wasmDial(t, "unsupported", nil)
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	defer cancel()
	run := func(name, mention string, f func() error) {
		t.Run(name, func(t *testing.T) {
			err := f()
			switch {
			case err == nil:
				t.Fatal("no error")
			case !errors.Is(err, errors.ErrUnsupported):
				t.Errorf("%v: errors.Is(err, errors.ErrUnsupported) does not hold", err)
			case !strings.Contains(err.Error(), "not available in the browser (js/wasm)") || !strings.Contains(err.Error(), mention):
				t.Errorf("%v: want it to say %q is not available in the browser", err, mention)
			}
			t.Log(err)
		})
	}
	run("ReadFrame", "raw frames", func() error {
		_, err := c.ReadFrame(ctx)
		return err
	})
	run("WriteFrame", "raw frames", func() error {
		return c.WriteFrame(ctx, fastws.Frame{Fin: true, Opcode: wsframe.OpText, Payload: []byte("x")})
	})
	run("Ping", "Ping", func() error { return c.Ping(ctx, []byte("p")) })
	// None of them touched the connection.
	if err := roundTrip(ctx, c, fastws.Text, []byte("after the refusals")); err != nil {
		t.Errorf("the connection after the refusals: %v", err)
	}
	run("Close-1001", "close code 1001", func() error {
		c2 := wasmDial(t, "close-1001", nil)
		err := c2.CloseContext(ctx, fastws.CloseGoingAway, "going away")
		select {
		case <-c2.Done():
		case <-ctx.Done():
			t.Error("the connection is still open")
		}
		return err
	})

	never := wasmServer(t) + "/ws/never"
	dialWith := func(o fastws.DialOptions) func() error {
		return func() error {
			c, _, err := fastws.Dial(ctx, never, &o)
			if err == nil {
				c.CloseNow()
			}
			return err
		}
	}
	proxy, _ := url.Parse("http://127.0.0.1:1")
	run("DialOptions.Header", "DialOptions.Header", dialWith(fastws.DialOptions{Header: http.Header{"X-Test": {"1"}}}))
	run("DialOptions.Compression", "DialOptions.Compression", dialWith(fastws.DialOptions{Compression: &fastws.CompressionOptions{}}))
	run("DialOptions.Extensions", "DialOptions.Extensions", dialWith(fastws.DialOptions{Extensions: []fastws.Extension{{Name: "x-test"}}}))
	run("DialOptions.TLSConfig", "DialOptions.TLSConfig", dialWith(fastws.DialOptions{TLSConfig: &tls.Config{}}))
	run("DialOptions.HTTP2-Off", "DialOptions.HTTP2", dialWith(fastws.DialOptions{HTTP2: fastws.HTTP2Off}))
	run("DialOptions.HTTP2-Only", "DialOptions.HTTP2", dialWith(fastws.DialOptions{HTTP2: fastws.HTTP2Only}))
	run("DialOptions.Proxy", "DialOptions.Proxy", dialWith(fastws.DialOptions{Proxy: http.ProxyURL(proxy)}))
	run("DialOptions.NetDial", "DialOptions.NetDial", dialWith(fastws.DialOptions{
		NetDial: func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("not called") },
	}))
	run("DialOptions.FollowRedirects", "DialOptions.FollowRedirects", dialWith(fastws.DialOptions{FollowRedirects: true}))

	run("Accept", "Accept", func() error {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		_, err := fastws.Accept(a, nil)
		return err
	})
	run("Upgrade", "Upgrade", func() error {
		_, err := fastws.Upgrade(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil), nil)
		return err
	})
	srv := fastws.NewServer(nopHandler{}, nil)
	run("Server.Serve", "Server.Serve", func() error { return srv.Serve(closedListener{}) })
	t.Run("Server.ServeHTTP", func(t *testing.T) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		body := strings.TrimSpace(rec.Body.String())
		if rec.Code != http.StatusNotImplemented || !strings.Contains(body, "Server.ServeHTTP is not available in the browser (js/wasm)") {
			t.Errorf("ServeHTTP answered %d %q, want 501 and why", rec.Code, body)
		}
		t.Logf("%d %s", rec.Code, body)
	})
	if err := c.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		t.Errorf("Close: %v", err)
	}
}

type nopHandler struct{}

func (nopHandler) OnOpen(*fastws.Session, *fastws.OpenRequest)           {}
func (nopHandler) OnMessage(*fastws.Session, fastws.MessageType, []byte) {}
func (nopHandler) OnClose(*fastws.Session, fastws.CloseEvent)            {}

// closedListener is a listener that has nothing to accept.
type closedListener struct{}

func (closedListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (closedListener) Close() error              { return nil }
func (closedListener) Addr() net.Addr            { return &net.TCPAddr{} }

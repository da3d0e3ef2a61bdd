//lint:file-ignore SA1019 net/http's own client refuses the :protocol pseudo-header (Go 1.26), so the tests use x/net's HTTP/2 transport, deprecated in favour of that client.

package h2upgrade

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
	"golang.org/x/net/http2"
)

// h2Echo serves Upgrade on an HTTP/2 TLS server of its own and echoes
// every message; handled receives each Upgrade's error (nil: served).
func h2Echo(t *testing.T, opts *fastws.AcceptOptions, handled chan<- error) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, opts)
		if handled != nil {
			handled <- err
		}
		if err != nil {
			return
		}
		ctx := context.Background()
		for {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				break
			}
			if c.WriteMessage(ctx, typ, msg) != nil {
				break
			}
		}
		<-c.Done() // the stream ends when the handler returns
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// streamConn is the client's side of an extended CONNECT: the request
// body out, the response body in.
type streamConn struct {
	io.ReadCloser
	out *io.PipeWriter
}

func (s streamConn) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s streamConn) Close() error {
	s.out.Close()
	return s.ReadCloser.Close()
}

// connectH2 opens a WebSocket on srv over HTTP/2 with Go's own client:
// an extended CONNECT (RFC 8441 section 4) with the headers given.
func connectH2(t *testing.T, srv *httptest.Server, path string, header http.Header) (*http.Response, *fastws.Conn) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(20*time.Second))
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodConnect, srv.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set(":protocol", "websocket")
	// net/http's client refuses the :protocol pseudo-header (Go 1.26);
	// x/net's HTTP/2 transport sends it.
	tr := &http2.Transport{TLSClientConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("%s, not HTTP/2", resp.Proto)
	}
	if resp.StatusCode != http.StatusOK {
		pw.Close()
		resp.Body.Close()
		return resp, nil
	}
	return resp, fastws.NewConn(streamConn{resp.Body, pw}, fastws.ClientSide, nil)
}

// Upgrade serves a WebSocket on an HTTP/2 stream: the same negotiation
// (subprotocol, permessage-deflate, the origin policy), the same message
// API and closing handshake as over HTTP/1.1.
func TestUpgradeOverHTTP2(t *testing.T) {
	leakcheck.Check(t)
	xconnect.Require(t)
	handled := make(chan error, 1)
	srv := h2Echo(t, &fastws.AcceptOptions{Subprotocols: []string{"chat"}, Compression: &fastws.CompressionOptions{}}, handled)
	header := http.Header{
		"Sec-Websocket-Version":    {"13"},
		"Sec-Websocket-Protocol":   {"other, chat"},
		"Sec-Websocket-Extensions": {"permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
	}
	resp, c := connectH2(t, srv, "/echo", header)
	if c == nil || <-handled != nil {
		t.Fatalf("status %s", resp.Status)
	}
	if got := resp.Header.Get("Sec-Websocket-Protocol"); got != "chat" {
		t.Errorf("subprotocol %q", got)
	}
	if got := resp.Header.Get("Sec-Websocket-Extensions"); !strings.HasPrefix(got, "permessage-deflate") {
		t.Errorf("extensions %q", got)
	}
	// The test's client Conn is built without the deflate terms: a short
	// message, which the server sends uncompressed, and the close.
	echoH2(t, c, []byte("hello over h2"))
	if err := c.Close(fastws.CloseNormal, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Without the offer, messages of every size, one larger than any
	// HTTP/2 frame and flow-control window.
	resp, c = connectH2(t, srv, "/echo", http.Header{"Sec-Websocket-Version": {"13"}})
	if c == nil || <-handled != nil || resp.Header.Get("Sec-Websocket-Extensions") != "" {
		t.Fatalf("status %s, extensions %q", resp.Status, resp.Header.Get("Sec-Websocket-Extensions"))
	}
	echoH2(t, c, []byte("hello"), bytes.Repeat([]byte("x"), 200<<10), []byte{})
	if err := c.Close(fastws.CloseNormal, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func echoH2(t *testing.T, c *fastws.Conn, msgs ...[]byte) {
	t.Helper()
	ctx := context.Background()
	for _, m := range msgs {
		if err := c.WriteMessage(ctx, fastws.Binary, m); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage(ctx)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(m), len(got), err)
		}
	}
}

// A refused extended CONNECT gets the status an HTTP/1.1 upgrade would
// (RFC 8441 section 5: a non-2xx answer), and Upgrade's error says why.
func TestUpgradeOverHTTP2Refusals(t *testing.T) {
	leakcheck.Check(t)
	xconnect.Require(t)
	handled := make(chan error, 1)
	srv := h2Echo(t, &fastws.AcceptOptions{}, handled)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"no version", http.Header{}, http.StatusUpgradeRequired},
		{"version 8", http.Header{"Sec-Websocket-Version": {"8"}}, http.StatusUpgradeRequired},
		{"foreign origin", http.Header{"Sec-Websocket-Version": {"13"}, "Origin": {"https://elsewhere.example"}}, http.StatusForbidden},
	} {
		resp, c := connectH2(t, srv, "/echo", tc.header)
		if c != nil || resp.StatusCode != tc.status {
			t.Errorf("%s: status %s", tc.name, resp.Status)
		}
		var he *fastws.HandshakeError
		if err := <-handled; !errors.As(err, &he) || he.StatusCode != tc.status {
			t.Errorf("%s: Upgrade returned %v", tc.name, err)
		}
	}
}

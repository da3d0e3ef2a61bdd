package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// streamThreshold is the size from which the fastws echo server streams a
// binary echo through NextWriter, in writes of streamChunk bytes.
const (
	streamThreshold = 64 << 10
	streamChunk     = 50000
)

// acceptAnyOrigin is the origin policy for peers that are not browsers.
func acceptAnyOrigin(origin, host string) bool { return true }

// echoServer is the fastws side when a peer is the client: an http.Server
// on 127.0.0.1 whose /main and /server-close speak the echo protocol (see
// doc.go) through fastws.Upgrade, recording what each connection saw.
// addVariant adds the same paths under a prefix, with permessage-deflate,
// and a compression probe. Other paths may be added to mux.
type echoServer struct {
	url     string // ws://127.0.0.1:PORT
	httpURL string // http://127.0.0.1:PORT
	mux     *http.ServeMux

	checkOrigin func(origin, host string) bool
	ctx         context.Context // ends when the test ends
	handlers    sync.WaitGroup

	mu      sync.Mutex
	records []*connRecord
	changed chan struct{} // closed and replaced when a record is done
}

// connRecord is what the server saw on one connection.
type connRecord struct {
	path    string
	request string // "HTTP/1.1 GET", "HTTP/2.0 CONNECT"

	mu         sync.Mutex
	done       bool
	extensions string             // what Conn.Extensions reported
	probe      *probeRecord       // the compression probe, on PREFIX/probe
	peerClose  *fastws.CloseError // the client's close frame, as the read returned it
	readErr    error              // how the reads ended, if not by the client's close
	ourClose   string             // "CODE REASON" of the close we began, if any
	closeErr   error              // what our Close returned
	pingsSeen  []string           // payloads of the pings the client sent
	pinged     map[string]error   // our Ping results, by payload
	errs       []error            // anything else that went wrong
}

func (r *connRecord) onPing(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pingsSeen = append(r.pingsSeen, string(p))
}

func (r *connRecord) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

// newEchoServer starts the server; checkOrigin nil means fastws's default
// same-origin policy. The test's cleanup stops it and waits for every
// connection's handler to return.
func newEchoServer(t *testing.T, checkOrigin func(origin, host string) bool) *echoServer {
	t.Helper()
	return startEchoServer(t, checkOrigin, nil)
}

// startEchoServer starts the echo server, over TLS with HTTP/2 offered
// when cert is set (see newEchoServerH2).
func startEchoServer(t *testing.T, checkOrigin func(origin, host string) bool, cert *tls.Certificate) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &echoServer{
		url:         "ws://" + ln.Addr().String(),
		httpURL:     "http://" + ln.Addr().String(),
		mux:         http.NewServeMux(),
		checkOrigin: checkOrigin,
		ctx:         ctx,
		changed:     make(chan struct{}),
	}
	e.handleWS("/main", e.serveWS(nil))
	e.handleWS("/server-close", e.serveWS(nil))
	srv := &http.Server{Handler: e.mux, ReadHeaderTimeout: 10 * time.Second}
	if cert != nil {
		e.url, e.httpURL = "wss://"+ln.Addr().String(), "https://"+ln.Addr().String()
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetHTTP2(true)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if cert != nil {
			_ = srv.ServeTLS(ln, "", "")
			return
		}
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		cancel() // ends the reads of connections still open
		_ = srv.Close()
		<-served
		waited := make(chan struct{})
		go func() {
			e.handlers.Wait()
			close(waited)
		}()
		select {
		case <-waited:
		case <-time.After(testtime.Limit(15 * time.Second)):
			t.Error("echo server: connection handlers still running 15 s after the test")
		}
	})
	return e
}

// addVariant serves the echo protocol on prefix+"/main" and
// prefix+"/server-close", and the compression probe on prefix+"/probe",
// accepting permessage-deflate with copts.
func (e *echoServer) addVariant(prefix string, copts *fastws.CompressionOptions) {
	e.handleWS(prefix+"/main", e.serveWS(copts))
	e.handleWS(prefix+"/server-close", e.serveWS(copts))
	e.handleWS(prefix+"/probe", e.serveProbe(copts))
}

// handleWS serves a WebSocket path: GET for HTTP/1.1, CONNECT for
// HTTP/2's extended CONNECT (RFC 8441).
func (e *echoServer) handleWS(path string, h http.HandlerFunc) {
	e.mux.HandleFunc("GET "+path, h)
	e.mux.HandleFunc("CONNECT "+path, h)
}

// begin records a new connection on r's path, and its protocol and
// method; end marks it done.
func (e *echoServer) begin(r *http.Request) (rec *connRecord, end func()) {
	rec, end = e.beginPath(r.URL.Path)
	rec.mu.Lock()
	rec.request = r.Proto + " " + r.Method
	rec.mu.Unlock()
	return rec, end
}

// beginPath records a new connection on path; end marks it done.
func (e *echoServer) beginPath(path string) (rec *connRecord, end func()) {
	e.handlers.Add(1)
	rec = &connRecord{path: path, pinged: map[string]error{}}
	e.mu.Lock()
	e.records = append(e.records, rec)
	e.mu.Unlock()
	return rec, func() {
		rec.mu.Lock()
		rec.done = true
		rec.mu.Unlock()
		e.mu.Lock()
		close(e.changed)
		e.changed = make(chan struct{})
		e.mu.Unlock()
		e.handlers.Done()
	}
}

// upgrade takes the connection over with copts as its compression, and
// records the negotiated extensions.
func (e *echoServer) upgrade(w http.ResponseWriter, r *http.Request, rec *connRecord, copts *fastws.CompressionOptions) (*fastws.Conn, error) {
	c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{
		CheckOrigin: e.checkOrigin,
		ConnOptions: fastws.ConnOptions{OnPing: rec.onPing},
		Compression: copts,
	})
	if err != nil {
		rec.fail(fmt.Errorf("Upgrade: %w", err))
		return nil, err
	}
	rec.mu.Lock()
	rec.extensions = c.Extensions()
	rec.mu.Unlock()
	return c, nil
}

// serveWS returns the handler of the echo protocol's paths, accepting
// permessage-deflate with copts (nil: not at all).
func (e *echoServer) serveWS(copts *fastws.CompressionOptions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, end := e.begin(r)
		defer end()
		c, err := e.upgrade(w, r, rec, copts)
		if err != nil {
			return
		}
		e.echo(c, rec)
	}
}

// echo runs the echo protocol on c until the connection ends.
func (e *echoServer) echo(c *fastws.Conn, rec *connRecord) {
	var pings sync.WaitGroup
	defer pings.Wait()
	defer c.CloseNow() // a no-op after a completed close; else ends the connection
	for {
		typ, msg, err := c.ReadMessage(e.ctx)
		if err != nil {
			var ce *fastws.CloseError
			rec.mu.Lock()
			if errors.As(err, &ce) {
				rec.peerClose = ce
			} else {
				rec.readErr = err
			}
			rec.mu.Unlock()
			return
		}
		ctx, cancel := context.WithTimeout(e.ctx, itemTimeout)
		switch s := string(msg); {
		case typ == fastws.Text && strings.HasPrefix(s, "close:"):
			code, reason, perr := parseCloseCommand(s)
			if perr != nil {
				rec.fail(perr)
				cancel()
				return
			}
			err = c.CloseContext(ctx, code, reason)
			rec.mu.Lock()
			rec.ourClose, rec.closeErr = fmt.Sprintf("%d %s", code, reason), err
			rec.mu.Unlock()
			cancel()
			return
		case typ == fastws.Text && strings.HasPrefix(s, "ping-me:"):
			payload := strings.TrimPrefix(s, "ping-me:")
			pings.Add(1)
			go func() {
				defer pings.Done()
				defer cancel()
				err := c.Ping(ctx, []byte(payload))
				rec.mu.Lock()
				rec.pinged[payload] = err
				rec.mu.Unlock()
				if err == nil {
					err = c.WriteMessage(ctx, fastws.Text, []byte("pong-received:"+payload))
				}
				if err != nil {
					rec.fail(fmt.Errorf("ping-me %q: %w", payload, err))
				}
			}()
			continue
		case typ == fastws.Text && strings.HasPrefix(s, "fragment-me:"):
			err = writeFragmented(ctx, c, msg)
		case typ == fastws.Text && strings.HasPrefix(s, "uncompressed:"):
			err = c.WriteMessage(ctx, typ|fastws.Uncompressed, msg)
		case typ == fastws.Binary && len(msg) >= streamThreshold:
			err = writeStreamed(ctx, c, msg)
		default:
			err = c.WriteMessage(ctx, typ, msg)
		}
		cancel()
		if err != nil {
			rec.fail(fmt.Errorf("echoing a %v message of %d bytes: %w", typ, len(msg), err))
			return
		}
	}
}

// parseCloseCommand parses "close:CODE:REASON".
func parseCloseCommand(s string) (fastws.CloseCode, string, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return 0, "", fmt.Errorf("bad close command %q", s)
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil || code < 0 || code > 65535 {
		return 0, "", fmt.Errorf("bad close code in %q", s)
	}
	return fastws.CloseCode(code), parts[2], nil
}

// writeFragmented sends text as three frames with WriteFrame, split at
// character boundaries since each text frame must be UTF-8 by itself.
func writeFragmented(ctx context.Context, c *fastws.Conn, text []byte) error {
	a := runeBoundary(text, len(text)/3)
	b := runeBoundary(text, 2*len(text)/3)
	frames := []fastws.Frame{
		{Fin: false, Opcode: wsframe.OpText, Payload: text[:a]},
		{Fin: false, Opcode: wsframe.OpContinuation, Payload: text[a:b]},
		{Fin: true, Opcode: wsframe.OpContinuation, Payload: text[b:]},
	}
	for _, f := range frames {
		if err := c.WriteFrame(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

func runeBoundary(p []byte, i int) int {
	for i < len(p) && !utf8.RuneStart(p[i]) {
		i++
	}
	return i
}

// writeStreamed sends p through NextWriter in streamChunk-byte writes,
// each of which (being at least 16 KiB) goes out as its own frame.
func writeStreamed(ctx context.Context, c *fastws.Conn, p []byte) error {
	w, err := c.NextWriter(ctx, fastws.Binary)
	if err != nil {
		return err
	}
	for len(p) > 0 {
		n := min(len(p), streamChunk)
		if _, err := w.Write(p[:n]); err != nil {
			_ = w.Close()
			return err
		}
		p = p[n:]
	}
	return w.Close()
}

// waitRecords waits until a connection on each of paths has ended, and
// returns the records of all connections, by path.
func (e *echoServer) waitRecords(t *testing.T, paths ...string) map[string][]*connRecord {
	t.Helper()
	deadline := time.NewTimer(testtime.Limit(15 * time.Second))
	defer deadline.Stop()
	for {
		e.mu.Lock()
		byPath := map[string][]*connRecord{}
		for _, r := range e.records {
			r.mu.Lock()
			if r.done {
				byPath[r.path] = append(byPath[r.path], r)
			}
			r.mu.Unlock()
		}
		changed := e.changed
		e.mu.Unlock()
		if !slices.ContainsFunc(paths, func(p string) bool { return len(byPath[p]) == 0 }) {
			return byPath
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Errorf("echo server: no finished connection on each of %v within 15 s (have %d)", paths, len(byPath))
			return byPath
		}
	}
}

// checkEchoServerRecords checks what the fastws server saw of a peer
// client's list: one connection on /main that the client closed with
// exactly 4001 "bye-from-client", on which the client's pings with
// peerPings arrived and our Ping "ping-from-server" was answered; and one
// on /server-close that our Close(4002, "bye-from-server") ended with a
// completed closing handshake.
func checkEchoServerRecords(t *testing.T, e *echoServer, peerPings []string) {
	t.Helper()
	checkEchoServerRecordsAt(t, e, "", peerPings)
}

// checkEchoServerRecordsAt is checkEchoServerRecords for the paths under
// prefix (the paths of one variant).
func checkEchoServerRecordsAt(t *testing.T, e *echoServer, prefix string, peerPings []string) {
	t.Helper()
	recs := e.waitRecords(t, prefix+"/main", prefix+"/server-close")
	for path, rs := range recs {
		if strings.HasPrefix(path, prefix+"/") && len(rs) != 1 {
			t.Errorf("echo server: %d connections on %s, want 1", len(rs), path)
		}
	}
	if rs := recs[prefix+"/main"]; len(rs) > 0 {
		r := rs[0]
		r.mu.Lock()
		if r.peerClose == nil || r.peerClose.Code != 4001 || r.peerClose.Reason != "bye-from-client" {
			t.Errorf("echo server: %s ended with %v (read error %v), want the client's close 4001 %q",
				r.path, r.peerClose, r.readErr, "bye-from-client")
		}
		for _, p := range peerPings {
			if !slices.Contains(r.pingsSeen, p) {
				t.Errorf("echo server: OnPing saw %q, want the client's ping %q among them", r.pingsSeen, p)
			}
		}
		if err, ok := r.pinged["ping-from-server"]; !ok || err != nil {
			t.Errorf("echo server: our Ping %q: ran %v, returned %v; want it answered", "ping-from-server", ok, err)
		}
		for _, err := range r.errs {
			t.Errorf("echo server: %s: %v", r.path, err)
		}
		r.mu.Unlock()
	}
	if rs := recs[prefix+"/server-close"]; len(rs) > 0 {
		r := rs[0]
		r.mu.Lock()
		if r.ourClose != "4002 bye-from-server" || r.closeErr != nil {
			t.Errorf("echo server: %s: our close %q returned %v; want 4002 bye-from-server and a completed handshake",
				r.path, r.ourClose, r.closeErr)
		}
		for _, err := range r.errs {
			t.Errorf("echo server: %s: %v", r.path, err)
		}
		r.mu.Unlock()
	}
}

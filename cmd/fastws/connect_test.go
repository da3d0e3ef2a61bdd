package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// serveConns accepts WebSocket connections on a loopback port and runs
// handle on each; the URL is returned.
func serveConns(t *testing.T, handle func(c *fastws.Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{Compression: &fastws.CompressionOptions{}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		handle(c)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// serveRaw answers the handshake by hand on a loopback port, then lets
// write misbehave on the wire.
func serveRaw(t *testing.T, write func(nc net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		write(nc)
		nc.SetReadDeadline(time.Now().Add(testtime.Limit(5 * time.Second)))
		io.Copy(io.Discard, nc)
	}()
	return "ws://" + ln.Addr().String()
}

// connect runs fastws connect with stdin and returns its exit status,
// stdout and stderr.
func connect(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	code := run(append([]string{"connect"}, args...), stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestConnectPipe(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"lines", nil, "one\ntwo\r\n\nthree", "one\ntwo\n\nthree\n"},
		{"empty stdin", nil, "", ""},
		{"NUL-separated", []string{"-0"}, "a b\x00c\nd\x00", "a b\nc\nd\n"},
		{"binary chunk", []string{"-binary"}, "\xff\xfe\n", "\xff\xfe\n\n"},
		{"hex", []string{"-show", "hex"}, "hi\n", "6869\n"},
		{"base64", []string{"-show", "base64", "-compress=false"}, "hi\n", "aGk=\n"},
		{"flags after the URL", []string{"-show"}, "hi\n", "6869\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"-q"}, tc.args...), url)
			if tc.name == "flags after the URL" {
				args = []string{url, "-show", "hex", "-q"}
			}
			code, out, errOut := connect(t, strings.NewReader(tc.stdin), args...)
			if code != exitNormal || out != tc.want || errOut != "" {
				t.Fatalf("exit %d, stdout %q (want %q), stderr %q", code, out, tc.want, errOut)
			}
		})
	}
}

// Nothing typed is lost silently: a line that cannot be a message is
// reported (which, and what to do) and the lines after it are sent; the
// exit status says some were not.
func TestConnectSkipsWhatItCannotSend(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut := connect(t, strings.NewReader("fine\n\xff\nafter\n"), "-q", url)
	want := "fastws connect: message 2 of stdin was not sent: it is not UTF-8, which a text message must be (-binary sends bytes as they are)\n" +
		"fastws connect: closed normally, but 1 message of the input was not sent (see above)\n"
	if code != exitPeerClose || out != "fine\nafter\n" || errOut != want {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	long := strings.Repeat("x", 70<<10) // past the line reader's own buffer
	code, out, errOut = connect(t, strings.NewReader("0123\r\n01234\n"+long+"\nabc"), "-q", "-max-message", "4", url)
	if code != exitPeerClose || out != "0123\nabc\n" ||
		!strings.Contains(errOut, "message 2 of stdin was not sent: it is longer than -max-message (4 bytes)") ||
		!strings.Contains(errOut, "message 3 of stdin was not sent") || !strings.Contains(errOut, "2 messages of the input were not sent") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// In a pipe, connect says on stderr when it is connected (unless -q), so
// stdout stays the messages alone.
func TestConnectSaysConnected(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut := connect(t, strings.NewReader("hi\n"), url)
	if code != exitNormal || out != "hi\n" || errOut != "fastws connect: connected to "+url+", permessage-deflate\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestConnectJSONL(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	code, out, errOut := connect(t, strings.NewReader("héllo\n"), "-jsonl", url)
	if code != exitNormal {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var events []event
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Time); err != nil {
			t.Errorf("time %q: %v", e.Time, err)
		}
		e.Time = ""
		events = append(events, e)
	}
	// The echo may come back before or after our close frame leaves.
	want := map[string]event{
		"out text":  {Dir: "out", Type: "text", Size: 6, Payload: "héllo"},
		"out close": {Dir: "out", Type: "close", Size: 2, Code: 1000},
		"in text":   {Dir: "in", Type: "text", Size: 6, Payload: "héllo"},
		"in close":  {Dir: "in", Type: "close", Size: 2, Code: 1000},
	}
	if len(events) != len(want) || events[0] != want["out text"] || events[len(events)-1] != want["in close"] {
		t.Fatalf("events %+v", events)
	}
	for _, e := range events {
		if want[e.Dir+" "+e.Type] != e {
			t.Errorf("event %+v, want %+v", e, want[e.Dir+" "+e.Type])
		}
	}
	// Binary payloads are base64, and say so.
	code, out, _ = connect(t, strings.NewReader("\x00\xff"), "-jsonl", "-binary", url)
	if code != exitNormal || !strings.Contains(out, `"dir":"in","type":"binary","size":2,"payload":"AP8=","encoding":"base64"`) {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}

// -show-control prints pings, pongs and close frames with their codes,
// and the exit status follows the server's close code.
func TestConnectShowControl(t *testing.T) {
	leakcheck.Check(t)
	url := serveConns(t, func(c *fastws.Conn) {
		ctx := context.Background()
		c.WriteFrame(ctx, fastws.Frame{Fin: true, Opcode: 0x9, Payload: []byte("are you there")})
		c.WriteMessage(ctx, fastws.Text, []byte("news"))
		c.Close(4000, "bye now")
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	code, out, errOut := connect(t, pr, "-q", "-show-control", url)
	want := "< ping \"are you there\"\nnews\n< close 4000 \"bye now\"\n"
	if code != exitPeerClose || out != want || strings.TrimSpace(errOut) != `fastws connect: the server closed with 4000 "bye now"` {
		t.Fatalf("exit %d, stdout %q (want %q), stderr %q", code, out, want, errOut)
	}
}

// -timestamps puts the time before each message; -ping-interval pings
// and shows each pong's round trip.
func TestConnectTimestampsAndPings(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	pr, pw := io.Pipe()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"connect", "-timestamps", "-show-control", "-ping-interval", "20ms", url}, pr, &out, &errOut)
	}()
	deadline := time.Now().Add(testtime.Limit(10 * time.Second))
	for !strings.Contains(out.String(), "< pong") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	io.WriteString(pw, "x\n")
	pw.Close()
	if code := <-done; code != exitNormal {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	stamp := `\d\d:\d\d:\d\d\.\d{6} `
	for _, re := range []string{
		`(?m)^` + stamp + `> ping "fastws 1"$`,
		`(?m)^` + stamp + `< pong "fastws 1" rtt \S+$`,
		`(?m)^` + stamp + `x$`,
		`(?m)^` + stamp + `< close 1000 \(normal closure\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("stdout lacks %s:\n%s", re, out.String())
		}
	}
}

// -exit-after N prints N messages and closes with 1000.
func TestConnectExitAfter(t *testing.T) {
	leakcheck.Check(t)
	url := serveConns(t, func(c *fastws.Conn) {
		ctx := context.Background()
		for i := range 5 {
			c.WriteMessage(ctx, fastws.Text, fmt.Appendf(nil, "m%d", i))
		}
		for {
			if _, _, err := c.ReadMessage(ctx); err != nil {
				return
			}
		}
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	code, out, errOut := connect(t, pr, "-exit-after", "2", url)
	if code != exitNormal || out != "m0\nm1\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// The headers, subprotocol and origin flags reach the server.
func TestConnectSendsHeaders(t *testing.T) {
	leakcheck.Check(t)
	got := make(chan *http.Request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r
		c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{Subprotocols: []string{"chat.v2"}, CheckOrigin: func(string, string) bool { return true }})
		if err != nil {
			return
		}
		c.Close(fastws.CloseNormal, "")
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	code, _, errOut := connect(t, strings.NewReader(""), "-H", "Authorization: Bearer abc", "-H", "X-Two: 2", "-subprotocol", "chat.v1,chat.v2", "-origin", "https://app.example", url)
	if code != exitNormal {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	r := <-got
	if r.Header.Get("Authorization") != "Bearer abc" || r.Header.Get("X-Two") != "2" || r.Header.Get("Origin") != "https://app.example" ||
		r.Header.Get("Sec-WebSocket-Protocol") != "chat.v1, chat.v2" {
		t.Fatalf("headers %v", r.Header)
	}
}

// Every error a user can cause is one line that says what happened and
// what to try, with the exit status that names its kind.
func TestConnectErrors(t *testing.T) {
	leakcheck.Check(t)
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c.Close(fastws.CloseNormal, "")
	}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case's handshake error
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			nc, err := silent.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
		}
	}()
	closedPort := closedPort(t)
	wssURL := "wss://" + tlsSrv.Listener.Addr().String()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	protocolBreaker := serveRaw(t, func(nc net.Conn) { nc.Write([]byte{0x83, 0x00}) })          // reserved opcode 3
	dropper := serveRaw(t, func(nc net.Conn) { nc.Write([]byte{0x81, 0x02, 'h'}); nc.Close() }) // half a frame, then EOF
	policy := serveConns(t, func(c *fastws.Conn) { c.Close(fastws.ClosePolicyViolation, "no bots") })

	for _, tc := range []struct {
		name   string
		args   []string
		status int
		want   []string // in stderr
	}{
		{"no scheme", []string{"example.com/chat"}, exitUsage, []string{`"example.com/chat" is not a WebSocket URL`, "ws://example.com/chat"}},
		{"wrong scheme", []string{"ftp://example.com/"}, exitUsage, []string{"must be ws:// or wss://, not ftp://"}},
		{"no URL", nil, exitUsage, []string{"want the server's URL"}},
		{"extra argument", []string{"ws://127.0.0.1/", "hello"}, exitUsage, []string{`unexpected argument "hello" after the URL`}},
		{"bad header", []string{"-H", "NoColon", "ws://127.0.0.1/"}, exitUsage, []string{"want 'Name: value'"}},
		{"handshake header", []string{"-H", "Sec-WebSocket-Protocol: x", "ws://127.0.0.1/"}, exitUsage, []string{"set with -subprotocol"}},
		{"bad show", []string{"-show", "octal", "ws://127.0.0.1/"}, exitUsage, []string{`-show "octal": want text, hex or base64`}},
		{"bad proxy", []string{"-proxy", "socks5://127.0.0.1:1", "ws://127.0.0.1/"}, exitUsage, []string{"want an http:// or https:// URL"}},
		{"bad http2", []string{"-http2", "always", "ws://127.0.0.1/"}, exitUsage, []string{`-http2 "always": want auto, off or only`}},
		{"no HTTP/2", []string{"-http2", "only", "-cacert", caFile, wssURL}, exitRefused, []string{"does not offer WebSockets over HTTP/2", "drop -http2 only"}},
		{"missing CA file", []string{"-cacert", "/nonexistent/ca.pem", wssURL}, exitUsage, []string{"-cacert /nonexistent/ca.pem: no such file or directory"}},
		{"refused port", []string{"ws://" + closedPort + "/"}, exitNetwork, []string{"nothing accepts connections at " + closedPort, "is the server running"}},
		{"404", []string{"ws://" + notFound.Listener.Addr().String() + "/nope"}, exitRefused, []string{"refused the WebSocket handshake: HTTP 404 Not Found: check the URL's path", "Content-Type: text/plain", "body: 404 page not found"}},
		{"untrusted certificate", []string{wssURL}, exitNetwork, []string{"certificate is not trusted", "-cacert FILE", "-insecure"}},
		{"no TLS at a wss URL", []string{"wss://" + notFound.Listener.Addr().String() + "/"}, exitNetwork, []string{"does not speak TLS: use ws://"}},
		{"timeout", []string{"-connect-timeout", "300ms", "ws://" + silent.Addr().String() + "/"}, exitTimeout, []string{"no WebSocket answer from " + silent.Addr().String() + " within 300ms"}},
		{"protocol error", []string{protocolBreaker}, exitProtocol, []string{"the server broke the protocol (reserved opcode): closed with 1002 (protocol error)"}},
		{"dropped", []string{dropper}, exitNetwork, []string{"dropped without a close frame (1006)"}},
		{"policy close", []string{policy}, exitPeerClose, []string{`the server closed with 1008 (policy violation) "no bots"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			defer pw.Close()
			code, _, errOut := connect(t, pr, append([]string{"-q"}, tc.args...)...)
			if code != tc.status {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.status, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			// One line (a refusal adds the answer's details, indented),
			// in words: no error chain, no stack.
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			for i, l := range lines {
				if i > 0 && !strings.HasPrefix(l, "  ") && l != "Run fastws connect -h for the flags." {
					t.Errorf("more than one line:\n%s", errOut)
				}
			}
			if strings.Contains(errOut, "fastws: Dial") || strings.Contains(errOut, "goroutine ") {
				t.Errorf("raw error in %q", errOut)
			}
		})
	}

	// The certificate's authority, or -insecure, makes the same URL work.
	for _, args := range [][]string{{"-cacert", caFile, wssURL}, {"-insecure", wssURL}} {
		if code, _, errOut := connect(t, strings.NewReader(""), args...); code != exitNormal {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// Errors that a loopback test cannot cause are explained as well.
func TestDialFailureWords(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{fmt.Errorf("fastws: Dial: %w", &net.DNSError{Err: "no such host", Name: "nowhere.example", IsNotFound: true}), exitNetwork, `cannot find the host "nowhere.example" (no such host): check the URL's host name`},
		{fmt.Errorf("fastws: Dial: %w", &net.DNSError{Err: "i/o timeout", Name: "slow.example", IsTimeout: true}), exitTimeout, `looking up the host "slow.example" timed out`},
		{fmt.Errorf("fastws: Dial: %w", errors.Join(context.DeadlineExceeded, os.ErrDeadlineExceeded)), exitTimeout, "no WebSocket answer from h:1 within 5s"},
	} {
		f := dialFailure("ws://h:1/", "5s", tc.err)
		if f.status != tc.status || !strings.Contains(f.line, tc.want) {
			t.Errorf("%v: %d %q, want %d %q", tc.err, f.status, f.line, tc.status, tc.want)
		}
	}
}

// -proxy tunnels through an HTTP proxy with CONNECT.
func TestConnectThroughProxy(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	tunnels := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer upstream.Close()
		tunnels <- r.Host
		w.WriteHeader(http.StatusOK)
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer nc.Close()
		go func() { io.Copy(upstream, brw); upstream.(*net.TCPConn).CloseWrite() }()
		io.Copy(nc, upstream)
	}))
	defer proxy.Close()
	code, out, errOut := connect(t, strings.NewReader("through\n"), "-q", "-proxy", proxy.URL, url)
	if code != exitNormal || out != "through\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if host := <-tunnels; "ws://"+host != url {
		t.Errorf("tunnel to %s, want %s", host, url)
	}
}

// closedPort is a loopback address where nothing listens: one that was
// free a moment ago.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveH2 serves echo over TLS with HTTP/2 (and extended CONNECT, in
// this process), calling seen with each request; it returns the wss://
// URL and a PEM file of the certificate to trust.
func serveH2(t *testing.T, seen func(*http.Request)) (url, caFile string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen(r)
		}
		c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{CheckOrigin: func(string, string) bool { return true }})
		if err != nil {
			return
		}
		defer func() { <-c.Done() }() // the stream ends when the handler returns
		for {
			typ, msg, err := c.ReadMessage(r.Context())
			if err != nil || c.WriteMessage(r.Context(), typ, msg) != nil {
				return
			}
		}
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return "wss" + strings.TrimPrefix(srv.URL, "https"), caFile
}

// With HTTP/2 on the server, connect opens its WebSocket as an HTTP/2
// stream (RFC 8441), and says so.
func TestConnectOverHTTP2(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	url, caFile := serveH2(t, nil)
	for _, mode := range []string{"auto", "only"} {
		code, out, errOut := connect(t, strings.NewReader("hi\n"), "-http2", mode, "-cacert", caFile, url)
		if code != exitNormal || out != "hi\n" || !strings.Contains(errOut, "connected to "+url+" over HTTP/2") {
			t.Errorf("-http2 %s: exit %d, stdout %q, stderr %q", mode, code, out, errOut)
		}
	}
	code, _, errOut := connect(t, strings.NewReader("hi\n"), "-http2", "off", "-cacert", caFile, url)
	if code != exitNormal || strings.Contains(errOut, "HTTP/2") {
		t.Errorf("-http2 off: exit %d, stderr %q", code, errOut)
	}
}

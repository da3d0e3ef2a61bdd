package fastws

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/wsframe"
)

// serverKinds runs a test against both server paths: Accept on a raw
// listener and Upgrade under net/http.
func serverKinds(t *testing.T, opts *AcceptOptions, f func(t *testing.T, addr string, accepted <-chan *Conn)) {
	for _, kind := range []string{"Accept", "Upgrade"} {
		t.Run(kind, func(t *testing.T) {
			leakcheck.Check(t)
			accepted := make(chan *Conn, 16)
			var addr string
			if kind == "Accept" {
				ln := listen(t)
				addr = ln.Addr().String()
				go func() {
					for {
						nc, err := ln.Accept()
						if err != nil {
							return
						}
						go func() {
							if c, err := Accept(nc, opts); err == nil {
								accepted <- c
							}
						}()
					}
				}()
			} else {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if c, err := Upgrade(w, r, opts); err == nil {
						accepted <- c
					}
				}))
				t.Cleanup(srv.Close)
				addr = srv.Listener.Addr().String()
			}
			t.Cleanup(func() {
				for {
					select {
					case c := <-accepted:
						c.CloseNow()
					default:
						return
					}
				}
			})
			f(t, addr, accepted)
		})
	}
}

func TestHandshakeRejections(t *testing.T) {
	valid := rawUpgrade("/")
	cases := []struct {
		name    string
		request string
		status  int
		header  [2]string
	}{
		{"POST", strings.Replace(valid, "GET", "POST", 1), 405, [2]string{"Allow", "GET"}},
		{"HTTP/1.0", strings.Replace(valid, "HTTP/1.1", "HTTP/1.0", 1), 505, [2]string{}},
		{"no Upgrade", strings.Replace(valid, "Upgrade: websocket\r\n", "", 1), 426, [2]string{"Upgrade", "websocket"}},
		{"Upgrade without websocket", strings.Replace(valid, "Upgrade: websocket", "Upgrade: h2c", 1), 426, [2]string{}},
		{"no Connection upgrade", strings.Replace(valid, "Connection: Upgrade", "Connection: keep-alive", 1), 400, [2]string{}},
		{"no key", strings.Replace(valid, "Sec-WebSocket-Key: "+testKey+"\r\n", "", 1), 400, [2]string{}},
		{"short key", strings.Replace(valid, testKey, "c2hvcnQ=", 1), 400, [2]string{}},
		{"key not base64", strings.Replace(valid, testKey, "!!!!!!!!!!!!!!!!!!!!!!==", 1), 400, [2]string{}},
		{"two keys", strings.Replace(valid, "\r\n\r\n", "\r\nSec-WebSocket-Key: "+testKey+"\r\n\r\n", 1), 400, [2]string{}},
		{"version 8", strings.Replace(valid, "Version: 13", "Version: 8", 1), 426, [2]string{"Sec-WebSocket-Version", "13"}},
		{"no version", strings.Replace(valid, "Sec-WebSocket-Version: 13\r\n", "", 1), 426, [2]string{"Sec-WebSocket-Version", "13"}},
		{"cross-origin", strings.Replace(valid, "\r\n\r\n", "\r\nOrigin: https://evil.example\r\n\r\n", 1), 403, [2]string{}},
	}
	serverKinds(t, nil, func(t *testing.T, addr string, _ <-chan *Conn) {
		for _, tc := range cases {
			p := dialRaw(t, addr, tc.request)
			status, header, body := p.rawResponse()
			if status != tc.status {
				t.Errorf("%s: %d (%s), want %d", tc.name, status, body, tc.status)
				continue
			}
			if tc.header[0] != "" && header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s: header %s = %q, want %q", tc.name, tc.header[0], header.Get(tc.header[0]), tc.header[1])
			}
			// RFC 9110 15.5.22 and 7.8: a 426 names the protocol in
			// Upgrade, and lists upgrade in a single Connection header.
			if tc.status == http.StatusUpgradeRequired {
				if up, conn := header.Get("Upgrade"), header.Values("Connection"); up != "websocket" || len(conn) != 1 || !strings.Contains(strings.ToLower(conn[0]), "upgrade") {
					t.Errorf("%s: 426 with Upgrade %q and Connection %q", tc.name, up, conn)
				}
			}
			if len(body) == 0 || len(body) > 200 {
				t.Errorf("%s: body of %d bytes, want a short explanation", tc.name, len(body))
			}
		}
	})
}

// Tokens are matched case-insensitively inside comma lists.
func TestHandshakeTokenLists(t *testing.T) {
	req := strings.Replace(rawUpgrade("/"), "Upgrade: websocket", "Upgrade: foo, WebSocket", 1)
	req = strings.Replace(req, "Connection: Upgrade", "Connection: keep-alive, UPGRADE", 1)
	serverKinds(t, nil, func(t *testing.T, addr string, _ <-chan *Conn) {
		dialRaw(t, addr, req).upgraded()
	})
}

func TestOriginPolicy(t *testing.T) {
	cases := []struct {
		opts   *AcceptOptions
		origin string
		ok     bool
	}{
		{nil, "", true},
		{nil, "http://example.com", true}, // same host as the request's Host
		{nil, "http://EXAMPLE.com", true},
		{nil, "http://example.com.evil", false},
		{nil, "null", false},
		{&AcceptOptions{OriginPatterns: []string{"*.trusted.org"}}, "https://app.trusted.org", true},
		{&AcceptOptions{OriginPatterns: []string{"*.trusted.org"}}, "https://trusted.org.evil", false},
		{&AcceptOptions{CheckOrigin: func(o, h string) bool { return o == "https://any" && h == "example.com" }}, "https://any", true},
	}
	for _, tc := range cases {
		opts := tc.opts
		serverKinds(t, opts, func(t *testing.T, addr string, _ <-chan *Conn) {
			extra := []string{}
			if tc.origin != "" {
				extra = append(extra, "Origin: "+tc.origin)
			}
			resp := dialRaw(t, addr, rawUpgrade("/", extra...)).response()
			if ok := resp.StatusCode == 101; ok != tc.ok {
				t.Errorf("origin %q: %s, want accepted=%v", tc.origin, resp.Status, tc.ok)
			}
		})
	}
}

func TestSubprotocolSelection(t *testing.T) {
	opts := &AcceptOptions{Subprotocols: []string{"v2.chat", "v1.chat"}}
	serverKinds(t, opts, func(t *testing.T, addr string, accepted <-chan *Conn) {
		ctx := testCtx(t)
		// The server's preference wins over the client's order.
		c, resp, err := Dial(ctx, "ws://"+addr, &DialOptions{Subprotocols: []string{"v1.chat", "v2.chat"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		s := <-accepted
		if c.Subprotocol() != "v2.chat" || s.Subprotocol() != "v2.chat" || resp.Header.Get("Sec-WebSocket-Protocol") != "v2.chat" {
			t.Fatalf("client %q server %q", c.Subprotocol(), s.Subprotocol())
		}
		// No common protocol: connected without one.
		c2, _, err := Dial(ctx, "ws://"+addr, &DialOptions{Subprotocols: []string{"other"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c2.CloseNow()
		if c2.Subprotocol() != "" || (<-accepted).Subprotocol() != "" {
			t.Fatal("a protocol was selected")
		}
	})
}

func TestExtensionHook(t *testing.T) {
	var offered []Extension
	opts := &AcceptOptions{Extensions: func(o []Extension) []Extension {
		offered = o
		return []Extension{{Name: "x-test", Params: []ExtensionParam{{Name: "mode", Value: "fast", HasValue: true}}, Rsv: wsframe.Rsv2}}
	}}
	serverKinds(t, opts, func(t *testing.T, addr string, accepted <-chan *Conn) {
		ctx := testCtx(t)
		c, _, err := Dial(ctx, "ws://"+addr, &DialOptions{Extensions: []Extension{
			{Name: "x-test", Params: []ExtensionParam{{Name: "mode", Value: "fast", HasValue: true}}, Rsv: wsframe.Rsv2},
			{Name: "x-other"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		s := <-accepted
		if len(offered) != 2 || offered[0].Name != "x-test" || offered[0].Params[0].Value != "fast" || offered[1].Name != "x-other" {
			t.Fatalf("offered %+v", offered)
		}
		if c.Extensions() != "x-test; mode=fast" || s.Extensions() != "x-test; mode=fast" {
			t.Fatalf("negotiated %q / %q", c.Extensions(), s.Extensions())
		}
		// RSV2 now reaches ReadFrame instead of failing the connection.
		if err := c.WriteFrame(ctx, Frame{Fin: true, Rsv: wsframe.Rsv2, Opcode: wsframe.OpBinary, Payload: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		f, err := s.ReadFrame(ctx)
		if err != nil || f.Rsv != wsframe.Rsv2 {
			t.Fatalf("frame %+v, %v", f, err)
		}
	})
}

// Bytes sent right after the request, in the same write, are the first
// frame of the stream and are not lost.
func TestEarlyDataKept(t *testing.T) {
	serverKinds(t, nil, func(t *testing.T, addr string, accepted <-chan *Conn) {
		ctx := testCtx(t)
		frame := maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpText}, []byte("early bird"))
		p := dialRaw(t, addr, rawUpgrade("/")+string(frame))
		p.upgraded()
		s := <-accepted
		_, msg, err := s.ReadMessage(ctx)
		if err != nil || string(msg) != "early bird" {
			t.Fatalf("got %q %v", msg, err)
		}
	})
}

func TestAcceptCallbacks(t *testing.T) {
	leakcheck.Check(t)
	ln := listen(t)
	var target, token string
	opts := &AcceptOptions{
		OnRequest: func(tg []byte) error { target = string(tg); return nil },
		OnHeader: func(name, value []byte) error {
			if equalFold(name, "Authorization") {
				token = string(value)
				if token != "Bearer good" {
					return &HandshakeError{StatusCode: 401, Reason: "bad token"}
				}
			}
			return nil
		},
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if c, err := Accept(nc, opts); err == nil {
				c.CloseNow()
			}
		}
	}()
	dialRaw(t, ln.Addr().String(), rawUpgrade("/room?id=7", "Authorization: Bearer good")).upgraded()
	if target != "/room?id=7" || token != "Bearer good" {
		t.Fatalf("target %q token %q", target, token)
	}
	if resp := dialRaw(t, ln.Addr().String(), rawUpgrade("/", "Authorization: Bearer bad")).response(); resp.StatusCode != 401 {
		t.Fatalf("bad token: %s", resp.Status)
	}
}

// fakeServer answers the first request on a listener with response, as is,
// followed by extra.
func fakeServer(t *testing.T, respond func(req *http.Request) string) string {
	ln := listen(t)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				req, err := http.ReadRequest(bufio.NewReader(nc))
				if err != nil {
					return
				}
				io.WriteString(nc, respond(req))
				nc.SetReadDeadline(time.Now().Add(2 * time.Second))
				io.Copy(io.Discard, nc)
			}()
		}
	}()
	return ln.Addr().String()
}

func switching(req *http.Request, extra string) string {
	var accept [28]byte
	acceptKey(&accept, []byte(req.Header.Get("Sec-WebSocket-Key")))
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		string(accept[:]) + "\r\n" + extra + "\r\n"
}

func TestDialChecksTheAnswer(t *testing.T) {
	leakcheck.Check(t)
	cases := []struct {
		name    string
		respond func(*http.Request) string
		opts    *DialOptions
		want    string
	}{
		{"wrong accept", func(r *http.Request) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n"
		}, nil, "Sec-WebSocket-Accept"},
		{"no upgrade header", func(r *http.Request) string {
			return strings.Replace(switching(r, ""), "Upgrade: websocket\r\n", "", 1)
		}, nil, "Upgrade"},
		{"unoffered subprotocol", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Protocol: evil\r\n")
		}, &DialOptions{Subprotocols: []string{"good"}}, "not offered"},
		{"subprotocol without offer", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Protocol: any\r\n")
		}, nil, "not offered"},
		{"unoffered extension", func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
		}, nil, "not offered"},
		{"malformed status line", func(r *http.Request) string { return "HTTP/1.1 1O1 Nope\r\n\r\n" }, nil, "malformed"},
	}
	for _, tc := range cases {
		addr := fakeServer(t, tc.respond)
		c, _, err := Dial(testCtx(t), "ws://"+addr, tc.opts)
		if err == nil {
			c.CloseNow()
			t.Errorf("%s: Dial succeeded", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestDialRefusalIsTyped(t *testing.T) {
	leakcheck.Check(t)
	addr := fakeServer(t, func(*http.Request) string {
		return "HTTP/1.1 403 Forbidden\r\nX-Why: policy\r\nContent-Length: 12\r\n\r\nnot for you!"
	})
	_, resp, err := Dial(testCtx(t), "ws://"+addr+"/x", nil)
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 403 || he.Header.Get("X-Why") != "policy" || string(he.Body) != "not for you!" {
		t.Fatalf("err %v (%+v)", err, he)
	}
	if resp == nil || resp.StatusCode != 403 {
		t.Fatalf("response %v", resp)
	}
	// The body is bounded.
	addr = fakeServer(t, func(*http.Request) string {
		return "HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000)
	})
	_, _, err = Dial(testCtx(t), "ws://"+addr, nil)
	if !errors.As(err, &he) || len(he.Body) != maxErrorBody {
		t.Fatalf("body of %d bytes", len(he.Body))
	}
}

func TestDialRedirects(t *testing.T) {
	leakcheck.Check(t)
	target := echoListener(t, nil)
	addr := fakeServer(t, func(*http.Request) string {
		return "HTTP/1.1 302 Found\r\nLocation: ws://" + target + "/moved\r\nContent-Length: 0\r\n\r\n"
	})
	_, _, err := Dial(testCtx(t), "ws://"+addr, nil)
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 302 || he.Header.Get("Location") == "" {
		t.Fatalf("redirect not reported: %v", err)
	}
	c, _, err := Dial(testCtx(t), "ws://"+addr, &DialOptions{FollowRedirects: true})
	if err != nil {
		t.Fatalf("following: %v", err)
	}
	c.Close(CloseNormal, "")
}

// A redirect to another host keeps the caller's headers but not its
// credentials; one to the same host keeps both; one from wss to ws is
// refused. NetDial takes every host name to the loopback listener.
func TestDialRedirectsKeepCredentialsAtHome(t *testing.T) {
	leakcheck.Check(t)
	for _, tc := range []struct {
		location string
		kept     bool
	}{
		{"ws://elsewhere.example/moved", false},
		{"/moved", true},
	} {
		seen := make(chan http.Header, 1)
		addr := fakeServer(t, func(r *http.Request) string {
			if r.URL.Path == "/moved" {
				seen <- r.Header
				return switching(r, "")
			}
			return "HTTP/1.1 307 Temporary Redirect\r\nLocation: " + tc.location + "\r\nContent-Length: 0\r\n\r\n"
		})
		opts := &DialOptions{
			FollowRedirects: true,
			Header:          http.Header{"Authorization": {"Bearer secret"}, "Cookie": {"session=1"}, "X-Trace": {"t1"}},
			NetDial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			},
		}
		c, _, err := Dial(testCtx(t), "ws://home.example/", opts)
		if err != nil {
			t.Fatalf("redirect to %s: %v", tc.location, err)
		}
		c.CloseNow()
		h := <-seen
		if h.Get("X-Trace") != "t1" {
			t.Errorf("redirect to %s: X-Trace not kept: %v", tc.location, h)
		}
		if got := h.Get("Authorization") != "" && h.Get("Cookie") != ""; got != tc.kept {
			t.Errorf("redirect to %s: credentials kept %v, want %v: %v", tc.location, got, tc.kept, h)
		}
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ws://"+r.Host+"/plain", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	tlsConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig
	_, _, err := Dial(testCtx(t), "wss://"+srv.Listener.Addr().String()+"/", &DialOptions{FollowRedirects: true, TLSConfig: tlsConfig})
	if err == nil || !strings.Contains(err.Error(), "leave TLS") {
		t.Fatalf("a redirect from wss to ws: %v", err)
	}
}

func TestDialCustomHeaders(t *testing.T) {
	leakcheck.Check(t)
	got := make(chan http.Header, 1)
	addr := fakeServer(t, func(r *http.Request) string {
		got <- r.Header
		return switching(r, "")
	})
	h := http.Header{"Origin": {"https://me.example"}, "X-Token": {"abc"}}
	c, _, err := Dial(testCtx(t), "ws://"+addr, &DialOptions{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	sent := <-got
	if sent.Get("Origin") != "https://me.example" || sent.Get("X-Token") != "abc" {
		t.Fatalf("headers sent: %v", sent)
	}
	_, _, err = Dial(testCtx(t), "ws://"+addr, &DialOptions{Header: http.Header{"Sec-WebSocket-Key": {"x"}}})
	if err == nil || !strings.Contains(err.Error(), "set by the handshake") {
		t.Fatalf("reserved header: %v", err)
	}
}

func TestDialTLS(t *testing.T) {
	leakcheck.Check(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, nil)
		if err != nil {
			return
		}
		<-echo(c)
	}))
	t.Cleanup(srv.Close)
	ctx := testCtx(t)
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), &DialOptions{TLSConfig: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	big := randomBytes(9, 300000)
	if err := c.WriteMessage(ctx, Binary, big); err != nil {
		t.Fatal(err)
	}
	_, msg, err := c.ReadMessage(ctx)
	if err != nil || string(msg) != string(big) {
		t.Fatalf("echo over TLS: %d bytes, %v", len(msg), err)
	}
	if err := c.Close(CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	// Without the test CA the certificate is refused.
	if _, _, err := Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https"), nil); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that records what it saw.
func connectProxy(t *testing.T, seen chan<- string) string {
	ln := listen(t)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				seen <- req.Host + " " + req.Header.Get("Proxy-Authorization")
				// Every tunnel goes to 127.0.0.1, whatever host it names.
				_, port, _ := net.SplitHostPort(req.Host)
				up, err := net.Dial("tcp", "127.0.0.1:"+port)
				if err != nil {
					io.WriteString(nc, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer up.Close()
				io.WriteString(nc, "HTTP/1.1 200 Connection established\r\n\r\n")
				done := make(chan struct{})
				go func() { io.Copy(up, br); up.(*net.TCPConn).CloseWrite(); close(done) }()
				io.Copy(nc, up)
				nc.(*net.TCPConn).CloseWrite() // pass the server's close on
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

func TestDialThroughProxy(t *testing.T) {
	leakcheck.Check(t)
	target := echoListener(t, nil)
	seen := make(chan string, 4)
	proxy := connectProxy(t, seen)
	proxyURL, _ := url.Parse("http://user:secret@" + proxy)
	ctx := testCtx(t)
	c, _, err := Dial(ctx, "ws://"+target, &DialOptions{Proxy: http.ProxyURL(proxyURL)})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != target+" Basic dXNlcjpzZWNyZXQ=" {
		t.Fatalf("proxy saw %q", got)
	}
	if err := c.WriteMessage(ctx, Text, []byte("via proxy")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(ctx); err != nil || string(msg) != "via proxy" {
		t.Fatalf("%q %v", msg, err)
	}
	c.Close(CloseNormal, "")

}

// The default Proxy is http.ProxyFromEnvironment, which reads the
// environment once per process: the check runs in a child process with
// HTTP_PROXY set. The URL names a host that is not loopback by name, so the
// proxy applies; the test proxy sends every tunnel to 127.0.0.1.
func TestDialProxyFromEnvironment(t *testing.T) {
	if target := os.Getenv("FASTWS_TEST_ENV_PROXY_TARGET"); target != "" {
		c, _, err := Dial(testCtx(t), "ws://proxied.invalid:"+target, nil)
		if err != nil {
			t.Fatalf("Dial through HTTP_PROXY: %v", err)
		}
		c.Close(CloseNormal, "")
		return
	}
	leakcheck.Check(t)
	target := echoListener(t, nil)
	_, port, _ := net.SplitHostPort(target)
	seen := make(chan string, 4)
	proxy := connectProxy(t, seen)
	cmd := exec.Command(os.Args[0], "-test.run=^TestDialProxyFromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HTTP_PROXY=http://"+proxy, "NO_PROXY=", "FASTWS_TEST_ENV_PROXY_TARGET="+port)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got := <-seen; !strings.HasPrefix(got, "proxied.invalid:"+port) {
		t.Fatalf("proxy saw %q", got)
	}
}

// Accept takes the request targets net/http takes, and refuses the ones
// it refuses: a path's percent-escapes must be whole (the fuzz target
// found "GET /%"), an absolute-form target must parse, and no target may
// hold a control character (the fuzz target found "GET /\t").
func TestRequestTargetsAsNetHTTP(t *testing.T) {
	for _, target := range []string{
		"/", "/chat", "/a%20b", "/a%2Fb?x=1", "/x?q=%zz", "/%", "/%4", "/%zz", "/a%2",
		"ws://h/p", "wss://h:443/p?q", "http://[::1]:80/", "http://[::1/", "ws://h:port/", "ws://h/%zz",
		"/\t", "/a\x01b", "/?q=\x7f", "/\x1f", "ws://h/\t", "/caf\xc3\xa9", "/\x80",
	} {
		_, err := url.ParseRequestURI(target)
		if got, want := validTarget([]byte(target)), err == nil; got != want {
			t.Errorf("%q: accepted %v, net/http %v (%v)", target, got, want, err)
		}
	}
}

//go:build !js

package fastws

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzAcceptRequest feeds arbitrary bytes to the server handshake, arriving
// in small reads, and checks that it never panics, answers every request
// with a well-formed status line, and that an accepted handshake carries
// the right Sec-WebSocket-Accept and keeps every byte after the request.
func FuzzAcceptRequest(f *testing.F) {
	f.Add([]byte(rawUpgrade("/chat", "Sec-WebSocket-Protocol: b, a", "Origin: http://example.com")))
	f.Add([]byte(rawUpgrade("/", "Sec-WebSocket-Extensions: x-a; p=1, x-b; q=\"two\"") + "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"))
	f.Add([]byte(strings.Replace(rawUpgrade("/"), "13", "8", 1)))
	opts := &AcceptOptions{
		Subprotocols:   []string{"a", "b"},
		MaxHeaderBytes: 1024,
		Extensions: func(offered []Extension) []Extension {
			return offered[:1]
		},
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		conn := &fakeConn{in: iotest.HalfReader(bytes.NewReader(input))}
		var hs handshakeResult
		err := allocConn(conn, ServerSide).acceptHandshake(opts, &hs)
		out := conn.out.String()
		if err != nil {
			var he *HandshakeError
			if errors.As(err, &he) && !strings.HasPrefix(out, "HTTP/1.1 "+itoa(he.StatusCode)+" ") {
				t.Fatalf("refused with %v but answered %.40q", err, out)
			}
			return
		}
		if !strings.HasPrefix(out, "HTTP/1.1 101 Switching Protocols\r\n") || !strings.HasSuffix(out, "\r\n\r\n") {
			t.Fatalf("bad 101 response %q", out)
		}
		end := bytes.Index(input, []byte("\r\n\r\n")) + 4
		if got := (*hs.rbuf)[hs.rpos:hs.rend]; !bytes.Equal(got, input[end:min(len(input), end+len(got))]) || hs.rend-hs.rpos > len(input)-end {
			t.Fatalf("bytes after the request changed: %q", got)
		}
		req, perr := http.ReadRequest(bufioReader(input[:end]))
		if perr != nil {
			t.Fatalf("accepted a request net/http cannot parse: %v", perr)
		}
		var want [28]byte
		acceptKey(&want, []byte(req.Header.Get("Sec-WebSocket-Key")))
		if !strings.Contains(out, "Sec-WebSocket-Accept: "+string(want[:])+"\r\n") {
			t.Fatalf("wrong accept key in %q", out)
		}
	})
}

// FuzzDialResponse feeds arbitrary bytes to the client as the server's
// answer. The marker ACCEPT in the input is replaced by the correct
// Sec-WebSocket-Accept for the key the client sent, so the fuzzer reaches
// the checks behind it. The client must never panic, and must accept only
// a 101 with the right key, tokens, and nothing it did not offer.
func FuzzDialResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: ACCEPT\r\nSec-WebSocket-Protocol: p1\r\nSec-WebSocket-Extensions: x-e; a=1\r\n\r\n\x81\x02hi"))
	f.Add([]byte("HTTP/1.1 302 Found\r\nLocation: ws://elsewhere/\r\nContent-Length: 5\r\n\r\nmoved"))
	f.Add([]byte("HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	opts := &DialOptions{Subprotocols: []string{"p1", "p2"}, Extensions: []Extension{{Name: "x-e"}}, MaxResponseHeaderBytes: 2048}
	u, _ := url.Parse("ws://example.com/path")
	f.Fuzz(func(t *testing.T, input []byte) {
		conn := &fakeConn{}
		conn.onRead = func(c *fakeConn) {
			req, err := http.ReadRequest(bufioReader(c.out.Bytes()))
			if err != nil {
				t.Fatalf("client sent a bad request: %v", err)
			}
			var accept [28]byte
			acceptKey(&accept, []byte(req.Header.Get("Sec-WebSocket-Key")))
			c.in = iotest.HalfReader(bytes.NewReader(bytes.ReplaceAll(input, []byte("ACCEPT"), accept[:])))
		}
		c, resp, err := clientHandshake(conn, u, opts)
		if err != nil {
			return
		}
		if resp.StatusCode != 101 || !headerHasToken(resp.Header, "Upgrade", "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade") {
			t.Fatalf("accepted %v", resp.Header)
		}
		if p := c.Subprotocol(); p != "" && p != "p1" && p != "p2" {
			t.Fatalf("accepted subprotocol %q", p)
		}
	})
}

// FuzzExtensions checks the Sec-WebSocket-Extensions parser: no panics,
// and what it accepts formats to a header that parses to the same thing.
func FuzzExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits, permessage-deflate",
		"x-a; p=1; q=\"quoted \\\" value\", , x-b",
		"a;b=\"\"",
		"bad=", "a;;b", "\"q\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		exts, err := ParseExtensions(header)
		if err != nil {
			return
		}
		again, err := ParseExtensions(formatExtensions(exts))
		if err != nil {
			t.Fatalf("formatted %q does not parse: %v", formatExtensions(exts), err)
		}
		if len(again) != len(exts) {
			t.Fatalf("%d extensions became %d", len(exts), len(again))
		}
		for i := range exts {
			if exts[i].String() != again[i].String() {
				t.Fatalf("%q became %q", exts[i], again[i])
			}
		}
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

package fastws

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// rawPeer is a hand-driven WebSocket client for tests that need to send
// what a correct client never would.
type rawPeer struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

const testKey = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's sample key

func rawUpgrade(path string, extra ...string) string {
	req := "GET " + path + " HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + testKey + "\r\nSec-WebSocket-Version: 13\r\n"
	for _, h := range extra {
		req += h + "\r\n"
	}
	return req + "\r\n"
}

// dialRaw connects to addr and sends request as is.
func dialRaw(t testing.TB, addr, request string) *rawPeer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	return &rawPeer{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// response reads the server's answer to the handshake.
func (p *rawPeer) response() *http.Response {
	p.t.Helper()
	resp, err := http.ReadResponse(p.br, nil)
	if err != nil {
		p.t.Fatalf("reading response: %v", err)
	}
	return resp
}

// rawResponse reads a response with a body of Content-Length bytes,
// keeping its header as sent: http.ReadResponse would drop a Connection
// header that says close.
func (p *rawPeer) rawResponse() (status int, header textproto.MIMEHeader, body []byte) {
	p.t.Helper()
	tp := textproto.NewReader(p.br)
	line, err := tp.ReadLine()
	if err != nil {
		p.t.Fatalf("reading the status line: %v", err)
	}
	if _, err := fmt.Sscanf(line, "HTTP/1.%d %d", new(int), &status); err != nil {
		p.t.Fatalf("status line %q: %v", line, err)
	}
	if header, err = tp.ReadMIMEHeader(); err != nil {
		p.t.Fatalf("reading the header: %v", err)
	}
	n, err := strconv.Atoi(header.Get("Content-Length"))
	if err != nil || n > 1<<16 {
		p.t.Fatalf("Content-Length %q", header.Get("Content-Length"))
	}
	body = make([]byte, n)
	if _, err := io.ReadFull(p.br, body); err != nil {
		p.t.Fatalf("reading the body: %v", err)
	}
	return status, header, body
}

// upgraded reads the answer and requires a valid 101.
func (p *rawPeer) upgraded() {
	p.t.Helper()
	resp := p.response()
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		p.t.Fatalf("handshake: %s %v", resp.Status, resp.Header)
	}
}

// send writes one masked frame with the given header bits and payload.
func (p *rawPeer) send(h wsframe.Header, payload []byte) {
	p.conn.Write(maskFrame(h, payload))
}

func maskFrame(h wsframe.Header, payload []byte) []byte {
	h.Masked = true
	h.Mask = [4]byte{0x11, 0x22, 0x33, 0x44}
	h.Length = int64(len(payload))
	b := wsframe.AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	wsframe.Mask(h.Mask, 0, b[start:])
	return b
}

// frame reads one frame from the server.
func (p *rawPeer) frame() (wsframe.Header, []byte, error) {
	var hdr []byte
	for {
		c, err := p.br.ReadByte()
		if err != nil {
			return wsframe.Header{}, nil, err
		}
		hdr = append(hdr, c)
		h, n, err := wsframe.ParseHeader(hdr)
		if err != nil {
			return h, nil, err
		}
		if n > 0 {
			payload := make([]byte, h.Length)
			_, err := io.ReadFull(p.br, payload)
			return h, payload, err
		}
	}
}

// expectClose reads frames until a close frame and returns its code; the
// server must then end the connection.
func (p *rawPeer) expectClose() wsframe.CloseCode {
	p.t.Helper()
	for {
		h, payload, err := p.frame()
		if err != nil {
			p.t.Fatalf("no close frame: %v", err)
		}
		if h.Masked {
			p.t.Fatal("server frame is masked")
		}
		if h.Opcode == wsframe.OpClose {
			code, _, err := wsframe.ParseClosePayload(payload)
			if err != nil {
				p.t.Fatalf("bad close payload %x: %v", payload, err)
			}
			return code
		}
	}
}

// expectEOF requires the server to close the connection soon.
func (p *rawPeer) expectEOF() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(7 * time.Second))
	if _, err := io.Copy(io.Discard, p.br); err != nil && !strings.Contains(err.Error(), "reset") {
		p.t.Fatalf("server did not close the connection: %v", err)
	}
}

// sampleAccept checks acceptKey against RFC 6455 section 1.3.
func TestAcceptKeyRFCSample(t *testing.T) {
	var out [28]byte
	acceptKey(&out, []byte(testKey))
	if string(out[:]) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept key %s", out)
	}
	if !validKey([]byte(testKey)) || validKey([]byte("c2hvcnQ=")) || validKey([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 17))[:24])) {
		t.Fatal("validKey")
	}
}

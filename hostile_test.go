package fastws

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// echoListener runs an echo server with Accept on 127.0.0.1 for the test.
func echoListener(t *testing.T, opts *AcceptOptions) string {
	t.Helper()
	leakcheck.Check(t)
	ln := listen(t)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c, err := Accept(nc, opts)
				if err != nil {
					return
				}
				<-echo(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Every rule a client can break gets the close code RFC 6455 calls for,
// and the server then ends the connection.
func TestHostileFrames(t *testing.T) {
	long := func(n uint64) []byte {
		b := []byte{0x82, 0x80 | 127}
		b = binary.BigEndian.AppendUint64(b, n)
		return append(b, 1, 2, 3, 4)
	}
	cases := []struct {
		name  string
		bytes []byte
		code  wsframe.CloseCode
	}{
		{"unmasked frame", []byte{0x81, 0x02, 'h', 'i'}, 1002},
		{"reserved opcode", maskFrame(wsframe.Header{Fin: true, Opcode: 5}, nil), 1002},
		{"RSV1 without extension", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpText, Rsv: wsframe.Rsv1}, []byte("x")), 1002},
		{"length with MSB set", long(1 << 63), 1002},
		{"length of 2^62", long(1 << 62), 1009},
		{"length just over 16 MiB", long(16<<20 + 1), 1009},
		{"invalid UTF-8", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpText}, []byte("ok\xed\xa0\x80")), 1007},
		{"fragmented ping", maskFrame(wsframe.Header{Opcode: wsframe.OpPing}, nil), 1002},
		{"long ping", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, make([]byte, 126)), 1002},
		{"continuation first", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation}, nil), 1002},
		{"close code 1005", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, []byte{0x03, 0xED}), 1002},
		{"close with 1 byte", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, []byte{0x03}), 1002},
		{"close reason not UTF-8", maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, []byte{0x03, 0xE8, 0xff}), 1007},
	}
	addr := echoListener(t, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dialRaw(t, addr, rawUpgrade("/"))
			p.upgraded()
			p.conn.Write(tc.bytes)
			if code := p.expectClose(); code != tc.code {
				t.Fatalf("close code %v, want %v", code, tc.code)
			}
			p.expectEOF()
		})
	}
}

// The announced length of a frame costs nothing until bytes arrive: many
// connections announcing 60 MiB each and sending a few bytes leave the
// server's heap about where it was.
func TestAnnouncedLengthCostsNothing(t *testing.T) {
	addr := echoListener(t, nil)
	var peers []*rawPeer
	for range 20 {
		p := dialRaw(t, addr, rawUpgrade("/"))
		p.upgraded()
		b := []byte{0x82, 0x80 | 127}
		b = binary.BigEndian.AppendUint64(b, 60<<20)
		b = append(b, 1, 2, 3, 4, 'a', 'b', 'c')
		p.conn.Write(b)
		peers = append(peers, p)
	}
	time.Sleep(200 * time.Millisecond)
	heap := heapInUse()
	if heap > 200<<20 {
		t.Fatalf("heap in use %d MiB after 20 announced 60 MiB frames", heap>>20)
	}
	for _, p := range peers {
		p.conn.Close()
	}
}

// The server answers a close frame with the same code and then closes the
// TCP connection first.
func TestServerEchoesCloseAndClosesFirst(t *testing.T) {
	addr := echoListener(t, nil)
	for _, payload := range [][]byte{nil, {0x03, 0xE8}, {0x0F, 0xA0, 'b', 'y', 'e'}} {
		p := dialRaw(t, addr, rawUpgrade("/"))
		p.upgraded()
		p.send(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, payload)
		h, got, err := p.frame()
		if err != nil || h.Opcode != wsframe.OpClose {
			t.Fatalf("no close reply: %v", err)
		}
		wantCode, _, _ := wsframe.ParseClosePayload(payload)
		gotCode, _, _ := wsframe.ParseClosePayload(got)
		if gotCode != wantCode {
			t.Fatalf("close %x answered with %x", payload, got)
		}
		p.expectEOF()
	}
}

// Data after a close frame is ignored; pings before it are answered.
func TestDataAfterCloseIgnored(t *testing.T) {
	addr := echoListener(t, nil)
	p := dialRaw(t, addr, rawUpgrade("/"))
	p.upgraded()
	var b bytes.Buffer
	b.Write(maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, []byte("p")))
	b.Write(maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, []byte{0x03, 0xE8}))
	b.Write(maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpText}, []byte("late")))
	p.conn.Write(b.Bytes())
	h, payload, err := p.frame()
	if err != nil || h.Opcode != wsframe.OpPong || string(payload) != "p" {
		t.Fatalf("want pong p, got %v %q %v", h.Opcode, payload, err)
	}
	if code := p.expectClose(); code != 1000 {
		t.Fatalf("close code %v", code)
	}
	p.expectEOF()
}

// Header floods get 431; slow-loris clients are dropped at the handshake
// timeout.
func TestHandshakeFloodAndSlowloris(t *testing.T) {
	addr := echoListener(t, &AcceptOptions{HandshakeTimeout: 300 * time.Millisecond})
	p := dialRaw(t, addr, rawUpgrade("/", "X-Flood: "+strings.Repeat("a", 9000)))
	if resp := p.response(); resp.StatusCode != 431 {
		t.Fatalf("flood: %s", resp.Status)
	}
	// Just under the bound is fine.
	p = dialRaw(t, addr, rawUpgrade("/", "X-Big: "+strings.Repeat("a", 7900)))
	p.upgraded()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	start := time.Now()
	wait := testtime.Limit(10 * time.Second)
	conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 1)
	if _, err := conn.Read(buf); err == nil {
		t.Fatal("slow client got an answer")
	}
	// Dropped at the timeout, however late on a busy machine, rather than
	// kept until the client gives up.
	if d := time.Since(start); d > wait/2 {
		t.Fatalf("slow client kept for %v", d)
	}
}

//go:build linux

package fastws

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fastws/fastws/wsframe"
)

// FuzzLoopAgainstGoroutines sends the same client bytes, chopped into
// pieces that reach the server in separate reads, to the echo Handler on
// the event loops and on the goroutine driver, and requires the same
// answer from both: the same frames echoed, in order, and the same close
// code. The loop parses whatever arrived in any chunking, the goroutine
// driver reads through a Conn; their answers may differ only in a close
// frame's reason.
func FuzzLoopAgainstGoroutines(f *testing.F) {
	masked := func(h wsframe.Header, p []byte) []byte { return maskFrame(h, p) }
	text := func(fin bool, op wsframe.Opcode, p string) []byte {
		return masked(wsframe.Header{Fin: fin, Opcode: op}, []byte(p))
	}
	f.Add(text(true, wsframe.OpText, "hello"), []byte{3, 1, 7})
	f.Add(append(text(false, wsframe.OpText, "frag"), text(true, wsframe.OpContinuation, "ment")...), []byte{1})
	f.Add(append(text(false, wsframe.OpBinary, "a"), append(text(true, wsframe.OpPing, "p"), text(true, wsframe.OpContinuation, "b")...)...), []byte{2, 9})
	f.Add(text(true, wsframe.OpText, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"), []byte{5})
	f.Add(text(true, wsframe.OpClose, "\x03\xe8bye"), []byte{})
	f.Add(wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpText, Length: 3}), []byte{1, 1})
	// A 64-bit length that needs no more than 16 bits: accepted.
	long := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Length: 70000, Masked: true})
	long = append(long[:2:2], 0, 0, 0, 0, 0, 0, 1, 44, 0, 0, 0, 0)
	f.Add(append(long, bytes.Repeat([]byte{0xAB}, 300)...), []byte{200, 13, 255})

	fuzzDrivers(f, nil)
}

// fuzzDrivers runs the fuzz target of FuzzLoopAgainstGoroutines, and of
// FuzzLoopInflatedAgainstGoroutines with compression set, which both
// servers accept and the client offers.
func fuzzDrivers(f *testing.F, compression *CompressionOptions) {
	srvs := map[string]string{}
	for name, d := range map[string]Driver{"loops": DriverLoops, "goroutines": DriverGoroutines} {
		srv := NewServer(fuzzEcho{}, &ServerOptions{Driver: d, AcceptOptions: AcceptOptions{
			ConnOptions: ConnOptions{MaxMessageSize: 1 << 20, CloseTimeout: time.Second},
			Compression: compression,
		}})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Fatal(err)
		}
		go srv.Serve(ln)
		f.Cleanup(func() { srv.Close() })
		srvs[name] = ln.Addr().String()
	}
	closeFrame := maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, []byte("\x03\xe8"))
	offers := []fuzzOffer{{}}
	if compression != nil {
		// Each input runs with context takeover both ways, and without.
		offers = []fuzzOffer{{on: true, clientContext: true, serverContext: true}, {on: true}}
	}
	f.Fuzz(func(t *testing.T, input, chops []byte) {
		if len(input) > 8<<10 {
			return // larger inputs only slow the search (and its minimizing) down
		}
		// The client always ends with a close frame, so that a valid
		// input ends the connection too.
		input = append(input[:len(input):len(input)], closeFrame...)
		for _, offer := range offers {
			loop, err1 := fuzzExchange(srvs["loops"], input, chops, offer)
			gor, err2 := fuzzExchange(srvs["goroutines"], input, chops, offer)
			if err1 != nil || err2 != nil {
				t.Fatalf("exchange: loops %v, goroutines %v", err1, err2)
			}
			if offer.on && !inflatesCleanly(input, 1<<20, offer.clientContext) {
				// Only the messages echoed before the bad one must agree.
				loop, _, _ = strings.Cut(loop, "; control:")
				gor, _, _ = strings.Cut(gor, "; control:")
			}
			if loop != gor {
				t.Fatalf("the drivers answered differently (%s):\nloops:      %s\ngoroutines: %s", offer.header(), loop, gor)
			}
		}
	})
}

// fuzzOffer is the permessage-deflate offer of a fuzzed client, which
// the servers accept as offered.
type fuzzOffer struct {
	on                           bool
	clientContext, serverContext bool
}

func (o fuzzOffer) header() string {
	if !o.on {
		return ""
	}
	h := "Sec-WebSocket-Extensions: permessage-deflate"
	if !o.serverContext {
		h += "; server_no_context_takeover"
	}
	if !o.clientContext {
		h += "; client_no_context_takeover"
	}
	return h
}

// inflatesCleanly reports whether every compressed message in input (a
// client's frames, with the client's context taken over) ends, inflates,
// fits in limit and, as text, is UTF-8: only then must the drivers answer
// alike to the end. The goroutine driver inflates a message as its frames
// arrive and fails it at its first bad part, the loop gathers it and
// inflates it whole, so the loop fails it at its end or, if the input
// stops first, not at all; a ping in between is answered by one and not
// the other. The messages echoed before it are the same.
func inflatesCleanly(input []byte, limit int, clientContext bool) bool {
	p := wsframe.NewParser(wsframe.Config{Role: wsframe.ServerSide, MaxMessageSize: int64(limit), Rsv: wsframe.Rsv1, Deflate: true})
	var ev wsframe.Event
	var msg, hist []byte
	compressed := false // inside a compressed message
	for len(input) > 0 {
		n, err := p.Next(input, &ev)
		if err != nil {
			return !compressed
		}
		input = input[n:]
		if ev.Kind != wsframe.DataEvent {
			continue
		}
		compressed = ev.Compressed && !ev.EndOfMessage()
		if !ev.Compressed {
			continue
		}
		msg = append(msg, ev.Payload...)
		if !ev.EndOfMessage() {
			continue
		}
		r := bytes.NewReader(append(msg, 0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff))
		out, err := io.ReadAll(io.LimitReader(stdflate.NewReaderDict(r, hist), int64(limit)+1))
		// A final block of the client's own ends the stream before the
		// end this adds: fastws refuses the bytes after it.
		if err != nil || r.Len() > 0 || len(out) > limit || ev.Message == wsframe.OpText && !utf8.Valid(out) {
			return false
		}
		if clientContext {
			hist = append(hist, out...)
			hist = hist[max(0, len(hist)-32<<10):]
		}
		msg = msg[:0]
	}
	return !compressed
}

// FuzzLoopInflatedAgainstGoroutines is FuzzLoopAgainstGoroutines with
// permessage-deflate negotiated, each input twice: with context takeover
// both ways and with neither side keeping context. The loop
// gathers and inflates compressed messages on the loop (into the
// history's buffer, or the pool), the goroutine driver through its
// reads. The servers' compressed echoes are inflated by the standard
// library's inflater, with the server's context, before they are
// compared.
func FuzzLoopInflatedAgainstGoroutines(f *testing.F) {
	seeds := inflatedSeeds(150)
	chops := [][]byte{{40, 3, 200}, {90, 1}, {}}
	for i, seed := range seeds {
		f.Add(seed, chops[i])
	}
	fuzzDrivers(f, &CompressionOptions{})
}

// fuzzEcho echoes every message.
type fuzzEcho struct{}

func (fuzzEcho) OnOpen(*Session, *OpenRequest)                   {}
func (fuzzEcho) OnMessage(s *Session, typ MessageType, m []byte) { _ = s.WriteMessage(typ, m) }
func (fuzzEcho) OnClose(*Session, CloseEvent)                    {}

// fuzzExchange opens a connection to addr, sends input in pieces whose
// sizes come from chops (each written after a pause, so that it arrives
// in a read of its own), and returns the server's answer in words: the
// frames it sent and the close code it ended with.
func fuzzExchange(addr string, input, chops []byte, offer fuzzOffer) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	var extra []string
	if offer.on {
		extra = append(extra, offer.header())
	}
	if _, err := io.WriteString(conn, rawUpgrade("/", extra...)); err != nil {
		return "", err
	}
	head := make([]byte, 0, 512)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		var b [1]byte
		if _, err := conn.Read(b[:]); err != nil {
			return "", fmt.Errorf("reading the handshake: %w", err)
		}
		head = append(head, b[0])
	}
	written := make(chan struct{})
	go func() {
		defer close(written)
		rest := input
		for i := 0; len(rest) > 0; i++ {
			n := len(rest)
			if i < len(chops) && i < 16 {
				n = min(n, int(chops[i])+1)
			}
			if _, err := conn.Write(rest[:n]); err != nil {
				return // the server closed; what it said is what counts
			}
			rest = rest[n:]
			if i < len(chops) && i < 16 {
				time.Sleep(200 * time.Microsecond)
			}
		}
		// An input that stops inside a frame would leave both servers
		// waiting for its end: they see the end of the stream instead.
		_ = conn.(*net.TCPConn).CloseWrite()
	}()
	if offer.on && !bytes.Contains(head, []byte("permessage-deflate")) {
		return "", fmt.Errorf("compression was not negotiated: %q", head)
	}
	out, _ := io.ReadAll(conn)
	<-written
	return describeFrames(out, offer), nil
}

// describeFrames lists the server frames in b: the data messages in
// order, then the pongs in order, then the close code (not its reason).
// Pongs are listed apart because a driver may send one ahead of messages
// still queued: both orders are right.
func describeFrames(b []byte, offer fuzzOffer) string {
	inflate := offer.on
	var data, control, end bytes.Buffer
	p := wsframe.NewParser(wsframe.Config{Role: wsframe.ClientSide, MaxMessageSize: -1, Rsv: rsvIf(inflate), Deflate: inflate})
	var hist []byte // the server's context: the last 32 KiB it sent
	var ev wsframe.Event
	var payload []byte
	for len(b) > 0 {
		n, err := p.Next(b, &ev)
		if err != nil {
			fmt.Fprintf(&end, " [server sent a bad frame: %v]", err)
			break
		}
		b = b[n:]
		switch ev.Kind {
		case wsframe.DataEvent:
			payload = append(payload, ev.Payload...)
			switch {
			case inflate && ev.EndOfMessage():
				// A message whole, compressed or not: how the
				// drivers frame compressed output may differ.
				msg := payload
				if ev.Compressed {
					msg, hist = inflateWithContext(payload, hist)
					if !offer.serverContext {
						hist = nil
					}
				}
				if debugEcho != nil {
					debugEcho(msg)
				}
				fmt.Fprintf(&data, " %v compressed=%v %s", ev.Message, ev.Compressed, shortPayload(msg))
				payload = payload[:0]
			case !inflate && ev.Last:
				fmt.Fprintf(&data, " %v fin=%v %s", ev.Header.Opcode, ev.Header.Fin, shortPayload(payload))
				payload = payload[:0]
			}
		case wsframe.ControlEvent:
			if ev.Header.Opcode == wsframe.OpClose {
				code, _, _ := wsframe.ParseClosePayload(ev.Payload)
				fmt.Fprintf(&end, " close %d", code)
			} else {
				fmt.Fprintf(&control, " %v %s", ev.Header.Opcode, shortPayload(ev.Payload))
			}
		}
	}
	if len(b) > 0 {
		fmt.Fprintf(&end, " +%d bytes", len(b))
	}
	return "data:" + data.String() + "; control:" + control.String() + ";" + end.String()
}

var debugEcho func([]byte)

// inflateWithContext inflates a permessage-deflate message with the
// standard library's inflater, primed with hist, the sender's last 32 KiB,
// and returns it with the history that follows it.
func inflateWithContext(compressed, hist []byte) (msg, next []byte) {
	stream := append(bytes.Clone(compressed), 0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff)
	msg, err := io.ReadAll(stdflate.NewReaderDict(bytes.NewReader(stream), hist))
	if err != nil {
		return []byte(fmt.Sprintf("[corrupt: %v]", err)), hist
	}
	next = append(hist, msg...)
	return msg, next[max(0, len(next)-32<<10):]
}

// rsvIf is the reserved bits permessage-deflate allows when it is on.
func rsvIf(deflate bool) byte {
	if deflate {
		return wsframe.Rsv1
	}
	return 0
}

// shortPayload names a payload briefly: itself when short, else its
// length and checksum.
func shortPayload(p []byte) string {
	if len(p) <= 32 {
		return fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("[%d bytes, crc %08x]", len(p), crc32.ChecksumIEEE(p))
}

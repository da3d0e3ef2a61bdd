package wsframe

import (
	"bytes"
	"errors"
	"testing"
)

// frame is one whole frame as a test sees it: the header and the payload
// reassembled from every event that carried a part of it.
type frame struct {
	h       Header
	payload []byte
	message Opcode
	done    bool // the frame's last byte was parsed
}

// completed drops a trailing frame that an error cut short.
func completed(fs []frame) []frame {
	if len(fs) > 0 && !fs[len(fs)-1].done {
		return fs[:len(fs)-1]
	}
	return fs
}

// parseAll feeds input to a fresh parser in chunks of the given size and
// returns the frames it reports and the error it stopped with. It parses
// input twice, the second time replacing the parser with a new one before
// each chunk where AtRest says it may (as the event loops do for idle
// connections), and fails the test if the two parses differ.
func parseAll(t testing.TB, cfg Config, input []byte, chunk int) ([]frame, error) {
	t.Helper()
	frames, err := parseChunks(t, cfg, input, chunk, false)
	lent, lentErr := parseChunks(t, cfg, input, chunk, true)
	if (err == nil) != (lentErr == nil) || err != nil && err.Error() != lentErr.Error() || len(frames) != len(lent) {
		t.Fatalf("with a new parser at rest, chunks of %d: %d frames, %v; without: %d frames, %v", chunk, len(lent), lentErr, len(frames), err)
	}
	for i := range frames {
		if frames[i].h != lent[i].h || !bytes.Equal(frames[i].payload, lent[i].payload) || frames[i].message != lent[i].message || frames[i].done != lent[i].done {
			t.Fatalf("with a new parser at rest, chunks of %d, frame %d differs: %+v, without: %+v", chunk, i, lent[i], frames[i])
		}
	}
	return frames, err
}

// parseChunks is parseAll's one parse; renew replaces the parser before
// each chunk where it is at rest.
func parseChunks(t testing.TB, cfg Config, input []byte, chunk int, renew bool) ([]frame, error) {
	t.Helper()
	p := NewParser(cfg)
	buf := append([]byte(nil), input...) // the parser unmasks in place
	var frames []frame
	var cur *frame
	for off := 0; off < len(buf); {
		if renew && p.AtRest() {
			p = NewParser(cfg)
		}
		end := min(off+chunk, len(buf))
		in := buf[off:end]
		for len(in) > 0 {
			n, ev, err := p.Parse(in)
			if err != nil {
				return completed(frames), err
			}
			if n == 0 {
				t.Fatalf("Parse consumed nothing from %d bytes", len(in))
			}
			in = in[n:]
			off += n
			switch ev.Kind {
			case ControlEvent:
				frames = append(frames, frame{h: ev.Header, payload: append([]byte{}, ev.Payload...), done: true})
			case DataEvent:
				if ev.First {
					frames = append(frames, frame{h: ev.Header, payload: []byte{}, message: ev.Message})
					cur = &frames[len(frames)-1]
				}
				cur.payload = append(cur.payload, ev.Payload...)
				cur.done = ev.Last
			}
		}
	}
	return completed(frames), nil
}

var (
	server = Config{Role: ServerSide}
	client = Config{Role: ClientSide}
)

// RFC 6455 section 5.7.
func TestRFCExamples(t *testing.T) {
	hello := []byte("Hello")
	big256 := bytes.Repeat([]byte{0xAB}, 256)
	big64k := bytes.Repeat([]byte{0xCD}, 65536)
	cases := []struct {
		name  string
		cfg   Config
		input []byte
		want  []frame
	}{
		{"unmasked text", client, []byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
			[]frame{{Header{Fin: true, Opcode: OpText, Length: 5}, hello, OpText, true}}},
		{"masked text", server, []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			[]frame{{Header{Fin: true, Opcode: OpText, Masked: true, Mask: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5}, hello, OpText, true}}},
		{"fragmented text", client, []byte{0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f},
			[]frame{
				{Header{Opcode: OpText, Length: 3}, []byte("Hel"), OpText, true},
				{Header{Fin: true, Opcode: OpContinuation, Length: 2}, []byte("lo"), OpText, true},
			}},
		{"unmasked ping", client, []byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f},
			[]frame{{Header{Fin: true, Opcode: OpPing, Length: 5}, hello, 0, true}}},
		{"masked pong", server, []byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58},
			[]frame{{Header{Fin: true, Opcode: OpPong, Masked: true, Mask: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Length: 5}, hello, 0, true}}},
		{"256 bytes binary", client, append([]byte{0x82, 0x7E, 0x01, 0x00}, big256...),
			[]frame{{Header{Fin: true, Opcode: OpBinary, Length: 256}, big256, OpBinary, true}}},
		{"64 KiB binary", client, append([]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, big64k...),
			[]frame{{Header{Fin: true, Opcode: OpBinary, Length: 65536}, big64k, OpBinary, true}}},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 2, 3, 7, 13, 1 << 20} {
			got, err := parseAll(t, tc.cfg, tc.input, chunk)
			if err != nil {
				t.Fatalf("%s, chunks of %d: %v", tc.name, chunk, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s, chunks of %d: %d frames, want %d", tc.name, chunk, len(got), len(tc.want))
			}
			for i := range got {
				if got[i].h != tc.want[i].h || !got[i].done || !bytes.Equal(got[i].payload, tc.want[i].payload) || got[i].message != tc.want[i].message {
					t.Errorf("%s, chunks of %d, frame %d: got %+v %q, want %+v %q", tc.name, chunk, i,
						got[i].h, truncate(got[i].payload), tc.want[i].h, truncate(tc.want[i].payload))
				}
			}
		}
	}
}

func truncate(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}

// maskedFrame builds a masked frame as a client would send it.
func maskedFrame(h Header, payload []byte) []byte {
	h.Masked = true
	h.Mask = [4]byte{1, 2, 3, 4}
	h.Length = int64(len(payload))
	out := AppendHeader(nil, h)
	start := len(out)
	out = append(out, payload...)
	Mask(h.Mask, 0, out[start:])
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// textFrame, contFrame and closeFrameOf are masked frames of a text
// message, a continuation and a close.
func textFrame(fin bool, s string) []byte {
	return maskedFrame(Header{Fin: fin, Opcode: OpText}, []byte(s))
}

func contFrame(fin bool, s string) []byte {
	return maskedFrame(Header{Fin: fin, Opcode: OpContinuation}, []byte(s))
}

func closeFrameOf(p []byte) []byte { return maskedFrame(Header{Fin: true, Opcode: OpClose}, p) }

// Each rule the Parser enforces, with an input that breaks it. Removing the
// rule makes its case fail.
func TestRules(t *testing.T) {
	text, cont, closeFrame := textFrame, contFrame, closeFrameOf
	cases := []struct {
		name  string
		cfg   Config
		input []byte
		want  error
		code  CloseCode
	}{
		{"length MSB", client, []byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1}, ErrLengthMSB, 1002},
		{"reserved data opcode 3", server, maskedFrame(Header{Fin: true, Opcode: 3}, nil), ErrReservedOpcode, 1002},
		{"reserved control opcode 0xB", server, maskedFrame(Header{Fin: true, Opcode: 0xB}, nil), ErrReservedOpcode, 1002},
		{"RSV1 without extension", server, maskedFrame(Header{Fin: true, Opcode: OpText, Rsv: Rsv1}, nil), ErrReservedBits, 1002},
		{"RSV2 without extension", server, maskedFrame(Header{Fin: true, Opcode: OpBinary, Rsv: Rsv2}, nil), ErrReservedBits, 1002},
		{"RSV3 on ping", server, maskedFrame(Header{Fin: true, Opcode: OpPing, Rsv: Rsv3}, nil), ErrReservedBits, 1002},
		{"RSV2 with deflate", Config{Deflate: true, Rsv: Rsv1}, maskedFrame(Header{Fin: true, Opcode: OpText, Rsv: Rsv2}, nil), ErrReservedBits, 1002},
		{"RSV1 on continuation with deflate", Config{Deflate: true, Rsv: Rsv1},
			cat(maskedFrame(Header{Opcode: OpText, Rsv: Rsv1}, nil), maskedFrame(Header{Fin: true, Opcode: OpContinuation, Rsv: Rsv1}, nil)), ErrMisplacedRsv1, 1002},
		{"RSV1 on ping with deflate", Config{Deflate: true, Rsv: Rsv1}, maskedFrame(Header{Fin: true, Opcode: OpPing, Rsv: Rsv1}, nil), ErrMisplacedRsv1, 1002},
		{"unmasked client frame", server, []byte{0x81, 0x01, 'a'}, ErrUnmaskedFrame, 1002},
		{"masked server frame", client, maskedFrame(Header{Fin: true, Opcode: OpText}, []byte("a")), ErrMaskedFrame, 1002},
		{"ping of 126 bytes", server, maskedFrame(Header{Fin: true, Opcode: OpPing}, make([]byte, 126)), ErrControlTooLong, 1002},
		{"close of 126 bytes", server, maskedFrame(Header{Fin: true, Opcode: OpClose}, make([]byte, 126)), ErrControlTooLong, 1002},
		{"fragmented ping", server, maskedFrame(Header{Opcode: OpPing}, []byte("a")), ErrControlFragmented, 1002},
		{"continuation first", server, cont(true, "a"), ErrUnexpectedContinuation, 1002},
		{"continuation after finished message", server, cat(text(true, "a"), cont(true, "b")), ErrUnexpectedContinuation, 1002},
		{"text inside fragmented message", server, cat(text(false, "a"), text(true, "b")), ErrExpectedContinuation, 1002},
		{"binary inside fragmented message", server, cat(text(false, "a"), maskedFrame(Header{Fin: true, Opcode: OpBinary}, nil)), ErrExpectedContinuation, 1002},
		{"close payload of 1 byte", server, closeFrame([]byte{0x03}), ErrCloseOneByte, 1002},
		{"close code 999", server, closeFrame([]byte{0x03, 0xE7}), ErrInvalidCloseCode, 1002},
		{"close code 1004", server, closeFrame([]byte{0x03, 0xEC}), ErrInvalidCloseCode, 1002},
		{"close code 1005", server, closeFrame([]byte{0x03, 0xED}), ErrInvalidCloseCode, 1002},
		{"close code 1006", server, closeFrame([]byte{0x03, 0xEE}), ErrInvalidCloseCode, 1002},
		{"close code 1015", server, closeFrame([]byte{0x03, 0xF7}), ErrInvalidCloseCode, 1002},
		{"close code 1016", server, closeFrame([]byte{0x03, 0xF8}), ErrInvalidCloseCode, 1002},
		{"close code 2999", server, closeFrame([]byte{0x0B, 0xB7}), ErrInvalidCloseCode, 1002},
		{"close code 5000", server, closeFrame([]byte{0x13, 0x88}), ErrInvalidCloseCode, 1002},
		{"close code 65535", server, closeFrame([]byte{0xFF, 0xFF}), ErrInvalidCloseCode, 1002},
		{"close reason not UTF-8", server, closeFrame([]byte{0x03, 0xE8, 0xC0, 0x80}), ErrInvalidCloseReason, 1007},
		{"invalid UTF-8 text", server, text(true, "a\xffb"), ErrInvalidUTF8, 1007},
		{"text ending mid-sequence", server, text(true, "a\xe2\x82"), ErrInvalidUTF8, 1007},
		{"fragmented text ending mid-sequence", server, cat(text(false, "a\xe2"), cont(true, "\x82")), ErrInvalidUTF8, 1007},
		{"frame over the frame limit", Config{MaxFrameSize: 10, MaxMessageSize: 100}, maskedFrame(Header{Fin: true, Opcode: OpBinary}, make([]byte, 11)), ErrFrameTooBig, 1009},
		{"message over the message limit", Config{MaxMessageSize: 10},
			cat(maskedFrame(Header{Opcode: OpBinary}, make([]byte, 6)), maskedFrame(Header{Fin: true, Opcode: OpContinuation}, make([]byte, 6))), ErrMessageTooBig, 1009},
		{"header announcing 2^62 bytes", server, []byte{0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, ErrMessageTooBig, 1009},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 5, 1 << 20} {
			_, err := parseAll(t, tc.cfg, tc.input, chunk)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s, chunks of %d: got %v, want %v", tc.name, chunk, err, tc.want)
				continue
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Errorf("%s: close code %v, want %v", tc.name, pe, tc.code)
			}
		}
	}
}

// The inputs of TestRules that are valid must stay valid: the rules must
// not reject what RFC 6455 allows.
func TestRulesAllow(t *testing.T) {
	closeFrame := closeFrameOf
	ping := maskedFrame(Header{Fin: true, Opcode: OpPing}, []byte("p"))
	cases := []struct {
		name  string
		cfg   Config
		input []byte
	}{
		{"ping of 125 bytes", server, maskedFrame(Header{Fin: true, Opcode: OpPing}, make([]byte, 125))},
		{"control frames between fragments", server, cat(
			maskedFrame(Header{Opcode: OpText}, []byte("a")), ping,
			maskedFrame(Header{Opcode: OpContinuation}, []byte("b")), ping,
			maskedFrame(Header{Fin: true, Opcode: OpContinuation}, []byte("c")))},
		{"empty close", server, closeFrame(nil)},
		{"close 1000 with reason", server, closeFrame([]byte{0x03, 0xE8, 'o', 'k'})},
		{"close 3000", server, closeFrame([]byte{0x0B, 0xB8})},
		{"close 4999", server, closeFrame([]byte{0x13, 0x87})},
		{"close 1014", server, closeFrame([]byte{0x03, 0xF6})},
		{"RSV1 on first frame with deflate", Config{Deflate: true, Rsv: Rsv1}, cat(
			maskedFrame(Header{Opcode: OpText, Rsv: Rsv1}, []byte{0xff}),
			maskedFrame(Header{Fin: true, Opcode: OpContinuation}, []byte{0xfe}))},
		{"UTF-8 split across fragments", server, cat(
			maskedFrame(Header{Opcode: OpText}, []byte("\xf0\x9f")),
			maskedFrame(Header{Opcode: OpContinuation}, []byte("\x98")),
			maskedFrame(Header{Fin: true, Opcode: OpContinuation}, []byte("\x80")))},
		{"message exactly at the limit", Config{MaxMessageSize: 10}, cat(
			maskedFrame(Header{Opcode: OpBinary}, make([]byte, 5)),
			maskedFrame(Header{Fin: true, Opcode: OpContinuation}, make([]byte, 5)))},
		{"64-bit length encoding a small frame", client, []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 1, 'x'}},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 3, 1 << 20} {
			if _, err := parseAll(t, tc.cfg, tc.input, chunk); err != nil {
				t.Errorf("%s, chunks of %d: %v", tc.name, chunk, err)
			}
		}
	}
}

// Fail fast: the error comes with the part that holds the first bad byte,
// not at the end of the frame or message.
func TestUTF8FailsFast(t *testing.T) {
	payload := []byte("hello\xf4\x90 and a long tail that would arrive much later")
	input := maskedFrame(Header{Fin: true, Opcode: OpText}, payload)
	p := NewParser(server)
	buf := append([]byte(nil), input...)
	hdr := len(input) - len(payload)
	// Header plus "hello\xf4": still valid so far.
	n, ev, err := p.Parse(buf[:hdr+6])
	if err != nil || n != hdr+6 || ev.Kind != DataEvent {
		t.Fatalf("first part: n=%d ev=%v err=%v", n, ev.Kind, err)
	}
	// 0x90 after 0xF4 is above U+10FFFF: fail now.
	if _, _, err := p.Parse(buf[hdr+6 : hdr+7]); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("second part: %v, want ErrInvalidUTF8", err)
	}
	// The error is sticky.
	if _, _, err := p.Parse(buf[hdr+7:]); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("after failure: %v", err)
	}
}

func TestInputAfterCloseIgnored(t *testing.T) {
	input := cat(maskedFrame(Header{Fin: true, Opcode: OpClose}, []byte{0x03, 0xE8}), []byte{0xFF, 0xFF, 0xFF})
	frames, err := parseAll(t, server, input, 2)
	if err != nil || len(frames) != 1 || frames[0].h.Opcode != OpClose {
		t.Fatalf("frames %v, err %v", frames, err)
	}
}

func TestRemainingAllowsDirectReads(t *testing.T) {
	payload := bytes.Repeat([]byte("z"), 1000)
	input := maskedFrame(Header{Fin: true, Opcode: OpBinary}, payload)
	p := NewParser(server)
	n, ev, err := p.Parse(input[:10])
	if err != nil || ev.Kind != DataEvent || !ev.First {
		t.Fatalf("header: %v %v", ev, err)
	}
	if p.Remaining() != int64(len(input)-n) {
		t.Fatalf("Remaining %d, want %d", p.Remaining(), len(input)-n)
	}
	rest := input[n:]
	m, ev, err := p.Parse(rest)
	if err != nil || m != len(rest) || !ev.Last || !bytes.Equal(ev.Payload, rest) {
		t.Fatalf("rest: m=%d last=%v err=%v", m, ev.Last, err)
	}
	if &ev.Payload[0] != &rest[0] {
		t.Fatal("payload was copied")
	}
	if p.Remaining() != 0 || p.InMessage() {
		t.Fatal("frame not finished")
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	lengths := []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 32, 1<<63 - 1}
	for _, l := range lengths {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Rsv: Rsv1 | Rsv3, Opcode: OpBinary, Masked: masked, Mask: [4]byte{9, 8, 7, 6}, Length: l}
			if !masked {
				h.Mask = [4]byte{}
			}
			b := AppendHeader(nil, h)
			if len(b) != HeaderSize(h) {
				t.Fatalf("len %d, HeaderSize %d", len(b), HeaderSize(h))
			}
			for cut := 0; cut < len(b); cut++ {
				if _, n, err := ParseHeader(b[:cut]); n != 0 || err != nil {
					t.Fatalf("length %d cut at %d: n=%d err=%v", l, cut, n, err)
				}
			}
			got, n, err := ParseHeader(b)
			if err != nil || n != len(b) || got != h {
				t.Fatalf("length %d: got %+v n=%d err=%v", l, got, n, err)
			}
		}
	}
}

func TestSender(t *testing.T) {
	var s Sender
	s.Reset(Config{Role: ServerSide})
	steps := []struct {
		h    Header
		want error
	}{
		{Header{Opcode: OpContinuation, Fin: true}, ErrUnexpectedContinuation},
		{Header{Opcode: OpText}, nil},
		{Header{Opcode: OpPing, Fin: true}, nil},
		{Header{Opcode: OpBinary, Fin: true}, ErrExpectedContinuation},
		{Header{Opcode: OpContinuation, Fin: true}, nil},
		{Header{Opcode: OpPing, Fin: true, Length: 126}, ErrControlTooLong},
		{Header{Opcode: OpPong}, ErrControlFragmented},
		{Header{Opcode: 5, Fin: true}, ErrReservedOpcode},
		{Header{Opcode: OpText, Fin: true, Rsv: Rsv1}, ErrReservedBits},
		{Header{Opcode: OpText, Fin: true, Masked: true}, ErrMaskedFrame},
		{Header{Opcode: OpClose, Fin: true}, nil},
		{Header{Opcode: OpText, Fin: true}, ErrCloseSent},
	}
	for i, st := range steps {
		if err := s.Check(st.h); err != st.want {
			t.Errorf("step %d (%v): %v, want %v", i, st.h.Opcode, err, st.want)
		}
	}
	var c Sender
	c.Reset(Config{Role: ClientSide})
	if err := c.Check(Header{Opcode: OpText, Fin: true}); err != ErrUnmaskedFrame {
		t.Errorf("unmasked client frame: %v", err)
	}
}

func TestCheckClose(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 124))
	cases := []struct {
		code   CloseCode
		reason string
		want   error
	}{
		{CloseNormal, "bye", nil},
		{CloseNoStatus, "", nil},
		{CloseNoStatus, "x", ErrInvalidCloseCode},
		{CloseAbnormal, "", ErrInvalidCloseCode},
		{CloseTLSHandshake, "", ErrInvalidCloseCode},
		{4000, long[:123], nil},
		{4000, long, ErrControlTooLong},
		{CloseNormal, "\xff", ErrInvalidCloseReason},
	}
	for _, tc := range cases {
		if err := CheckClose(tc.code, tc.reason); err != tc.want {
			t.Errorf("CheckClose(%v, %q) = %v, want %v", tc.code, tc.reason, err, tc.want)
		}
	}
	p := AppendClosePayload(nil, CloseGoingAway, "later")
	code, reason, err := ParseClosePayload(p)
	if err != nil || code != CloseGoingAway || string(reason) != "later" {
		t.Errorf("round trip: %v %q %v", code, reason, err)
	}
}

// AtRest is true exactly between messages: never with a header, a
// payload, a fragmented message or a close frame begun.
func TestAtRest(t *testing.T) {
	text := func(fin bool, s string) []byte { return maskedFrame(Header{Fin: fin, Opcode: OpText}, []byte(s)) }
	cont := func(fin bool, s string) []byte {
		return maskedFrame(Header{Fin: fin, Opcode: OpContinuation}, []byte(s))
	}
	closeFrame := closeFrameOf
	steps := []struct {
		name  string
		input []byte
		want  bool
	}{
		{"half a header", text(true, "hi")[:1], false},
		{"the rest of that message", text(true, "hi")[1:], true},
		{"a header without its payload", text(true, "hello")[:6], false},
		{"its payload", text(true, "hello")[6:], true},
		{"a first fragment", text(false, "he"), false},
		{"a ping between fragments", maskedFrame(Header{Fin: true, Opcode: OpPing}, nil), false},
		{"the last fragment", cont(true, "llo"), true},
		{"a ping", maskedFrame(Header{Fin: true, Opcode: OpPing}, []byte("p")), true},
		{"a close frame", closeFrame([]byte{0x03, 0xE8}), false},
	}
	p := NewParser(server)
	if !p.AtRest() {
		t.Fatal("a new parser is not at rest")
	}
	for _, st := range steps {
		in := append([]byte(nil), st.input...)
		for len(in) > 0 {
			n, _, err := p.Parse(in)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			in = in[n:]
		}
		if got := p.AtRest(); got != st.want {
			t.Errorf("after %s: AtRest %v, want %v", st.name, got, st.want)
		}
	}
}

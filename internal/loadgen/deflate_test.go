package loadgen

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// takeoverServer compresses messages the way a server with context
// takeover does: one flate stream, a sync flush per message, the tail
// stripped.
type takeoverServer struct {
	buf bytes.Buffer
	w   *flate.Writer
}

func (s *takeoverServer) frame(t *testing.T, payload []byte) []byte {
	if s.w == nil {
		var err error
		if s.w, err = flate.NewWriter(&s.buf, flate.BestSpeed); err != nil {
			t.Fatal(err)
		}
	}
	s.buf.Reset()
	if _, err := s.w.Write(payload); err != nil {
		t.Fatal(err)
	}
	if err := s.w.Flush(); err != nil {
		t.Fatal(err)
	}
	z, ok := bytes.CutSuffix(s.buf.Bytes(), []byte(deflateTail))
	if !ok {
		t.Fatal("no sync-flush tail")
	}
	h := wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText, Length: int64(len(z))}
	return append(wsframe.AppendHeader(nil, h), z...)
}

// TestReceiverInflatesWithContext verifies echoes from a server with
// context takeover: the later ones refer back into the earlier ones, so
// they inflate only with the history the receiver keeps.
func TestReceiverInflatesWithContext(t *testing.T) {
	msgs := [][]byte{JSONMessage(1<<10, 0), JSONMessage(1<<10, 1), JSONMessage(1<<10, 0), JSONMessage(16<<10, 2)}
	var srv takeoverServer
	r := receiver{deflate: true}
	for i, m := range msgs {
		stream := srv.frame(t, m)
		// Split in two, and again at a header boundary, to exercise
		// gathering across reads.
		cut := min(len(stream)/2, 1)
		if i%2 == 1 {
			cut = len(stream) / 2
		}
		done1, err1 := r.feed(stream[:cut], m, true)
		done2, err2 := r.feed(stream[cut:], m, true)
		if err1 != nil || err2 != nil || done1 || !done2 {
			t.Fatalf("message %d: done %v %v, errors %v %v", i, done1, done2, err1, err2)
		}
		if !r.lastCompressed || r.lastWire != int64(len(stream)) {
			t.Errorf("message %d: compressed %v, wire %d, want true, %d", i, r.lastCompressed, r.lastWire, len(stream))
		}
	}
	// The third message repeats the first: with its context a server
	// sends it as a few back-references, which must not inflate without
	// the context.
	var srv2 takeoverServer
	srv2.frame(t, msgs[0])
	third := srv2.frame(t, msgs[0])
	fresh := receiver{deflate: true}
	if _, err := fresh.feed(third, msgs[0], true); err == nil {
		t.Error("a message compressed against a context inflated without it")
	}
	// Unverified, a compressed echo is counted by its frames alone.
	unverified := receiver{deflate: true}
	if done, err := unverified.feed(third, msgs[0], false); !done || err != nil {
		t.Errorf("unverified compressed echo: done %v, error %v", done, err)
	}
}

func TestReceiverRejectsCompressed(t *testing.T) {
	want := JSONMessage(1<<10, 0)
	z, err := compressMessage(want)
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(z)
	corrupt[len(corrupt)/2] ^= 0x55
	other := JSONMessage(1<<10, 1)
	frame := func(rsv byte, op wsframe.Opcode, fin bool, p []byte) []byte {
		h := wsframe.Header{Fin: fin, Rsv: rsv, Opcode: op, Length: int64(len(p))}
		return append(wsframe.AppendHeader(nil, h), p...)
	}
	zOther, _ := compressMessage(other)
	for name, tc := range map[string]struct {
		deflate bool
		stream  []byte
	}{
		"rsv1 not negotiated": {false, frame(wsframe.Rsv1, wsframe.OpText, true, z)},
		"rsv2":                {true, frame(wsframe.Rsv2, wsframe.OpText, true, want)},
		"rsv1 on continuation": {true, append(frame(wsframe.Rsv1, wsframe.OpText, false, z[:10]),
			frame(wsframe.Rsv1, wsframe.OpContinuation, true, z[10:])...)},
		"rsv1 on ping":  {true, frame(wsframe.Rsv1, wsframe.OpPing, true, nil)},
		"corrupt":       {true, frame(wsframe.Rsv1, wsframe.OpText, true, corrupt)},
		"other message": {true, frame(wsframe.Rsv1, wsframe.OpText, true, zOther)},
		"empty":         {true, frame(wsframe.Rsv1, wsframe.OpText, true, nil)},
	} {
		r := receiver{deflate: tc.deflate}
		if done, err := r.feed(tc.stream, want, true); err == nil {
			t.Errorf("%s: accepted (done %v)", name, done)
		}
	}
	// A fragmented compressed echo, RSV1 on its first frame only, is fine.
	r := receiver{deflate: true}
	stream := append(frame(wsframe.Rsv1, wsframe.OpText, false, z[:10]), frame(0, wsframe.OpContinuation, true, z[10:])...)
	if done, err := r.feed(stream, want, true); !done || err != nil {
		t.Errorf("fragmented compressed echo: done %v, error %v", done, err)
	}
	// An uncompressed echo on a compressed connection is compared as is.
	r = receiver{deflate: true}
	if done, err := r.feed(frame(0, wsframe.OpText, true, want), want, true); !done || err != nil || r.lastCompressed {
		t.Errorf("uncompressed echo: done %v, error %v, compressed %v", done, err, r.lastCompressed)
	}
}

func TestCheckDeflateResponse(t *testing.T) {
	for _, ok := range []string{
		"permessage-deflate",
		"permessage-deflate; client_no_context_takeover",
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; server_max_window_bits=10; client_max_window_bits=15",
		`permessage-deflate;client_max_window_bits="11"`, // 2 KiB window, 1 KiB messages
	} {
		if err := checkDeflateResponse(ok, 1<<10); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"x-webkit-deflate-frame",
		"permessage-deflate, permessage-deflate",
		"permessage-deflate; client_max_window_bits",
		"permessage-deflate; client_max_window_bits=9", // 512 bytes, smaller than a message
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; client_no_context_takeover; client_no_context_takeover",
		"permessage-deflate; server_no_context_takeover=1",
		"permessage-deflate; foo",
	} {
		if err := checkDeflateResponse(bad, 1<<10); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestJSONMessage(t *testing.T) {
	for _, size := range []int{110, 300, 1 << 10, 16 << 10, 64 << 10} {
		seen := map[string]bool{}
		for n := range 5 {
			m := JSONMessage(size, n)
			if len(m) != size || !json.Valid(m) {
				t.Fatalf("size %d, message %d: %d bytes, valid JSON %v: %s", size, n, len(m), json.Valid(m), m)
			}
			if !bytes.Equal(m, JSONMessage(size, n)) {
				t.Fatalf("size %d, message %d: not deterministic", size, n)
			}
			if seen[string(m)] {
				t.Errorf("size %d, message %d repeats an earlier one", size, n)
			}
			seen[string(m)] = true
		}
	}
	if m := JSONMessage(20, 0); len(m) != 20 {
		t.Errorf("small size: %d bytes", len(m))
	}
	msgs, err := buildMessages(1<<10, false, true, 4)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("buildMessages: %d messages, %v", len(msgs), err)
	}
	for i, m := range msgs {
		h, n, err := wsframe.ParseHeader(m.frame)
		if err != nil || h.Rsv != wsframe.Rsv1 || h.Opcode != wsframe.OpText || !h.Fin || !h.Masked ||
			int(h.Length) != len(m.frame)-n || h.Length >= int64(len(m.payload)) {
			t.Errorf("message %d: header %+v, %v", i, h, err)
		}
	}
}

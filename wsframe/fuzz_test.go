package wsframe

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParser feeds arbitrary bytes to the parser in arbitrary chunkings, in
// both roles, and checks that the chunking changes nothing: the same frames
// with the same payloads, and the same error. It also checks the Parser's
// promises: every call consumes input, no payload exceeds its frame, and the
// size limits hold.
func FuzzParser(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}, uint64(1), uint8(0))
	f.Add([]byte{0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f}, uint64(0x0102030405), uint8(1))
	f.Add([]byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x88, 0x02, 0x03, 0xe8}, uint64(7), uint8(1))
	f.Add([]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, uint64(3), uint8(1))
	f.Add([]byte{0x82, 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, uint64(3), uint8(0))
	f.Add(maskedFrame(Header{Opcode: OpText}, []byte("κόσ")), uint64(0xffff), uint8(2))
	f.Fuzz(func(t *testing.T, input []byte, chunks uint64, mode uint8) {
		cfg := Config{Role: Role(mode & 1), MaxMessageSize: 1 << 16}
		if mode&2 != 0 {
			cfg.Deflate, cfg.Rsv = true, Rsv1
		}
		whole, wholeErr := parseAll(t, cfg, input, len(input)+1)
		// Chunk sizes 1–16 taken four bits at a time from chunks.
		p := NewParser(cfg)
		buf := append([]byte(nil), input...)
		var got []frame
		var cur *frame
		var err error
		for off, c := 0, chunks; off < len(buf) && err == nil; c = c>>4 | c<<60 {
			in := buf[off:min(off+int(c&15)+1, len(buf))]
			for len(in) > 0 {
				var n int
				var ev Event
				n, ev, err = p.Parse(in)
				if err != nil {
					break
				}
				if n <= 0 || n > len(in) {
					t.Fatalf("Parse consumed %d of %d bytes", n, len(in))
				}
				in, off = in[n:], off+n
				switch ev.Kind {
				case ControlEvent:
					got = append(got, frame{h: ev.Header, payload: append([]byte{}, ev.Payload...), done: true})
				case DataEvent:
					if ev.First {
						got = append(got, frame{h: ev.Header, payload: []byte{}, message: ev.Message})
						cur = &got[len(got)-1]
					}
					cur.payload = append(cur.payload, ev.Payload...)
					cur.done = ev.Last
					if int64(len(cur.payload)) > cur.h.Length {
						t.Fatalf("payload %d longer than frame %d", len(cur.payload), cur.h.Length)
					}
				}
			}
		}
		if (err == nil) != (wholeErr == nil) || err != nil && err.Error() != wholeErr.Error() {
			t.Fatalf("chunked error %v, whole error %v", err, wholeErr)
		}
		var pe *ProtocolError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *ProtocolError", err)
		}
		got = completed(got)
		if len(got) != len(whole) {
			t.Fatalf("chunked gave %d frames, whole gave %d", len(got), len(whole))
		}
		for i := range got {
			if got[i].h != whole[i].h || !bytes.Equal(got[i].payload, whole[i].payload) {
				t.Fatalf("frame %d differs: %+v vs %+v", i, got[i].h, whole[i].h)
			}
			if got[i].h.Length > 1<<16 {
				t.Fatalf("frame of %d bytes passed a 64 KiB limit", got[i].h.Length)
			}
			if got[i].message == OpText && !cfg.Deflate && got[i].h.Fin && got[i].h.Opcode == OpText && !utf8.Valid(got[i].payload) {
				t.Fatalf("invalid UTF-8 text frame accepted: %q", got[i].payload)
			}
		}
	})
}

// FuzzUTF8 compares the incremental validator, fed in two parts, with the
// standard library on every path this machine can take, and checks that
// it fails exactly where the reference says no valid continuation exists.
func FuzzUTF8(f *testing.F) {
	for _, s := range utf8Samples {
		f.Add([]byte(s), uint8(len(s)/2))
	}
	// Inputs of 64 bytes and more take the vector validator where there is
	// one; in mostly ASCII text it moves between its ASCII scan and its
	// full check.
	for _, s := range utf8Corpus() {
		f.Add(s[:200], uint8(67))
	}
	sparse := bytes.Repeat([]byte("0123456789abcdef"), 20)
	copy(sparse[150:], "é")
	copy(sparse[290:], "\xe2\x82")
	f.Add(sparse, uint8(140))
	paths := utf8Paths()
	f.Fuzz(func(t *testing.T, p []byte, cut uint8) {
		i := min(int(cut), len(p))
		want := validSoFar(p)
		for _, path := range paths {
			onUTF8Path(path, func() {
				var v UTF8
				ok := v.Feed(p[:i]) && v.Feed(p[i:])
				if ok != want {
					t.Fatalf("%s: Feed(%q | %q) = %v, reference %v", path.name, p[:i], p[i:], ok, want)
				}
				if ok && v.Complete() != utf8.Valid(p) {
					t.Fatalf("%s: Complete for %q = %v", path.name, p, v.Complete())
				}
			})
		}
	})
}

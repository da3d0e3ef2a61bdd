package wsframe

import (
	"testing"
)

var benchLengths = []int64{20, 16 << 10, 1 << 20}

func BenchmarkAppendHeader(b *testing.B) {
	for _, n := range benchLengths {
		b.Run(sizeName(int(n)), func(b *testing.B) {
			h := Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n}
			buf := make([]byte, 0, MaxHeaderSize)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendHeader(buf[:0], h)
			}
		})
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, n := range benchLengths {
		b.Run(sizeName(int(n)), func(b *testing.B) {
			h := Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: n}
			wire := AppendHeader(nil, h)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseHeader(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParserFrames feeds a server's Parser a buffer of whole masked
// 20-byte binary frames, as a read of many small messages delivers them:
// header checks, unmasking and the event per frame.
func BenchmarkParserFrames(b *testing.B) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 20}
	var frame []byte
	frame = AppendHeader(frame, h)
	frame = append(frame, make([]byte, 20)...)
	const perBuf = 256
	wire := make([]byte, 0, perBuf*len(frame))
	for range perBuf {
		wire = append(wire, frame...)
	}
	buf := make([]byte, len(wire))
	p := NewParser(Config{Role: ServerSide})
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, wire) // the parser unmasks in place
		for rest := buf; len(rest) > 0; {
			n, _, err := p.Parse(rest)
			if err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
	}
}

package fastws

import (
	"context"
	"io"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// These benchmarks measure the message API without a network: writes go to
// a sink, reads come from an endless stream of identical frames, so what is
// left is fastws's own cost per message.

type sinkTransport struct{}

func (sinkTransport) Read([]byte) (int, error)    { return 0, io.EOF }
func (sinkTransport) Write(p []byte) (int, error) { return len(p), nil }
func (sinkTransport) Close() error                { return nil }

// frameStream repeats a buffer of whole frames forever.
type frameStream struct {
	wire []byte
	pos  int
}

func (s *frameStream) Read(p []byte) (int, error) {
	n := copy(p, s.wire[s.pos:])
	s.pos += n
	if s.pos == len(s.wire) {
		s.pos = 0
	}
	return n, nil
}
func (s *frameStream) Write(p []byte) (int, error) { return len(p), nil }
func (s *frameStream) Close() error                { return nil }

var messageBenchSizes = []int{20, 16 << 10}

var benchRoles = []struct {
	name string
	role Role
}{{"server", ServerSide}, {"client", ClientSide}}

func BenchmarkWriteMessage(b *testing.B) {
	for _, r := range benchRoles {
		for _, size := range messageBenchSizes {
			b.Run(r.name+"/"+sizeLabel(size), func(b *testing.B) {
				c := NewConn(sinkTransport{}, r.role, nil)
				ctx := context.Background()
				msg := make([]byte, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.WriteMessage(ctx, Binary, msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkReadMessage(b *testing.B) {
	for _, r := range benchRoles {
		for _, size := range messageBenchSizes {
			b.Run(r.name+"/"+sizeLabel(size), func(b *testing.B) {
				// A server reads masked frames, a client unmasked ones.
				h := wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Length: int64(size)}
				if r.role == ServerSide {
					h.Masked, h.Mask = true, [4]byte{7, 7, 7, 7}
				}
				var wire []byte
				for len(wire) < 256<<10 {
					wire = wsframe.AppendHeader(wire, h)
					wire = append(wire, make([]byte, size)...)
				}
				c := NewConn(&frameStream{wire: wire}, r.role, nil)
				ctx := context.Background()
				buf := make([]byte, 0, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := c.AppendMessage(ctx, buf[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

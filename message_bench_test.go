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

// BenchmarkReadFragments reads a 64 KiB message sent as 1-byte fragments,
// the shape where the per-frame path is all there is; ns/op is per
// fragment.
func BenchmarkReadFragments(b *testing.B) {
	const n = 64 << 10
	var wire []byte
	for i := range n {
		h := wsframe.Header{Fin: i == n-1, Opcode: wsframe.OpContinuation, Length: 1, Masked: true, Mask: [4]byte{1, 2, 3, 4}}
		if i == 0 {
			h.Opcode = wsframe.OpBinary
		}
		wire = wsframe.AppendHeader(wire, h)
		wire = append(wire, 'x'^1)
	}
	for _, into := range []struct {
		name string
		buf  []byte
	}{{"into-room", make([]byte, 0, n)}, {"into-nil", nil}} {
		b.Run(into.name, func(b *testing.B) {
			c := NewConn(&frameStream{wire: wire}, ServerSide, nil)
			ctx := context.Background()
			b.ReportAllocs()
			var frags int
			for b.Loop() {
				_, msg, err := c.AppendMessage(ctx, into.buf[:0])
				if err != nil || len(msg) != n {
					b.Fatal(err)
				}
				frags += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frags), "ns/fragment")
		})
	}
}

package fastws

import (
	"bytes"
	"context"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// BenchmarkEcho is a round trip over loopback TCP: the client writes a
// message, the server reads and writes it back, the client reads it.
// allocs/op covers both sides.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{20, 1024, 16 << 10} {
		b.Run(sizeLabel(size), func(b *testing.B) {
			server, client := pair(b, false, nil, nil)
			done := echo(server)
			ctx := context.Background()
			msg := bytes.Repeat([]byte("a"), size)
			buf := make([]byte, 0, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := client.WriteMessage(ctx, Binary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := client.AppendMessage(ctx, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			client.Close(CloseNormal, "")
			<-done
		})
	}
}

// BenchmarkAcceptHandshake is the raw server handshake without the network.
func BenchmarkAcceptHandshake(b *testing.B) {
	request := []byte(rawUpgrade("/", "Origin: http://example.com"))
	conn := &fakeConn{}
	c := allocConn(conn, ServerSide)
	r := bytes.NewReader(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(request)
		conn.in = r
		conn.out.Reset()
		var hs handshakeResult
		err := c.acceptHandshake(&defaultAcceptOptions, &hs)
		if err != nil {
			b.Fatal(err)
		}
		putBuffer(hs.rbuf)
	}
}

func sizeLabel(n int) string {
	if n >= 1024 {
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

// BenchmarkFrameEcho is BenchmarkEcho through the raw frame API: the server
// answers each frame with WriteFrame of the payload ReadFrame returned.
func BenchmarkFrameEcho(b *testing.B) {
	for _, size := range []int{20, 1024} {
		b.Run(sizeLabel(size), func(b *testing.B) {
			server, client := pair(b, false, nil, nil)
			ctx := context.Background()
			go func() {
				for {
					f, err := server.ReadFrame(ctx)
					if err != nil || f.Opcode.IsControl() {
						return
					}
					if err := server.WriteFrame(ctx, f); err != nil {
						return
					}
				}
			}()
			f := Frame{Fin: true, Opcode: wsframe.OpBinary, Payload: bytes.Repeat([]byte("a"), size)}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := client.WriteFrame(ctx, f); err != nil {
					b.Fatal(err)
				}
				if _, err := client.ReadFrame(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			client.Close(CloseNormal, "")
		})
	}
}

package fastws

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// Everything a peer sends in one burst is read, whatever the driver: 640
// KiB of messages in one write (more than an event loop's 256 KiB read
// buffer takes at once, and all in the socket before the loop hears of
// it), then a close frame and the peer's half-close, or the half-close
// alone, or nothing more. An edge-triggered loop that read once per
// report would keep the rest unread for ever.
func TestHandlerReadsWholeBurst(t *testing.T) {
	const msgs, size = 40, 16 << 10
	forEachDriver(t, func(t *testing.T, d Driver) {
		for _, end := range []string{"close frame and FIN", "FIN", "nothing"} {
			t.Run(end, func(t *testing.T) {
				rec := newRecorder(t)
				var mu sync.Mutex
				var got []uint32
				all := make(chan struct{})
				rec.onMsg = func(_ *Session, _ MessageType, msg []byte) {
					mu.Lock()
					defer mu.Unlock()
					got = append(got, binary.BigEndian.Uint32(msg))
					if len(got) == msgs {
						close(all)
					}
				}
				_, url := startServer(t, d, rec, nil)
				p, _ := rec.rawClient(t, url)
				var burst []byte
				for i := range msgs {
					msg := bytes.Repeat([]byte{byte(i)}, size)
					binary.BigEndian.PutUint32(msg, uint32(i))
					burst = append(burst, maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpBinary}, msg)...)
				}
				if end == "close frame and FIN" {
					burst = append(burst, maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, wsframe.AppendClosePayload(nil, CloseNormal, "bye"))...)
				}
				if _, err := p.conn.Write(burst); err != nil {
					t.Fatal(err)
				}
				if end != "nothing" {
					if err := p.conn.(*net.TCPConn).CloseWrite(); err != nil {
						t.Fatal(err)
					}
				}
				select {
				case <-all:
				case <-time.After(testtime.Limit(10 * time.Second)):
					mu.Lock()
					t.Fatalf("%d of %d messages arrived", len(got), msgs)
				}
				mu.Lock()
				for i, n := range got {
					if n != uint32(i) {
						t.Fatalf("message %d arrived as number %d", n, i)
					}
				}
				mu.Unlock()
				switch end {
				case "close frame and FIN":
					if code := p.expectClose(); code != CloseNormal {
						t.Errorf("the server answered close code %d", code)
					}
					if ev := rec.waitClose(t); ev.Cause != ClosedByPeer || ev.Code != CloseNormal {
						t.Errorf("OnClose %+v, want the peer's 1000", ev)
					}
				case "FIN":
					if ev := rec.waitClose(t); ev.Code != CloseAbnormal {
						t.Errorf("OnClose %+v, want 1006 for a peer that hung up", ev)
					}
				case "nothing":
					p.send(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, wsframe.AppendClosePayload(nil, CloseNormal, ""))
					if code := p.expectClose(); code != CloseNormal {
						t.Errorf("the server answered close code %d", code)
					}
					rec.waitClose(t)
				}
			})
		}
	})
}

// A connection failed for a protocol error sends its close frame and
// then lets the peer finish: a peer still sending when the server fails
// must read the server's close frame, not lose it to a reset. (The
// goroutine driver closed its socket as soon as the handler loop ended,
// with the peer's bytes unread, and the kernel reset the connection,
// destroying the close frame on its way.)
func TestHandlerFailureCloseFrameSurvives(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, nil)
		for i := range 5 {
			p, _ := rec.rawClient(t, url)
			var burst []byte
			for range 50 {
				burst = append(burst, maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, []byte("ping"))...)
			}
			// A reserved opcode: the connection fails with 1002 here,
			// and what follows is still on its way.
			burst = append(burst, maskFrame(wsframe.Header{Fin: true, Opcode: 3}, nil)...)
			burst = append(burst, bytes.Repeat([]byte{0x89, 0x80, 0, 0, 0, 0}, 40<<10)...)
			if _, err := p.conn.Write(burst); err != nil {
				t.Fatalf("connection %d: writing: %v", i, err)
			}
			if code := p.expectClose(); code != CloseProtocolError {
				t.Fatalf("connection %d: close code %d, want 1002", i, code)
			}
			if ev := rec.waitClose(t); ev.Cause != ClosedForProtocolError {
				t.Errorf("connection %d: OnClose %+v", i, ev)
			}
			p.conn.Close()
		}
	})
}

package loadgen

import (
	"bytes"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// serverFrame returns an unmasked server frame.
func serverFrame(op wsframe.Opcode, fin bool, payload []byte) []byte {
	h := wsframe.Header{Fin: fin, Opcode: op, Length: int64(len(payload))}
	return append(wsframe.AppendHeader(nil, h), payload...)
}

// TestMessageLoopDoesNotAllocate runs the per-message path of an event
// loop (write the frame, epoll_wait, read, parse, time, record) against a
// peer at the other end of a socket pair, and requires zero allocations
// per round trip, with every echo verified.
func TestMessageLoopDoesNotAllocate(t *testing.T) {
	for _, size := range []int{20, 1 << 10, 64 << 10} {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		client, peer := fds[0], fds[1]
		defer syscall.Close(peer)
		if err := syscall.SetNonblock(client, true); err != nil {
			t.Fatal(err)
		}
		payload := Payload(size)
		frame := buildFrame(payload, false)
		echo := serverFrame(wsframe.OpBinary, true, payload)

		var recording, stop atomic.Bool
		recording.Store(true)
		l, err := newLoop(frame, payload, &recording, &stop)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		l.verify = true
		if err := l.add(client); err != nil {
			t.Fatal(err)
		}
		c := l.conns[0]
		if err := l.send(0, c); err != nil {
			t.Fatal(err)
		}
		in := make([]byte, len(frame))
		var failure error
		roundTrip := func() {
			if failure != nil {
				return
			}
			// The peer takes the frame as the loop writes it (a large
			// one may need EPOLLOUT), then answers with the echo.
			for got := 0; got < len(in); {
				if err := l.poll(0); err != nil {
					failure = err
					return
				}
				n, err := syscall.Read(peer, in[got:])
				if err != nil {
					failure = err
					return
				}
				got += n
			}
			want := c.echoes + 1
			for off := 0; off < len(echo); {
				n, err := syscall.Write(peer, echo[off:])
				if err != nil {
					failure = err
					return
				}
				off += n
				if err := l.poll(0); err != nil {
					failure = err
					return
				}
			}
			for c.echoes < want && failure == nil {
				failure = l.poll(1000)
			}
		}
		roundTrip()
		allocs := testing.AllocsPerRun(200, roundTrip)
		if failure != nil {
			t.Fatalf("size %d: %v", size, failure)
		}
		if !bytes.Equal(in, frame) {
			t.Fatalf("size %d: the peer received a different frame", size)
		}
		if allocs != 0 {
			t.Errorf("size %d: %.1f allocations per message, want 0", size, allocs)
		}
		if l.messages != 202 || l.hist.Count() != 202 {
			t.Errorf("size %d: recorded %d messages, %d latencies; want 202", size, l.messages, l.hist.Count())
		}
	}
}

package loadgen

import (
	"bytes"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// TestMessageLoopDoesNotAllocate runs the per-message path of an event
// loop (write the frame, epoll_wait, read, parse, time, record) against a
// peer at the other end of a socket pair, and requires zero allocations
// per round trip: uncompressed with every echo verified, and compressed
// (cycling through several messages, echoes with RSV1) once the first
// echoes, which are inflated, are past.
func TestMessageLoopDoesNotAllocate(t *testing.T) {
	type load struct {
		size     int
		compress bool
	}
	for _, ld := range []load{{20, false}, {1 << 10, false}, {64 << 10, false}, {1 << 10, true}, {16 << 10, true}} {
		size := ld.size
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		client, peer := fds[0], fds[1]
		defer syscall.Close(peer)
		if err := syscall.SetNonblock(client, true); err != nil {
			t.Fatal(err)
		}
		msgs, err := buildMessages(size, false, ld.compress, 3)
		if err != nil {
			t.Fatal(err)
		}
		echoes := make([][]byte, len(msgs))
		for i, m := range msgs {
			if ld.compress {
				echoes[i] = compressedServerFrame(t, m.payload)
			} else {
				echoes[i] = serverFrame(wsframe.OpBinary, true, m.payload)
			}
		}

		var recording, stop atomic.Bool
		recording.Store(true)
		l, err := newLoop(msgs, &recording, &stop)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		l.verify = !ld.compress
		l.verifyFirst = 2
		if err := l.add(client, ld.compress); err != nil {
			t.Fatal(err)
		}
		c := l.conns[0]
		if err := l.send(0, c); err != nil {
			t.Fatal(err)
		}
		var in []byte
		var failure error
		roundTrip := func() {
			if failure != nil {
				return
			}
			frame, echo := msgs[c.cur].frame, echoes[c.cur]
			if cap(in) < len(frame) {
				in = make([]byte, len(frame))
			}
			in = in[:len(frame)]
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
			if failure == nil && !bytes.Equal(in, frame) {
				failure = errors.New("the peer received a different frame")
			}
		}
		roundTrip()
		roundTrip()
		allocs := testing.AllocsPerRun(200, roundTrip)
		if failure != nil {
			t.Fatalf("%+v: %v", ld, failure)
		}
		if allocs != 0 {
			t.Errorf("%+v: %.1f allocations per message, want 0", ld, allocs)
		}
		if l.messages != 203 || l.hist.Count() != 203 || l.wire.Messages != 203 {
			t.Errorf("%+v: recorded %d messages, %d latencies, %d wire counts; want 203", ld, l.messages, l.hist.Count(), l.wire.Messages)
		}
		if ld.compress && (l.wire.Compressed != 203 || l.wire.Received >= l.wire.Payload) {
			t.Errorf("%+v: wire counts %+v", ld, l.wire)
		}
	}
}
